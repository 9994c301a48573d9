import Foundation
import RNNEngine
import RNNLayouts
import TensorFiles
import XCTest
@testable import RNNConvert

/// Models built and saved by Keras 3 itself (Fixtures/keras/) read back into
/// PyTorch names: the same bytes as the fixture script's `pytorch.safetensors`
/// (which PyTorch checked against Keras's outputs).
final class KerasFixtureTests: XCTestCase {
    private struct Sidecar: Decodable {
        struct PyTorch: Decodable {
            struct Module: Decodable {
                var mode: String
                var input_size: Int
                var hidden_size: Int
                var num_layers: Int
                var bidirectional: Bool
                var bias: Bool
            }
            struct Flags: Decodable {
                var nonlinearity: String
            }
            var weights: String
            var module: Module
            var flags: Flags
        }
        var model: String
        var weights: String
        var pytorch: PyTorch?
        var refuse_because: String?
    }

    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/keras")
    }

    private func sidecars() throws -> [(URL, Sidecar)] {
        let folders = try FileManager.default.contentsOfDirectory(at: Self.root, includingPropertiesForKeys: nil)
            .filter { FileManager.default.fileExists(atPath: $0.appendingPathComponent("keras.json").path) }
            .sorted { $0.path < $1.path }
        XCTAssertGreaterThanOrEqual(folders.count, 8, "Fixtures/keras/ holds the Keras-saved models")
        return try folders.map { ($0, try JSONDecoder().decode(Sidecar.self, from: Data(contentsOf: $0.appendingPathComponent("keras.json")))) }
    }

    /// Both files of every expressible model give PyTorch's tensors bit for bit.
    func testKerasSavedModelsReadBackToTheirPyTorchTensors() throws {
        var checked = 0
        for (folder, sidecar) in try sidecars() {
            guard let pytorch = sidecar.pytorch else { continue }
            let expected = try TensorFile.open(folder.appendingPathComponent(pytorch.weights).path).tensors
            for file in [sidecar.model, sidecar.weights] {
                let label = "\(folder.lastPathComponent)/\(file)"
                let source = try ModelSource.open(folder.appendingPathComponent(file).path)
                XCTAssertEqual(source.format, file == sidecar.model ? .keras : .kerasWeights, label)
                let byName = Dictionary(source.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
                XCTAssertEqual(Set(byName.keys), Set(expected.map(\.name)), label)
                for want in expected {
                    let got = try XCTUnwrap(byName[want.name], "\(label): \(want.name)")
                    XCTAssertEqual(got.dtype, want.tensor.dtype, "\(label): \(want.name)")
                    XCTAssertEqual(got.shape, want.tensor.shape, "\(label): \(want.name)")
                    XCTAssertEqual(try got.data(), try want.tensor.data(), "\(label): \(want.name) bytes")
                }
                let module = try Inspector.inspect(source.tensors).selectModule(named: nil)
                let architecture = module.architecture
                XCTAssertEqual(module.name, "", label)
                XCTAssertEqual(architecture.mode.rawValue, pytorch.module.mode, label)
                XCTAssertEqual([architecture.inputSize, architecture.hiddenSize, architecture.numLayers],
                               [pytorch.module.input_size, pytorch.module.hidden_size, pytorch.module.num_layers], label)
                XCTAssertEqual(architecture.bidirectional, pytorch.module.bidirectional, label)
                XCTAssertEqual(architecture.bias, pytorch.module.bias, label)
                let hints = try XCTUnwrap(source.hints[""], label)
                XCTAssertEqual(hints.batchFirst, true, label)
                if architecture.mode == .rnn {
                    // The config records the activation; a weights file alone does not.
                    XCTAssertEqual(hints.nonlinearity?.rawValue, file == sidecar.model ? pytorch.flags.nonlinearity : nil, label)
                }
                XCTAssertEqual(hints.notes.isEmpty, file == sidecar.model, "\(label): \(hints.notes)")
                checked += 1
            }
        }
        XCTAssertEqual(checked, 14, "seven expressible models, two files each")
    }

    /// A GRU with reset_after=False: both files read it as the variant (the
    /// weights file by its one-row bias) and run to Keras's output.
    func testResetAfterFalseRunsToKeras() throws {
        let folder = Self.root.appendingPathComponent("gru_reset_after_false")
        let input = try VariantFixtureTests.singleTensor(folder.appendingPathComponent("input.npy").path)
        for file in ["model.keras", "model.weights.h5"] {
            let (module, _) = try VariantFixtureTests.module(folder.appendingPathComponent(file).path)
            XCTAssertFalse(module.architecture.variant.linearBeforeReset, file)
            let output = try module.forward(input: input, batchFirst: true)
            XCTAssertLessThan(try VariantFixtureTests.maxError(output, expected: folder.appendingPathComponent("expected.npz")), 1e-5, file)
        }
    }
}
