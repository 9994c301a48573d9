import XCTest
import RNNKit

/// `RNNModel` runs what the file records, as `rnnkit run` does: the cell's
/// variant (ONNX/Keras options beyond PyTorch's), a stored initial state and
/// lengths, and the refusal of an input layout the file cannot tell.
/// Expected numbers are ONNX Runtime's (Fixtures/onnx, Fixtures/variants).
final class RNNModelRecordedTests: XCTestCase {
    /// Peepholes, clip and HardSigmoid gates: the cell the ONNX node computes, not nn.LSTM's.
    func testAVariantCellRunsAsTheFileRecordsIt() throws {
        let folder = Fixtures.url("variants/onnx/lstm_bi_peepholes_clip")
        let model = try RNNModel(contentsOf: folder.appendingPathComponent("model.onnx"))
        XCTAssertNotEqual(model.architecture.variant, RNNArchitecture(mode: .lstm, inputSize: 1, hiddenSize: 1).variant)
        let y = try model.forward(input: try Tensor(contentsOf: folder.appendingPathComponent("input.npy")))
        let expected = try Fixtures.arrays(folder.appendingPathComponent("expected.npz"))
        try assertClose(y.output, expected["output"], "output (ONNX Runtime)")
        try assertClose(y.hN, expected["h_n"], "h_n (ONNX Runtime)")
    }

    /// A constant initial_h/initial_c and sequence_lens are the defaults of h0, c0 and lengths.
    func testStoredStateAndLengthsAreTheDefaults() throws {
        let folder = Fixtures.url("onnx/lstm_constant_state_lengths")
        let model = try RNNModel(contentsOf: folder.appendingPathComponent("model.onnx"))
        let x = try Tensor(contentsOf: folder.appendingPathComponent("input.npy"))
        let expected = try Fixtures.arrays(folder.appendingPathComponent("expected.npz"))
        let y = try model.forward(input: x)
        try assertClose(y.output, expected["output"], "output (ONNX Runtime)")
        try assertClose(y.hN, expected["h_n"], "h_n (ONNX Runtime)")
        // Zeros given explicitly override the stored state, and change the numbers.
        let zeros = try Tensor(dtype: .float32, shape: y.hN.shape, data: Data(count: y.hN.shape.reduce(1, *) * 4))
        let overridden = try model.forward(input: x, h0: zeros)
        XCTAssertNotEqual(try overridden.hN.floats(), try y.hN.floats())
    }

    /// A layout the graph does not tell must be given.
    func testAnUnknownLayoutMustBeGiven() throws {
        let folder = Fixtures.url("onnx/gru_layout_unknown")
        let model = try RNNModel(contentsOf: folder.appendingPathComponent("model.onnx"))
        let x = try Tensor(contentsOf: folder.appendingPathComponent("input.npy"))
        XCTAssertThrowsError(try model.forward(input: x)) { error in
            guard let error = error as? FileInputError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.file, folder.appendingPathComponent("model.onnx").path)
            XCTAssertEqual(error.underlying as? StoredInputError, .layoutUnknown(module: .root))
        }
        let y = try model.forward(input: x, batchFirst: false)
        try assertClose(y.output, try Fixtures.arrays(folder.appendingPathComponent("expected.npz"))["output"], "output (ONNX Runtime)")
    }
}
