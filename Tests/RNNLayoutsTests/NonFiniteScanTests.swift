import Foundation
import TensorFiles
import XCTest
@testable import RNNLayouts

/// NaN and ±Inf in a module's weights are problems; the scan reads module tensors only.
final class NonFiniteScanTests: XCTestCase {
    let architecture = RNNArchitecture(mode: .gru, inputSize: 3, hiddenSize: 2)

    func tensors(poisoning name: String, with value: Float, at index: Int, dtype: DType) throws -> [NamedTensor] {
        var like = architecture
        like.dtype = dtype
        var tensors = TestTensors.module(like)
        guard let position = tensors.firstIndex(where: { $0.name == name }) else {
            XCTFail("no \(name)")
            return tensors
        }
        let original = tensors[position].tensor
        var values = [Float](repeating: 0.5, count: original.elementCount)
        values[index] = value
        tensors[position].tensor = try Tensor(shape: original.shape, floats: values).converted(to: dtype)
        return tensors
    }

    func testEveryFloatTypeReportsNaNAndInfWithTheFirstIndex() throws {
        for dtype in [DType.float16, .bfloat16, .float32, .float64] {
            for (value, nan) in [(Float.nan, 1), (Float.infinity, 0), (-Float.infinity, 0)] {
                // weight_hh_l0 is (6, 2): flat index 5 is [2, 1].
                let poisoned = try tensors(poisoning: "weight_hh_l0", with: value, at: 5, dtype: dtype)
                var inspection = Inspector.inspect(poisoned)
                XCTAssertEqual(inspection.problems.count, 0)
                inspection = try Inspector.inspect(poisoned, checkingValues: true)
                XCTAssertEqual(TestTensors.problemTensors(inspection), ["weight_hh_l0"], "\(dtype) \(value)")
                XCTAssertEqual(inspection.problems.first?.kind, .nonFinite(nan: nan, infinite: 1 - nan, first: [2, 1]), "\(dtype) \(value)")
            }
        }
    }

    func testCountsEveryNonFiniteValue() throws {
        var tensors = TestTensors.module(architecture)
        tensors[0].tensor = Tensor(shape: [6, 3], floats: [.nan, 1, .infinity, 2, .nan, 3] + [Float](repeating: 0, count: 12))
        let inspection = try Inspector.inspect(tensors, checkingValues: true)
        XCTAssertEqual(inspection.problems.first?.kind, .nonFinite(nan: 2, infinite: 1, first: [0, 0]))
        // The exact wording inspect prints.
        XCTAssertEqual(inspection.problems.first?.message, "3 non-finite values (2 NaN, 1 ±Inf), first at [0, 0]; "
                       + "every step that uses this tensor would carry them into h, output and h_n")
    }

    func testFiniteExtremesAndOtherTensorsAreNotReported() throws {
        var tensors = TestTensors.module(architecture)
        tensors[1].tensor = Tensor(shape: [6, 2], floats: [.greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                                                           .leastNonzeroMagnitude, -0.0, 1, 2, 3, 4, 5, 6, 7, 8])
        tensors.append(NamedTensor(name: "embedding.weight", tensor: Tensor(shape: [2], floats: [.nan, .infinity])))
        XCTAssertEqual(try Inspector.inspect(tensors, checkingValues: true).problems, [])
    }

    func testUnreadableDataIsAnError() {
        var tensors = TestTensors.module(architecture)
        tensors[0].tensor = Tensor(dtype: .float32, shape: [6, 3]) {
            throw TensorFileError(file: "broken.npy", .truncated(needed: 72, available: 10))
        }
        XCTAssertThrowsError(try Inspector.inspect(tensors, checkingValues: true)) { error in
            XCTAssertEqual(error as? TensorFileError, TensorFileError(file: "broken.npy", .truncated(needed: 72, available: 10)))
        }
    }
}
