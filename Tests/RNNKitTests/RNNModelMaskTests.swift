import Foundation
import RNNKit
import TensorFiles
import XCTest

/// A module a Keras file masks runs through `RNNModel` as Keras ran it
/// (Fixtures/keras/*: outputs saved by Keras 3), as `rnnkit run` does.
final class RNNModelMaskTests: XCTestCase {
    func testMaskingBeforeTheModuleIsApplied() throws {
        let folder = "keras/masking_lstm"
        let model = try RNNModel(contentsOf: Fixtures.url("\(folder)/model.keras"))
        let y = try model.forward(input: try Tensor(contentsOf: Fixtures.url("\(folder)/holes.npy")))
        let expected = try Fixtures.arrays(Fixtures.url("\(folder)/holes_expected.npz"))
        try assertClose(y.output, expected["output"], "output")
        try assertClose(y.hN, expected["h_n"], "h_n")
        try assertClose(y.cN, expected["c_n"], "c_n")
        XCTAssertThrowsError(try model.forward(input: try Tensor(contentsOf: Fixtures.url("\(folder)/holes.npy")), lengths: [6, 6, 6])) { error in
            guard case .secondMask? = error as? StoredInputError else { return XCTFail("\(error)") }
        }
    }

    func testAnUpstreamMaskIsGivenAsLengths() throws {
        let folder = "keras/embedding_mask_zero_lstm"
        let model = try RNNModel(contentsOf: Fixtures.url("\(folder)/model.keras"))
        let input = try Tensor(contentsOf: Fixtures.url("\(folder)/input.npy"))
        let lengths = try Tensor(contentsOf: Fixtures.url("\(folder)/input_lengths.npy")).int64s().map { Int($0) }
        let y = try model.forward(input: input, lengths: lengths)
        let expected = try Fixtures.arrays(Fixtures.url("\(folder)/input_expected.npz"))
        try assertClose(y.output, expected["output"], "output")
        try assertClose(y.hN, expected["h_n"], "h_n")
        try assertClose(y.cN, expected["c_n"], "c_n")
        XCTAssertThrowsError(try model.forward(input: input)) { error in
            guard case .maskNeedsLengths? = error as? StoredInputError else { return XCTFail("\(error)") }
            // The library says what is needed, never a CLI flag.
            XCTAssertEqual("\(error)", "the Embedding layer 'embedding' (mask_zero=True) masks this module's input with a mask rnnkit "
                + "cannot compute from it; it needs each sequence's number of unmasked steps (which must come first), "
                + "and rnnkit skips the rest as Keras does")
        }
    }
}
