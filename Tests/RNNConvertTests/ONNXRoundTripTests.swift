import Foundation
import ONNXProto
import RNNLayouts
import TensorFiles
import XCTest
@testable import RNNConvert

/// PyTorch names → ONNX → PyTorch names gives the same bytes for every tensor.
final class ONNXRoundTripTests: XCTestCase {
    private func roundTrip(_ module: RNNModule, _ options: ONNXExportOptions = ONNXExportOptions()) throws -> ONNXImporter.Result {
        let data = try ONNXExporter.serializedModel(module, options: options)
        let model = try XCTUnwrap(ONNXImporter.parse(data), "the written bytes parse as an ONNX ModelProto")
        return try ONNXImporter.read(model, file: "memory.onnx")
    }

    private func assertSameBytes(_ expected: [NamedTensor], _ actual: [NamedTensor], file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(actual.map(\.name), expected.map(\.name), file: file, line: line)
        for (want, got) in zip(expected, actual) {
            XCTAssertEqual(got.tensor.dtype, want.tensor.dtype, want.name, file: file, line: line)
            XCTAssertEqual(got.tensor.shape, want.tensor.shape, want.name, file: file, line: line)
            XCTAssertEqual(try got.tensor.data(), try want.tensor.data(), "\(want.name) bytes", file: file, line: line)
        }
    }

    func testEveryLayerArchitectureRoundTripsBitExact() throws {
        for mode in RNNMode.allCases {
            for (layers, bidirectional, bias) in [(1, false, true), (2, true, true), (3, false, false), (2, true, false)] {
                let architecture = RNNArchitecture(mode: mode, inputSize: 5, hiddenSize: 4, numLayers: layers,
                                                   bidirectional: bidirectional, bias: bias)
                let module = ModuleFactory.module(architecture)
                let back = try roundTrip(module, ONNXExportOptions(nonlinearity: mode == .rnn ? .relu : .tanh))
                try assertSameBytes(ModuleFactory.namedTensors(module), back.tensors)
                XCTAssertEqual(Inspector.inspect(back.tensors).modules.first?.architecture, architecture)
            }
        }
    }

    func testRootModuleAndBatchFirstRoundTrip() throws {
        let module = ModuleFactory.module(RNNArchitecture(mode: .gru, inputSize: 3, hiddenSize: 2, numLayers: 2, bidirectional: true), name: "")
        let back = try roundTrip(module, ONNXExportOptions(batchFirst: true))
        try assertSameBytes(ModuleFactory.namedTensors(module), back.tensors)
        XCTAssertEqual(back.hints[""]?.batchFirst, true)
        XCTAssertTrue(back.tensors.allSatisfy { !$0.name.contains(".") })
    }

    func testCellKeepsCellNames() throws {
        let module = ModuleFactory.module(RNNArchitecture(mode: .lstm, kind: .cell, inputSize: 3, hiddenSize: 5), name: "decoder.cell")
        let back = try roundTrip(module)
        try assertSameBytes(ModuleFactory.namedTensors(module), back.tensors)
        XCTAssertEqual(back.tensors.map(\.name).first, "decoder.cell.weight_ih")
    }

    func testNonlinearityIsRecorded() throws {
        let module = ModuleFactory.module(RNNArchitecture(mode: .rnn, inputSize: 3, hiddenSize: 2))
        XCTAssertEqual(try roundTrip(module, ONNXExportOptions(nonlinearity: .relu)).hints["encoder.rnn"]?.nonlinearity, .relu)
        XCTAssertEqual(try roundTrip(module).hints["encoder.rnn"]?.nonlinearity, .tanh)
    }

    func testFloat64AndFloat16AreKept() throws {
        for dtype in [DType.float64, .float16] {
            let module = ModuleFactory.module(RNNArchitecture(mode: .lstm, inputSize: 3, hiddenSize: 2, numLayers: 2, dtype: dtype))
            let back = try roundTrip(module)
            try assertSameBytes(ModuleFactory.namedTensors(module), back.tensors)
        }
    }

    func testBFloat16WidensExactlyAndDtypeOptionConverts() throws {
        let module = ModuleFactory.module(RNNArchitecture(mode: .gru, inputSize: 3, hiddenSize: 2, dtype: .bfloat16))
        let widened = try ModuleFactory.namedTensors(module).map { NamedTensor(name: $0.name, tensor: try $0.tensor.converted(to: .float32)) }
        try assertSameBytes(widened, try roundTrip(module).tensors)

        let single = ModuleFactory.module(RNNArchitecture(mode: .gru, inputSize: 3, hiddenSize: 2))
        let half = try ModuleFactory.namedTensors(single).map { NamedTensor(name: $0.name, tensor: try $0.tensor.converted(to: .float16)) }
        try assertSameBytes(half, try roundTrip(single, ONNXExportOptions(dtype: .float16)).tensors)
    }

