import Foundation
import RNNLayouts
import TensorFiles
import XCTest
@testable import RNNConvert

/// The files torch.onnx.export wrote (Fixtures/onnx/) read back into the
/// PyTorch module they came from.
final class TorchExportFixtureTests: XCTestCase {
    private struct Sidecar: Decodable {
        struct Module: Decodable {
            var name: String
            var mode: String
            var input_size: Int
            var hidden_size: Int
            var num_layers: Int
            var bidirectional: Bool
            var bias: Bool
        }
        struct Flags: Decodable {
            var batch_first: Bool
            var nonlinearity: String
        }
        var model: String
        var pytorch_weights: String
        var module: String
        var modules: [Module]
        var flags: Flags
    }

    private static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/onnx")
    }

    private func sidecars() throws -> [(URL, Sidecar)] {
        let folders = try FileManager.default.contentsOfDirectory(at: Self.root, includingPropertiesForKeys: nil)
            .filter { FileManager.default.fileExists(atPath: $0.appendingPathComponent("onnx.json").path) }
            .sorted { $0.path < $1.path }
        XCTAssertGreaterThanOrEqual(folders.count, 5, "Fixtures/onnx/ holds the torch.onnx.export files")
        return try folders.map { ($0, try JSONDecoder().decode(Sidecar.self, from: Data(contentsOf: $0.appendingPathComponent("onnx.json")))) }
    }

    func testExportedModulesAreRebuilt() throws {
        for (folder, sidecar) in try sidecars() {
            let source = try ModelSource.open(folder.appendingPathComponent(sidecar.model).path)
            XCTAssertEqual(source.format, .onnx)
            let inspection = Inspector.inspect(source.tensors)
            XCTAssertEqual(inspection.problems, [], folder.lastPathComponent)
            let want = try XCTUnwrap(sidecar.modules.first { $0.name == sidecar.module })
            let module = try inspection.selectModule(named: sidecar.module)
            XCTAssertEqual(inspection.modules.count, 1, folder.lastPathComponent)
            let got = module.architecture
            XCTAssertEqual(got.mode.rawValue, want.mode, folder.lastPathComponent)
            XCTAssertEqual([got.inputSize, got.hiddenSize, got.numLayers], [want.input_size, want.hidden_size, want.num_layers], folder.lastPathComponent)
            XCTAssertEqual(got.bidirectional, want.bidirectional, folder.lastPathComponent)
            XCTAssertEqual(got.bias, want.bias, folder.lastPathComponent)
            let hints = try XCTUnwrap(source.hints[sidecar.module])
            XCTAssertEqual(hints.batchFirst, sidecar.flags.batch_first, folder.lastPathComponent)
            if got.mode == .rnn {
                XCTAssertEqual(hints.nonlinearity?.rawValue, sidecar.flags.nonlinearity, folder.lastPathComponent)
            }
        }
    }

    /// Every tensor read from the ONNX file has the bytes of the PyTorch state_dict saved beside it.
    func testExportedWeightsAreBitIdenticalToTheStateDict() throws {
        for (folder, sidecar) in try sidecars() {
            let source = try ModelSource.open(folder.appendingPathComponent(sidecar.model).path)
            let original = try TensorFile.open(folder.appendingPathComponent(sidecar.pytorch_weights).path)
            XCTAssertEqual(source.tensors.map(\.name).sorted(), original.tensors.map(\.name).sorted(), folder.lastPathComponent)
            for named in original.tensors {
                let back = try XCTUnwrap(source.tensors.first { $0.name == named.name }, named.name)
                XCTAssertEqual(back.tensor.dtype, named.tensor.dtype, named.name)
                XCTAssertEqual(back.tensor.shape, named.tensor.shape, named.name)
                XCTAssertEqual(try back.tensor.data(), try named.tensor.data(), "\(folder.lastPathComponent): \(named.name)")
            }
        }
    }
}
