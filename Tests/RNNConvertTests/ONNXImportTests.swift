import Foundation
import ONNXProto
import RNNLayouts
import TensorFiles
import XCTest
@testable import RNNConvert

/// Reading ONNX graphs that rnnkit did not write: weights routed through
/// data-movement nodes, scope names, and what PyTorch cannot express.
final class ONNXImportTests: XCTestCase {
    private func model(_ builder: ONNXGraphBuilder, opset: Int = 17) -> Onnx_ModelProto {
        var model = Onnx_ModelProto()
        model.irVersion = 8
        var set = Onnx_OperatorSetIdProto()
        set.version = Int64(opset)
        model.opsetImport = [set]
        model.graph = builder.graph
        return model
    }

    private func read(_ builder: ONNXGraphBuilder, opset: Int = 17) throws -> ONNXImporter.Result {
        try ONNXImporter.read(model(builder, opset: opset), file: "test.onnx")
    }

    /// A GRU layer the way torch.onnx.export writes it without constant
    /// folding: PyTorch-named initializers, sliced into gate blocks by
    /// Constant-fed Slice nodes and concatenated in ONNX order.
    func testWeightsSlicedAndConcatenatedLikeTorchExport() throws {
        let module = ModuleFactory.module(RNNArchitecture(mode: .gru, inputSize: 3, hiddenSize: 2), name: "gru")
        var builder = ONNXGraphBuilder(name: "g")
        builder.input("input", .float32, [.free, .free, .fixed(3)], doc: "")
        var routed: [String] = []
        for role in [ParameterName.Role.weightIH, .weightHH] {
            let parameter = ParameterName(role, layer: 0)
            let name = try builder.initializer(module.qualifiedName(of: parameter), module.tensor(parameter)!)
            var blocks: [String] = []
            for block in 0 ..< 3 {
                for (label, value) in [("s", block * 2), ("e", block * 2 + 2), ("a", 0)] {
                    var constant = Onnx_AttributeProto()
                    constant.name = "value"
                    constant.type = .tensor
                    constant.t = try ONNXTensorCoding.proto(named: "", Tensor(shape: [1], int64s: [Int64(value)]))
                    builder.node("Constant", name: "/gru/Constant_\(name)\(label)\(block)", inputs: [], outputs: ["\(name)\(label)\(block)"], attributes: [constant])
                }
                builder.node("Slice", name: "/gru/Slice", inputs: [name, "\(name)s\(block)", "\(name)e\(block)", "\(name)a\(block)"], outputs: ["\(name)_block\(block)"])
                blocks.append("\(name)_block\(block)")
            }
            // PyTorch r, z, n → ONNX z, r, h.
            builder.node("Concat", name: "/gru/Concat", inputs: [blocks[1], blocks[0], blocks[2]], outputs: ["\(name)_onnx"],
                         attributes: [ONNXGraphBuilder.attribute("axis", int: 0)])
            builder.node("Unsqueeze", name: "/gru/Unsqueeze", inputs: ["\(name)_onnx", try builder.int64s("\(name)_axes", [0])], outputs: ["\(name)_W"])
            routed.append("\(name)_W")
        }
        builder.node("GRU", name: "/gru/GRU", inputs: ["input"] + routed, outputs: ["Y", "Y_h"],
                     attributes: [ONNXGraphBuilder.attribute("hidden_size", int: 2), ONNXGraphBuilder.attribute("linear_before_reset", int: 1)])
        let result = try read(builder)
        let expected = ModuleFactory.namedTensors(module).filter { !$0.name.contains("bias") }
        XCTAssertEqual(result.tensors.map(\.name), expected.map(\.name))
        for (got, want) in zip(result.tensors, expected) {
            XCTAssertEqual(try got.tensor.data(), try want.tensor.data(), got.name)
        }
        XCTAssertEqual(result.hints["gru"]?.batchFirst, false)
    }

