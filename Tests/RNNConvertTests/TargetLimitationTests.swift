import RNNLayouts
import TensorFiles
import XCTest
@testable import RNNConvert

/// What ONNX and Keras cannot hold of a module, as typed limitations, and
/// the wording of the refusal.
final class TargetLimitationTests: XCTestCase {
    func testProjectionFitsNeitherONNXNorKeras() {
        let projected = RNNArchitecture(mode: .lstm, inputSize: 5, hiddenSize: 8, projSize: 3)
        for target in [FileFormat.onnx, .keras, .kerasWeights] {
            XCTAssertEqual(projected.limitations(in: target), [.projection(projSize: 3)], "\(target)")
            XCTAssertFalse(projected.fits(target), "\(target)")
        }
        let plain = RNNArchitecture(mode: .lstm, inputSize: 5, hiddenSize: 8, numLayers: 2, bidirectional: true)
        for target in FileFormat.allCases {
            XCTAssertTrue(plain.fits(target), "\(target)")
        }
        // The PyTorch-name containers are refused by `cellNotPyTorch`, not here.
        XCTAssertTrue(projected.fits(.safetensors))
    }

    func testKerasCannotHoldONNXsCellOptions() {
        var lstm = RNNArchitecture(mode: .lstm, inputSize: 5, hiddenSize: 8)
        lstm.variant.peepholes = true
        lstm.variant.clip = 2
        lstm.variant.inputForget = true
        lstm.variant.direction = .reverse
        lstm.variant.gate = .keras2HardSigmoid
        lstm.variant.output = .relu
        XCTAssertEqual(lstm.limitations(in: .keras), [
            .peepholes(kind: .layer), .clip(2), .inputForget, .reverseDirection, .activation(.keras2HardSigmoid),
            .distinctOutputActivation(candidate: .tanh, output: .relu),
        ])
        XCTAssertEqual(lstm.limitations(in: .onnx), [])
        var sigmoid = RNNArchitecture(mode: .gru, inputSize: 5, hiddenSize: 8)
        sigmoid.variant.gate = .keras3HardSigmoid
        XCTAssertTrue(sigmoid.fits(.keras), "Keras 3's hard_sigmoid has a name")
    }

    func testONNXCannotHoldKerasDirectionLayouts() {
        var bidirectional = RNNArchitecture(mode: .gru, inputSize: 5, hiddenSize: 8, bidirectional: true)
        bidirectional.variant.merge = .ave
        XCTAssertEqual(bidirectional.limitations(in: .onnx), [.directionMerge(.ave)])
        XCTAssertTrue(bidirectional.fits(.keras))
        var backwards = RNNArchitecture(mode: .rnn, inputSize: 5, hiddenSize: 8)
        backwards.variant.direction = .backwards
        XCTAssertEqual(backwards.limitations(in: .onnx), [.goBackwards])
        XCTAssertTrue(backwards.fits(.keras))
    }

    /// The exact wording of the most common refusal: a projected LSTM.
    func testRefusalWording() {
        let error = ConversionError.targetCannotHold(module: ModulePath("encoder"), target: .onnx, .projection(projSize: 3))
        XCTAssertEqual(error.description, "encoder: cannot write ONNX model: an LSTM with proj_size=3 projects its state (weight_hr), "
            + "which neither the ONNX LSTM operator nor keras.layers.LSTM does, and rnnkit does not write a different network under the same name")
        XCTAssertEqual(TargetLimitation.peepholes(kind: .cell).description,
                       "peepholes: keras.layers.LSTM has none (nor has PyTorch's nn.LSTMCell); convert to .onnx, which keeps them")
    }
}
