import Foundation
import ONNXProto
import RNNLayouts
import TensorFiles
import XCTest
@testable import RNNConvert

/// What an ONNX file says about a module besides its weights (issue 13):
/// stored initial state and lengths, the input's layout, subgraphs, and the
/// one list of operator attributes.
final class ONNXStoredInputsTests: XCTestCase {
    private struct Case: Decodable {
        var module: String
        var stored_state: Bool?
        var stored_lengths: [Int]?
        var batch_first: Bool?
        var layout_unknown: Bool?
    }

    private static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/onnx")
    }

    func testFixtureHintsMatchWhatTheGeneratorStored() throws {
        let folders = try FileManager.default.contentsOfDirectory(at: Self.root, includingPropertiesForKeys: nil)
            .filter { FileManager.default.fileExists(atPath: $0.appendingPathComponent("case.json").path) }
        XCTAssertGreaterThanOrEqual(folders.count, 12)
        for folder in folders {
            let name = folder.lastPathComponent
            let spec = try JSONDecoder().decode(Case.self, from: Data(contentsOf: folder.appendingPathComponent("case.json")))
            let source = try ModelSource.open(folder.appendingPathComponent("model.onnx").path)
            let hints = try XCTUnwrap(source.hints[spec.module], "\(name): module '\(spec.module)' in \(source.hints.keys.sorted())")
            XCTAssertEqual(hints.storedState != nil, spec.stored_state == true, name)
            XCTAssertEqual(hints.lengths, spec.stored_lengths, name)
            XCTAssertEqual(hints.layoutUnknown, spec.layout_unknown == true, name)
            if spec.layout_unknown != true { XCTAssertEqual(hints.batchFirst, spec.batch_first, name) }
            XCTAssertFalse(hints.source?.isEmpty ?? true, name)
        }
    }

    private func model(_ builder: ONNXGraphBuilder) -> Onnx_ModelProto { builder.model }

    /// An RNN (input 3, hidden 2) reading `x`; `extra` adds inputs after B
    /// (sequence_lens, initial_h) and nodes before it.
    private func rnn(name: String = "", x: String = "x", attributes: [Onnx_AttributeProto] = [], extra: [String] = [],
                     setup: (inout ONNXGraphBuilder) throws -> Void = { _ in }) throws -> Onnx_ModelProto {
        var builder = ONNXGraphBuilder(name: "g")
        builder.input("x", .float32, [.free, .free, .fixed(3)], doc: "")
        try builder.initializer("W", Tensor(shape: [1, 2, 3], floats: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]))
        try builder.initializer("R", Tensor(shape: [1, 2, 2], floats: [0.1, -0.2, 0.3, -0.4]))
        try setup(&builder)
        builder.node("RNN", name: name, inputs: [x, "W", "R", ""] + extra, outputs: ["Y"], attributes: attributes)
        return model(builder)
    }

    func testAttributesOutsideTheListAreRefusedByName() throws {
        var odd = Onnx_AttributeProto()
        odd.name = "time_reversed"
        odd.type = .int
        odd.i = 1
        XCTAssertThrowsError(try ONNXImporter.read(try rnn(attributes: [odd]), file: "odd.onnx")) { error in
            guard case .refusedNode("odd.onnx", "the unnamed RNN node writing 'Y'", .unknownAttribute("time_reversed", "RNN", let known))? =
                    error as? ConversionError else {
                return XCTFail("\(error)")
            }
            XCTAssertTrue(known.contains("activations"), "\(known)")
            // The exact wording, as `convert` prints it.
            XCTAssertEqual("\(error)", "odd.onnx: the unnamed RNN node writing 'Y': attribute 'time_reversed' is not one rnnkit knows for RNN "
                + "(it knows hidden_size, direction, layout, activations, activation_alpha, activation_beta, clip); "
                + "rnnkit refuses what it cannot account for")
        }
        // Every attribute of the list is accepted at its default.
        for entry in ONNXOperatorTable.entries["RNN"] ?? [] where entry.kind == "attribute" {
            if case .refusedUnlessDefault(let value) = entry.handling { XCTAssertNil(value, entry.name) }
        }
        XCTAssertEqual(ONNXOperatorTable.inputNames("LSTM"), ["X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"])
        XCTAssertEqual(ONNXOperatorTable.inputNames("GRU"), ["X", "W", "R", "B", "sequence_lens", "initial_h"])
    }

    func testAttributeValuesONNXDoesNotDefineAreRefused() throws {
        var direction = Onnx_AttributeProto()
        direction.name = "direction"
        direction.type = .int
        direction.i = 1
        for (attribute, name) in [(ONNXGraphBuilder.attribute("layout", int: 2), "layout"), (direction, "direction"),
                                  (ONNXGraphBuilder.attribute("hidden_size", string: "2"), "hidden_size")] {
            XCTAssertThrowsError(try ONNXImporter.read(try rnn(attributes: [attribute]), file: "odd.onnx"), name) { error in
                guard case .refusedNode(_, _, .refusedAttribute(name, _, _))? = error as? ConversionError else { return XCTFail("\(error)") }
            }
        }
        XCTAssertNoThrow(try ONNXImporter.read(try rnn(attributes: [ONNXGraphBuilder.attribute("layout", int: 0)]), file: "ok.onnx"))
    }

    func testARecurrentOperatorOfAnotherDomainIsNamedWithIt() throws {
        var model = try rnn()
        model.graph.node[model.graph.node.count - 1].domain = "com.example"
        XCTAssertThrowsError(try ONNXImporter.read(model, file: "custom.onnx")) { error in
            XCTAssertTrue("\(error)".contains("RNN in domain 'com.example'"), "\(error)")
        }
    }

    func testAnUnnamedNodeIsDescribedByItsOutput() throws {
        let result = try ONNXImporter.read(try rnn(), file: "unnamed.onnx")
        XCTAssertEqual(result.hints[""]?.source, "the unnamed RNN node writing 'Y'")
    }

    func testAnInitialStateRnnkitCannotEvaluateIsRefused() throws {
        let model = try rnn(extra: ["", "h0"]) { builder in
            try builder.initializer("h0_raw", Tensor(shape: [1, 1, 2], floats: [1, 2]))
            builder.node("Relu", name: "relu", inputs: ["h0_raw"], outputs: ["h0"])
        }
        XCTAssertThrowsError(try ONNXImporter.read(model, file: "state.onnx")) { error in
            guard case .nodeInput("state.onnx", _, "initial_h", "h0", .graph(.unfollowedNode("h0", let node, _)))? = error as? ConversionError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(node, "Relu node 'relu'")
        }
    }

    /// A weight initializer that is also a graph input is a default a caller
    /// may replace: run uses the stored one, as onnxruntime does when none is
    /// fed, and says so (it used to say nothing).
    func testAWeightThatIsAlsoAGraphInputIsANote() throws {
        let shadowed = try rnn { builder in
            builder.input("R", .float32, [.fixed(1), .fixed(2), .fixed(2)], doc: "")
        }
        let hints = try XCTUnwrap(ONNXImporter.read(shadowed, file: "shadow.onnx").hints[""])
        XCTAssertTrue(hints.notes.contains(.weightsOverridable(node: "the unnamed RNN node writing 'Y'", initializers: ["R"])), "\(hints.notes)")
        XCTAssertTrue(ModuleNote.weightsOverridable(node: "n", initializers: ["R"]).isRunAssumption)
        let plain = try XCTUnwrap(ONNXImporter.read(try rnn(), file: "plain.onnx").hints[""])
        XCTAssertFalse(plain.notes.contains { if case .weightsOverridable = $0 { true } else { false } }, "\(plain.notes)")
    }

    func testAnInitialStateFromAGraphInputIsANote() throws {
        let model = try rnn(extra: ["", "state"]) { builder in
            builder.input("state", .float32, [.fixed(1), .free, .fixed(2)], doc: "")
        }
        let hints = try XCTUnwrap(ONNXImporter.read(model, file: "fed.onnx").hints[""])
        XCTAssertNil(hints.storedState)
        XCTAssertTrue(hints.notes.contains {
            if case .runtimeInput(role: "initial_h", _, input: "state", option: .h0) = $0 { return true } else { return false }
        }, "\(hints.notes)")
    }

    func testLayoutBehindAnEmbeddingWithTransposedIndices() throws {
        // tokens (B, T) → Transpose → (T, B) → Gather(table) → (T, B, F): the embedding's output in PyTorch is (B, T, F).
        let model = try rnn(x: "embedded") { builder in
            builder.input("tokens", .int64, [.free, .free], doc: "")
            try builder.initializer("table", Tensor(shape: [4, 3], floats: (0 ..< 12).map(Float.init)))
            builder.node("Transpose", name: "t", inputs: ["tokens"], outputs: ["tokens_tm"], attributes: [ONNXGraphBuilder.attribute("perm", ints: [1, 0])])
            builder.node("Gather", name: "emb", inputs: ["table", "tokens_tm"], outputs: ["embedded"])
        }
        let hints = try XCTUnwrap(ONNXImporter.read(model, file: "emb.onnx").hints[""])
        XCTAssertEqual(hints.batchFirst, true)
        XCTAssertFalse(hints.layoutUnknown)
        // Without the Transpose the embedding output is read time-major.
        let plain = try rnn(x: "embedded") { builder in
            builder.input("tokens", .int64, [.free, .free], doc: "")
            try builder.initializer("table", Tensor(shape: [4, 3], floats: (0 ..< 12).map(Float.init)))
            builder.node("Gather", name: "emb", inputs: ["table", "tokens"], outputs: ["embedded"])
        }
        XCTAssertEqual(try ONNXImporter.read(plain, file: "emb.onnx").hints[""]?.batchFirst, false)
        // A Concat in front: unknown.
        let concat = try rnn(x: "joined") { builder in
            builder.node("Concat", name: "join", inputs: ["x", "x"], outputs: ["joined"], attributes: [ONNXGraphBuilder.attribute("axis", int: 0)])
        }
        let unknown = try XCTUnwrap(ONNXImporter.read(concat, file: "c.onnx").hints[""])
        XCTAssertTrue(unknown.layoutUnknown)
        XCTAssertNil(unknown.batchFirst)
    }

    func testLayersWithDifferentLengthsAreRefused() throws {
        var builder = ONNXGraphBuilder(name: "g")
        builder.input("x", .float32, [.fixed(4), .fixed(2), .fixed(2)], doc: "")
        try builder.initializer("W", Tensor(shape: [1, 2, 2], floats: [0.1, 0.2, 0.3, 0.4]))
        try builder.initializer("R", Tensor(shape: [1, 2, 2], floats: [0.1, -0.2, 0.3, -0.4]))
        try builder.initializer("lens_a", Tensor(dtype: .int32, shape: [2], data: Data([4, 0, 0, 0, 3, 0, 0, 0])))
        try builder.initializer("lens_b", Tensor(dtype: .int32, shape: [2], data: Data([4, 0, 0, 0, 2, 0, 0, 0])))
        try builder.initializer("axes", Tensor(shape: [1], int64s: [1]))
        builder.node("RNN", name: "/rnn/RNN", inputs: ["x", "W", "R", "", "lens_a"], outputs: ["Y0"])
        builder.node("Squeeze", name: "/rnn/Squeeze", inputs: ["Y0", "axes"], outputs: ["X1"])
        builder.node("RNN", name: "/rnn/RNN_1", inputs: ["X1", "W", "R", "", "lens_b"], outputs: ["Y1"])
        XCTAssertThrowsError(try ONNXImporter.read(model(builder), file: "lens.onnx")) { error in
            XCTAssertEqual(error as? ConversionError, .lengthsDiffer(file: "lens.onnx", module: ModulePath("rnn")))
        }
    }
}