    /// Every data-movement op the evaluator follows, composed so that the
    /// result is the stored W again.
    func testEveryFollowedOpPreservesBytes() throws {
        let module = ModuleFactory.module(RNNArchitecture(mode: .rnn, inputSize: 4, hiddenSize: 3, bidirectional: true), name: "")
        let exported = try ONNXExporter.model(module, options: ONNXExportOptions())
        let w = try XCTUnwrap(exported.graph.initializer.first { $0.name == "W_l0" })
        let r = try XCTUnwrap(exported.graph.initializer.first { $0.name == "R_l0" })
        var builder = ONNXGraphBuilder(name: "g")
        builder.input("x", .float32, [.free, .free, .fixed(4)], doc: "")
        let wTensor = try ONNXTensorCoding.tensor(from: w, file: "")
        try builder.initializer("w_stored", wTensor)
        try builder.initializer("R", try ONNXTensorCoding.tensor(from: r, file: ""))
        builder.node("Transpose", name: "t1", inputs: ["w_stored"], outputs: ["wt"], attributes: [ONNXGraphBuilder.attribute("perm", ints: [2, 0, 1])])
        builder.node("Transpose", name: "t2", inputs: ["wt"], outputs: ["w1"], attributes: [ONNXGraphBuilder.attribute("perm", ints: [1, 2, 0])])
        builder.node("Split", name: "split", inputs: ["w1", try builder.int64s("halves", [1, 1])], outputs: ["forward", "backward"],
                     attributes: [ONNXGraphBuilder.attribute("axis", int: 0)])
        builder.node("Concat", name: "join", inputs: ["forward", "backward"], outputs: ["w2"], attributes: [ONNXGraphBuilder.attribute("axis", int: -3)])
        builder.node("Reshape", name: "flat", inputs: ["w2", try builder.int64s("flat_shape", [-1])], outputs: ["w3"])
        builder.node("Reshape", name: "back", inputs: ["w3", try builder.int64s("w_shape", wTensor.shape)], outputs: ["w4"])
        builder.node("Unsqueeze", name: "u", inputs: ["w4", try builder.int64s("u_axes", [0])], outputs: ["w5"])
        builder.node("Squeeze", name: "s", inputs: ["w5", "u_axes"], outputs: ["w6"])
        builder.node("Cast", name: "c", inputs: ["w6"], outputs: ["w7"], attributes: [ONNXGraphBuilder.attribute("to", int: 1)])
        builder.node("Slice", name: "reverse", inputs: ["w7", try builder.int64s("r_start", [-1]), try builder.int64s("r_end", [Int(Int64.min)]),
                                                       try builder.int64s("r_axis", [2]), try builder.int64s("r_step", [-1])], outputs: ["w8"])
        builder.node("Gather", name: "unreverse", inputs: ["w8", try builder.int64s("order", [3, 2, 1, 0])], outputs: ["w9"],
                     attributes: [ONNXGraphBuilder.attribute("axis", int: 2)])
        builder.node("Identity", name: "i", inputs: ["w9"], outputs: ["W"])
        builder.node("RNN", name: "rnn", inputs: ["x", "W", "R"], outputs: ["Y"],
                     attributes: [ONNXGraphBuilder.attribute("direction", string: "bidirectional")])
        let result = try read(builder)
        let expected = ModuleFactory.namedTensors(module).filter { !$0.name.contains("bias") }
        XCTAssertEqual(result.tensors.map(\.name), expected.map(\.name))
        for (got, want) in zip(result.tensors, expected) {
            XCTAssertEqual(try got.tensor.data(), try want.tensor.data(), got.name)
        }
        XCTAssertEqual(result.hints[""]?.nonlinearity, .tanh)
    }

    private func singleGRU(attributes: [Onnx_AttributeProto], weightsFromInput: Bool = false) throws -> ONNXGraphBuilder {
        let module = ModuleFactory.module(RNNArchitecture(mode: .gru, inputSize: 3, hiddenSize: 2), name: "")
        let exported = try ONNXExporter.model(module, options: ONNXExportOptions())
        var builder = ONNXGraphBuilder(name: "g")
        builder.input("x", .float32, [.free, .free, .fixed(3)], doc: "")
        for name in ["W_l0", "R_l0"] {
            let proto = try XCTUnwrap(exported.graph.initializer.first { $0.name == name })
            if weightsFromInput && name == "W_l0" {
                builder.input(name, .float32, [.fixed(1), .fixed(6), .fixed(3)], doc: "")
            } else {
                try builder.initializer(name, try ONNXTensorCoding.tensor(from: proto, file: ""))
            }
        }
        builder.node("GRU", name: "/GRU", inputs: ["x", "W_l0", "R_l0"], outputs: ["Y"], attributes: attributes)
        return builder
    }

