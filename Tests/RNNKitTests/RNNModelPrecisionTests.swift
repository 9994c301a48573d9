import Foundation
import RNNKit
import TensorFiles
import XCTest

/// A module that its Keras dtype policy computes below float32
/// (Fixtures/keras_precision/) opens through `RNNModel`, which says so, and
/// refuses to run or be written unless it was opened with `fullPrecision`;
/// then it gives Keras's numbers on the same weights in float32.
final class RNNModelPrecisionTests: XCTestCase {
    private let folder = "keras_precision/lstm_mixed_float16"

    func testRefusedUnlessOpenedForFullPrecision() throws {
        let model = try RNNModel(contentsOf: Fixtures.url("\(folder)/model.keras"))
        let recorded = try XCTUnwrap(model.reducedPrecision)
        XCTAssertEqual(recorded.policy, "mixed_float16")
        XCTAssertEqual(recorded.compute, .float16)
        XCTAssertEqual(recorded.layer, "lstm")
        let input = try Tensor(contentsOf: Fixtures.url("\(folder)/input.npy"))
        XCTAssertThrowsError(try model.forward(input: input)) { error in
            guard case .reducedPrecision? = (error as? FileInputError)?.underlying as? StoredInputError else { return XCTFail("\(error)") }
        }
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("precision-\(UUID().uuidString).onnx")
        defer { try? FileManager.default.removeItem(at: target) }
        XCTAssertThrowsError(try model.write(to: target)) { error in
            guard case .reducedPrecision? = error as? ConversionError else { return XCTFail("\(error)") }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: target.path))
    }

    func testFullPrecisionRunsAsKerasInFloat32() throws {
        let model = try RNNModel(contentsOf: Fixtures.url("\(folder)/model.keras"), fullPrecision: true)
        let y = try model.forward(input: try Tensor(contentsOf: Fixtures.url("\(folder)/input.npy")))
        let expected = try Fixtures.arrays(Fixtures.url("\(folder)/expected.npz"))
        try assertClose(y.output, expected["output_float32"], "output")
        try assertClose(y.hN, expected["h_n_float32"], "h_n")
        try assertClose(y.cN, expected["c_n_float32"], "c_n")
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("precision-\(UUID().uuidString).onnx")
        defer { try? FileManager.default.removeItem(at: target) }
        let written = try model.write(to: target)
        XCTAssertTrue(written.notes.contains { if case .precisionRaised = $0 { return true } else { return false } }, "\(written.notes)")
    }
}

/// A PyTorch module whose file names code rnnkit cannot run (a subclass of
/// nn.LSTM with its own forward, Fixtures/torch_code/) opens through
/// `RNNModel`, which says so, and runs only when opened with
/// `assumePyTorchForward`: then as torch.nn.LSTM's forward on its weights.
final class RNNModelCodeTests: XCTestCase {
    func testRefusedUnlessPyTorchsForwardIsAssumed() throws {
        let url = Fixtures.url("torch_code/subclass_forward.pt")
        let input = try Tensor(contentsOf: Fixtures.url("torch_code/input.npy"))
        let model = try RNNModel(contentsOf: url)
        XCTAssertEqual(model.unrunCode, UnrunModuleCode(className: "__main__.ScaledLSTM", hooks: []))
        XCTAssertThrowsError(try model.forward(input: input)) { error in
            guard case .unrunCode? = (error as? FileInputError)?.underlying as? StoredInputError else { return XCTFail("\(error)") }
        }
        let assumed = try RNNModel(contentsOf: url, assumePyTorchForward: true)
        let expected = try Fixtures.arrays(Fixtures.url("torch_code/expected.npz"))
        try assertClose(try assumed.forward(input: input).output, expected["subclass_forward_pytorch"], "output")
    }
}
