import Foundation
import RNNEngine
import RNNLayouts
import TensorFiles
import XCTest
@testable import RNNConvert

/// A Keras 3 model whose dtype policy is `bfloat16`
/// (Fixtures/keras_precision/lstm_bfloat16, saved by Keras): its variables
/// are stored as 2-byte opaque data tagged dtype="bfloat16". They are read as
/// bfloat16 tensors, and the LSTM they make, computed in float32, gives what
/// Keras computes in float32 on those very weights (`*_float32` in
/// `expected.npz`).
final class KerasBFloat16WeightsTests: XCTestCase {
    private static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/keras_precision/lstm_bfloat16")

    func testBFloat16VariablesAreReadAndRunToKerasFloat32Output() throws {
        let source = try ModelSource.open(Self.folder.appendingPathComponent("model.keras").path)
        let byName = Dictionary(source.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        for (name, shape) in [("weight_ih_l0", [20, 4]), ("weight_hh_l0", [20, 5]), ("bias_ih_l0", [20])] {
            let tensor = try XCTUnwrap(byName[name], "\(name) in \(byName.keys.sorted())")
            XCTAssertEqual(tensor.dtype, .bfloat16, name)
            XCTAssertEqual(tensor.shape, shape, name)
        }

        let (module, hints) = try VariantFixtureTests.module(Self.folder.appendingPathComponent("model.keras").path)
        let input = try VariantFixtureTests.singleTensor(Self.folder.appendingPathComponent("input.npy").path)
        let network = try RNNNetwork(module: module, nonlinearity: hints?.nonlinearity ?? .tanh, computeType: .float32)
        let output = try network.forward(input: input, batchFirst: hints?.batchFirst ?? true)
        let expected = try TensorFile.open(Self.folder.appendingPathComponent("expected.npz").path)
        for (name, got) in [("output_float32", output.output), ("h_n_float32", output.hN), ("c_n_float32", output.cN)] {
            let want = try XCTUnwrap(expected.tensor(named: name), name)
            let result = try XCTUnwrap(got, name)
            XCTAssertEqual(result.shape, want.shape, name)
            let worst = zip(try result.floats(), try want.floats()).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThan(worst, 1e-5, name)
        }
    }
}
