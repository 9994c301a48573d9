import Foundation
import RNNKit
import XCTest

/// `RNNModel.write(to:)`: what `rnnkit convert` writes, read back and run.
final class RNNModelWriteTests: XCTestCase {
    /// A bidirectional 2-layer GRU written to every target and opened again runs
    /// to PyTorch's outputs (Keras files batch-major, as they record).
    func testEveryTargetRoundTrips() throws {
        let folder = Fixtures.url("gru_2l_bi_f64")
        let model = try RNNModel(contentsOf: folder.appendingPathComponent("weights.npz"))
        let x = try Tensor(contentsOf: folder.appendingPathComponent("input.npy"))
        let expected = try Fixtures.arrays(folder.appendingPathComponent("expected.npz"))
        let out = try Fixtures.temporaryFolder(self)
        for name in ["gru.onnx", "gru.keras", "gru.weights.h5", "gru.safetensors", "gru.npz", "gru.h5", "gru_npy"] {
            let url = out.appendingPathComponent(name)
            try model.write(to: url)
            let back = try RNNModel(contentsOf: url)
            XCTAssertEqual(back.architecture, model.architecture, name)
            let y = try back.forward(input: x, batchFirst: false)
            try assertClose(y.output, expected["output"], "\(name) output")
            try assertClose(y.hN, expected["h_n"], "\(name) h_n")
        }
    }

    /// Only the module is written, under its own name, in the dtype asked for.
    func testAContainerHoldsTheModuleAlone() throws {
        let model = try RNNModel(contentsOf: Fixtures.url("multi_seq2seq_decoder/weights.npz"), module: "decoder")
        let url = try Fixtures.temporaryFolder(self).appendingPathComponent("decoder.safetensors")
        try model.write(to: url, dtype: .float16)
        let arrays = try Fixtures.arrays(url)
        XCTAssertEqual(Set(arrays.keys), ["decoder.weight_ih_l0", "decoder.weight_hh_l0", "decoder.bias_ih_l0", "decoder.bias_hh_l0"])
        XCTAssertTrue(arrays.values.allSatisfy { $0.dtype == .float16 })
    }

    /// An existing file is replaced only with `overwrite`; the model's own file never.
    func testWritingNeverReplacesWhatWasNotNamed() throws {
        let source = try Fixtures.temporaryFolder(self).appendingPathComponent("lstm.npz")
        try FileManager.default.copyItem(at: Fixtures.url("lstm_2l/weights.npz"), to: source)
        let model = try RNNModel(contentsOf: source)
        let before = try Data(contentsOf: source)
        XCTAssertThrowsError(try model.write(to: source, overwrite: true))
        XCTAssertEqual(try Data(contentsOf: source), before)

        let target = source.deletingLastPathComponent().appendingPathComponent("out.onnx")
        try Data("keep".utf8).write(to: target)
        XCTAssertThrowsError(try model.write(to: target))
        XCTAssertEqual(try Data(contentsOf: target), Data("keep".utf8))
        try model.write(to: target, overwrite: true)
        XCTAssertEqual(try RNNModel(contentsOf: target).architecture, model.architecture)
    }

    /// A suffix rnnkit does not write is refused before anything is created.
    func testAnUnknownSuffixIsRefused() throws {
        let model = try RNNModel(contentsOf: Fixtures.url("lstm_2l/weights.npz"))
        let url = try Fixtures.temporaryFolder(self).appendingPathComponent("lstm.txt")
        XCTAssertThrowsError(try model.write(to: url)) { XCTAssertEqual($0 as? TensorFileError, TensorFileError(file: url.path, .unknownSuffix("txt"))) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
    }

    /// `Tensor.write(to:)` writes a `.npy` that reads back bit for bit.
    func testTensorWriteRoundTrips() throws {
        let x = try Tensor(contentsOf: Fixtures.url("lstm_2l/input.npy"))
        let url = try Fixtures.temporaryFolder(self).appendingPathComponent("x.npy")
        try x.write(to: url)
        XCTAssertEqual(try Tensor(contentsOf: url).floats(), try x.floats())
        XCTAssertThrowsError(try x.write(to: url))
        try x.write(to: url, overwrite: true)
    }
}