    func testRefusals() throws {
        let projected = ModuleFactory.module(RNNArchitecture(mode: .lstm, inputSize: 3, hiddenSize: 4, projSize: 2))
        XCTAssertThrowsError(try ONNXExporter.serializedModel(projected)) { error in
            XCTAssertEqual(error as? ConversionError, .targetCannotHold(module: projected.path, target: .onnx, .projection(projSize: 2)))
        }
        let lstm = ModuleFactory.module(RNNArchitecture(mode: .lstm, inputSize: 3, hiddenSize: 4))
        XCTAssertThrowsError(try ONNXExporter.check(lstm, options: ONNXExportOptions(nonlinearity: .relu))) { error in
            XCTAssertEqual((error as? ModuleValidationError)?.problems, [.nonlinearityNotApplicable(.relu, mode: .lstm)], "\(error)")
        }
        // relu against an activation the file records is refused (it was once dropped silently).
        var sigmoid = ModuleFactory.module(RNNArchitecture(mode: .rnn, inputSize: 3, hiddenSize: 4))
        sigmoid.architecture.variant = CellVariant(candidate: .sigmoid)
        XCTAssertNoThrow(try ONNXExporter.check(sigmoid, options: ONNXExportOptions()))
        XCTAssertThrowsError(try ONNXExporter.check(sigmoid, options: ONNXExportOptions(nonlinearity: .relu))) { error in
            XCTAssertEqual((error as? ModuleValidationError)?.problems, [.nonlinearityContradictsActivation(.relu, recorded: .sigmoid)], "\(error)")
        }
        XCTAssertThrowsError(try ONNXExporter.check(lstm, options: ONNXExportOptions(dtype: .bfloat16))) { error in
            XCTAssertEqual(error as? ConversionError,
                           .dtypeNotWritable(file: nil, target: .onnx, dtype: .bfloat16, tensor: nil, choices: [.float32, .float16, .float64]))
        }
        var incomplete = lstm
        incomplete.parameters[ParameterName(.biasHH, layer: 0)] = nil
        XCTAssertThrowsError(try ONNXExporter.check(incomplete, options: ONNXExportOptions())) { error in
            guard case .missingTensor("encoder.rnn.bias_hh_l0", [16], _, _)? = (error as? ModuleValidationError)?.problems.first else {
                return XCTFail("\(error)")
            }
        }
    }

    func testWrittenModelHasTheDocumentedInterface() throws {
        let module = ModuleFactory.module(RNNArchitecture(mode: .lstm, inputSize: 5, hiddenSize: 4, numLayers: 3, bidirectional: true))
        let model = try ONNXExporter.model(module, options: ONNXExportOptions())
        XCTAssertEqual(model.irVersion, Int64(ONNXExporter.irVersion))
        XCTAssertEqual(model.opsetImport.map(\.version), [Int64(ONNXExporter.opsetVersion)])
        XCTAssertEqual(model.graph.input.map(\.name), ["input", "sequence_lens", "h0", "c0"])
        XCTAssertEqual(model.graph.output.map(\.name), ["output", "h_n", "c_n"])
        XCTAssertEqual(model.graph.node.filter { $0.opType == "LSTM" }.count, 3)
        // The optional inputs have defaults, so a runtime may leave them out.
        let initializers = Set(model.graph.initializer.map(\.name))
        XCTAssertTrue(initializers.isSuperset(of: ["sequence_lens", "h0", "c0"]))
        XCTAssertFalse(initializers.contains("input"))
        for node in model.graph.node where node.opType == "LSTM" {
            let attributes = ONNXAttributes(node)
            XCTAssertEqual(attributes.string("direction"), "bidirectional")
            XCTAssertEqual(attributes.int("hidden_size"), 4)
        }
    }

    func testModelSourceRecognisesONNXByItsBytes() throws {
        let folder = try ModuleFactory.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let module = ModuleFactory.module(RNNArchitecture(mode: .gru, inputSize: 3, hiddenSize: 2, numLayers: 2))
        let path = folder.appendingPathComponent("model.bin").path
        try ONNXExporter.serializedModel(module).write(to: URL(fileURLWithPath: path))
        let source = try ModelSource.open(path)
        XCTAssertEqual(source.format, .onnx)
        try assertSameBytes(ModuleFactory.namedTensors(module), source.tensors)
        XCTAssertEqual(source.metadata["producer"], "rnnkit 0.1.0")

        let npy = folder.appendingPathComponent("weights.onnx").path
        try NPYWriter.encode(Tensor(shape: [2], floats: [1, 2])).write(to: URL(fileURLWithPath: npy))
        XCTAssertEqual(try ModelSource.open(npy).format, .npy, "the bytes decide, not the suffix")

        let junk = folder.appendingPathComponent("junk.onnx").path
        try Data("not a model at all".utf8).write(to: URL(fileURLWithPath: junk))
        XCTAssertThrowsError(try ModelSource.open(junk)) { error in
            XCTAssertEqual((error as? TensorFileError)?.reason, .unknownFormat(leadingBytes: Array("not a mo".utf8)), "\(error)")
        }
    }
}