    /// A float attribute (`clip`, for instance).
    private func floatAttribute(_ name: String, _ value: Float) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .float
        attribute.f = value
        return attribute
    }

    /// Cells beyond PyTorch's are read as `CellVariant`s (Fixtures/variants/ checks their numbers);
    /// what rnnkit cannot run or cannot read unambiguously is refused by name.
    func testCellsBeyondPyTorchsAreReadAndTheRestRefused() throws {
        let lbr1 = ONNXGraphBuilder.attribute("linear_before_reset", int: 1)
        var alphas = Onnx_AttributeProto()
        alphas.name = "activation_alpha"
        alphas.type = .floats
        alphas.floats = [0.3]
        let refused: [([Onnx_AttributeProto], NodeRefusal)] = [
            ([lbr1, ONNXGraphBuilder.attribute("activations", strings: ["HardSigmoid", "Elu"])], .unknownActivation("Elu")),
            ([lbr1, ONNXGraphBuilder.attribute("activations", strings: ["HardSigmoid", "HardSigmoid"]), alphas],
             .hardSigmoidParameters(name: "activation_alpha", values: [0.3], hardSigmoids: 2)),
            ([lbr1, ONNXGraphBuilder.attribute("activations", strings: ["Sigmoid"])], .activationCount(["Sigmoid"], slots: 2, directions: 1)),
            ([lbr1, ONNXGraphBuilder.attribute("hidden_size", int: 5)], .hiddenSize(declared: 5, recurrence: [1, 6, 2])),
            ([lbr1, floatAttribute("clip", -1)], .clip(-1)),
            ([lbr1, ONNXGraphBuilder.attribute("direction", string: "sideways")], .unknownDirection("sideways")),
        ]
        for (attributes, expected) in refused {
            XCTAssertThrowsError(try read(try singleGRU(attributes: attributes))) { error in
                guard case .refusedNode(_, let node, let reason)? = error as? ConversionError else { return XCTFail("\(error)") }
                XCTAssertEqual(node, "GRU node '/GRU'")
                XCTAssertEqual(reason, expected)
            }
        }
        let read: [([Onnx_AttributeProto], CellVariant)] = [
            ([], CellVariant(linearBeforeReset: false)),
            ([lbr1, ONNXGraphBuilder.attribute("direction", string: "reverse")], CellVariant(direction: .reverse)),
            ([lbr1, ONNXGraphBuilder.attribute("activations", strings: ["Sigmoid", "Relu"])], CellVariant(candidate: .relu)),
            ([lbr1, ONNXGraphBuilder.attribute("activations", strings: ["HardSigmoid", "Tanh"])], CellVariant(gate: .keras2HardSigmoid)),
            ([lbr1, ONNXGraphBuilder.attribute("activations", strings: ["HardSigmoid", "Tanh"]), alphas],
             CellVariant(gate: .hardSigmoid(alpha: 0.3, beta: 0.5))),
            ([lbr1, floatAttribute("clip", 3)], CellVariant(clip: 3)),
            ([lbr1], .pytorch),
        ]
        for (attributes, variant) in read {
            let result = try self.read(try singleGRU(attributes: attributes))
            XCTAssertEqual(result.hints[""]?.variant ?? .pytorch, variant, "\(attributes.map(\.name))")
        }
        XCTAssertThrowsError(try self.read(try singleGRU(attributes: [lbr1], weightsFromInput: true))) { error in
            guard case .nodeInput(_, "GRU node '/GRU'", _, _, .graph(.graphInput))? = error as? ConversionError else {
                return XCTFail("\(error)")
            }
        }
    }

    /// Two chained nodes that differ in bias and cell cannot be the layers
    /// of one PyTorch module: each difference is named.
    func testLayersThatDifferAreNamed() throws {
        let module = ModuleFactory.module(RNNArchitecture(mode: .gru, inputSize: 3, hiddenSize: 2, numLayers: 2), name: "")
        var exported = try ONNXExporter.model(module, options: ONNXExportOptions())
        let index = try XCTUnwrap(exported.graph.node.firstIndex { $0.name == "/GRU_l1" })
        exported.graph.node[index].input[3] = ""
        exported.graph.node[index].attribute.append(floatAttribute("clip", 3))
        XCTAssertThrowsError(try ONNXImporter.read(exported, file: "stack.onnx")) { error in
            guard case .layersDiffer("stack.onnx", .root, "/GRU_l1", 1, let differences)? = error as? ConversionError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(differences, [.bias(false, first: true), .cell])
        }
    }

    func testGraphWithoutRecurrentOperatorsIsNamedAsSuch() throws {
        var builder = ONNXGraphBuilder(name: "g")
        builder.input("x", .float32, [.fixed(2)], doc: "")
        builder.node("Relu", name: "relu", inputs: ["x"], outputs: ["y"])
        XCTAssertThrowsError(try read(builder)) { error in
            XCTAssertEqual(error as? ConversionError, .modelFile(file: "test.onnx", tensor: nil, .noRecurrentOperator(operators: ["Relu"])))
        }
    }

    func testScopeNames() {
        var node = Onnx_NodeProto()
        node.name = "/encoder/lstm/LSTM_1"
        XCTAssertEqual(ONNXModuleGrouping.declaredName(node), "encoder.lstm")
        node.name = "/LSTM"
        XCTAssertEqual(ONNXModuleGrouping.declaredName(node), "")
        node.name = "node_LSTM_111"
        XCTAssertNil(ONNXModuleGrouping.declaredName(node))
        var namespace = Onnx_StringStringEntryProto()
        namespace.key = "namespace"
        namespace.value = ": __main__.M/encoder: __main__.Enc/encoder.gru: torch.nn.modules.rnn.GRU/gru: aten.gru.input"
        node.metadataProps = [namespace]
        XCTAssertEqual(ONNXModuleGrouping.declaredName(node), "encoder.gru")
        namespace.value = ": torch.nn.modules.rnn.LSTM/lstm: aten.lstm.input"
        node.metadataProps = [namespace]
        XCTAssertEqual(ONNXModuleGrouping.declaredName(node), "")
    }

    /// Weights routed through malformed data movement give errors, never a crash.
    func testMalformedMovementIsAnError() throws {
        let bad: [(String, [String], [Onnx_AttributeProto], [(String, [Int])])] = [
            ("Unsqueeze", ["W_l0", "axes"], [], [("axes", [5, 5, 5])]),
            ("Split", ["W_l0", "sizes"], [], [("sizes", [-1, 2])]),
            ("Slice", ["W_l0", "starts", "ends", "axes", "steps"], [], [("starts", [0]), ("ends", [1]), ("axes", [0]), ("steps", [Int(Int64.min)])]),
            ("Slice", ["W_l0", "starts", "ends", "axes"], [], [("starts", [0]), ("ends", [1]), ("axes", [7])]),
            ("Reshape", ["W_l0", "shape"], [], [("shape", [-1, -1])]),
            ("Gather", ["W_l0", "indices"], [], [("indices", [99])]),
            ("Transpose", ["W_l0"], [ONNXGraphBuilder.attribute("perm", ints: [0, 0, 1])], []),
            ("Squeeze", ["W_l0", "axes"], [], [("axes", [1])]),
            ("Concat", ["W_l0", "R_l0"], [ONNXGraphBuilder.attribute("axis", int: 0)], []),
            ("Cast", ["W_l0"], [ONNXGraphBuilder.attribute("to", int: 7)], []),
            ("MatMul", ["W_l0", "R_l0"], [], []),
        ]
        for (op, inputs, attributes, constants) in bad {
            var builder = try singleGRU(attributes: [ONNXGraphBuilder.attribute("linear_before_reset", int: 1)])
            for (name, values) in constants { try builder.int64s(name, values) }
            builder.node(op, name: "bad", inputs: inputs, outputs: ["moved"], attributes: attributes)
            var graph = builder.graph
            for index in graph.node.indices where graph.node[index].opType == "GRU" { graph.node[index].input[1] = "moved" }
            var model = model(builder)
            model.graph = graph
            XCTAssertThrowsError(try ONNXImporter.read(model, file: "bad.onnx"), op) { error in
                guard case .nodeInput(_, "GRU node '/GRU'", _, "moved", .graph)? = error as? ConversionError else {
                    return XCTFail("\(op): \(error)")
                }
            }
        }
    }

    /// Two initializers with one name: ONNX forbids it, and which one the
    /// weights are would be a guess.
    func testDuplicateInitializerNamesAreRefused() throws {
        var model = model(try singleGRU(attributes: [ONNXGraphBuilder.attribute("linear_before_reset", int: 1)]))
        let first = model.graph.initializer[0]
        model.graph.initializer.append(first)
        XCTAssertThrowsError(try ONNXImporter.read(model, file: "twice.onnx")) { error in
            XCTAssertEqual("\(error)", "twice.onnx: tensor '\(first.name)': duplicate tensor name '\(first.name)'")
        }
    }

    /// Damaged bytes of a real model: every outcome is a value or an error.
    func testDamagedModelBytesNeverCrash() throws {
        let module = ModuleFactory.module(RNNArchitecture(mode: .lstm, inputSize: 3, hiddenSize: 2, numLayers: 2, bidirectional: true))
        let original = try ONNXExporter.serializedModel(module)
        var generator = SystemRandomNumberGenerator()
        for trial in 0 ..< 400 {
            var bytes = original
            if trial % 4 == 0 {
                bytes = bytes.prefix(Int.random(in: 0 ..< bytes.count, using: &generator))
            } else {
                for _ in 0 ..< 1 + trial % 3 {
                    let position = Int.random(in: 0 ..< bytes.count, using: &generator)
                    bytes[position] = UInt8.random(in: 0 ... 255, using: &generator)
                }
            }
            guard let model = ONNXImporter.parse(bytes) else { continue }
            _ = try? ONNXImporter.read(model, file: "damaged.onnx")
        }
    }
}
