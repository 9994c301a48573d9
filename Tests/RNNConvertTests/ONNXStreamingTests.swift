import Foundation
import ONNXProto
import RNNLayouts
import TensorFiles
import XCTest
@testable import RNNConvert

/// `ONNXExporter.write` frames the protobuf by hand around the weights it
/// streams from the module's tensors: the file parses as exactly the model
/// `ONNXExporter.model` builds in memory, for weights larger than a write
/// piece and for a conversion done piece by piece.
final class ONNXStreamingTests: XCTestCase {
    private func written(_ module: RNNModule, _ options: ONNXExportOptions) throws -> Data {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnnkit-onnx-stream-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("model.onnx").path
        try ONNXExporter.write(module, options: options, to: path)
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    func testStreamedFileParsesAsTheModelBuiltInMemory() throws {
        // hidden 300: each W and R (1200 × 300 float32, 1.4 MB) spans two write pieces.
        let cases: [(RNNArchitecture, ONNXExportOptions)] = [
            (RNNArchitecture(mode: .lstm, inputSize: 300, hiddenSize: 300, numLayers: 2, bidirectional: true), ONNXExportOptions()),
            (RNNArchitecture(mode: .lstm, inputSize: 300, hiddenSize: 300, numLayers: 1), ONNXExportOptions(dtype: .float16)),
            (RNNArchitecture(mode: .gru, inputSize: 7, hiddenSize: 5, numLayers: 2, bidirectional: true, bias: false),
             ONNXExportOptions(batchFirst: true, dtype: .float64)),
            (RNNArchitecture(mode: .rnn, inputSize: 3, hiddenSize: 4), ONNXExportOptions(nonlinearity: .relu)),
        ]
        for (architecture, options) in cases {
            let module = ModuleFactory.module(architecture)
            let data = try written(module, options)
            let parsed = try Onnx_ModelProto(serializedBytes: data)
            let expected = try ONNXExporter.model(module, options: options)
            XCTAssertEqual(parsed, expected, "\(architecture.mode) \(options)")
            XCTAssertEqual(data.count, (try expected.serializedBytes() as Data).count, "the same fields, framed alike")
            // The weights are the eager conversion's, gate blocks in ONNX order.
            let w = try XCTUnwrap(parsed.graph.initializer.first { $0.name.hasSuffix("W_l0") })
            let weight = try XCTUnwrap(module.tensor(ParameterName(.weightIH, layer: 0, reverse: false)))
            let dtype = options.dtype ?? .float32
            let forward = ONNXLayout.pytorchToONNX(try weight.converted(to: dtype).data(), mode: architecture.mode)
            XCTAssertEqual(w.rawData.prefix(forward.count), forward)
        }
    }

    func testVarintFraming() {
        XCTAssertEqual(ONNXStreamedModel.varint(0), Data([0]))
        XCTAssertEqual(ONNXStreamedModel.varint(300), Data([0xAC, 0x02]))
        XCTAssertEqual(ONNXStreamedModel.lengthDelimited(field: 7, length: 1 << 28), Data([0x3A, 0x80, 0x80, 0x80, 0x80, 0x01]))
    }
}
