import TensorFiles
import XCTest
@testable import RNNEngine

/// The pass/fail rule `verify` applies: |a − e| ≤ atol + rtol·|e|, shapes equal, NaN only against NaN.
final class ComparisonTests: XCTestCase {
    private let strict = Tolerance(atol: 1e-5, rtol: 0)

    func testWithinAndOutsideAbsoluteTolerance() throws {
        let expected = Tensor(shape: [3], floats: [1, -2, 0])
        let close = try TensorComparison.compare(name: "output", actual: Tensor(shape: [3], floats: [1, -2, 5e-6]),
                                                 expected: expected, tolerance: strict)
        XCTAssertTrue(close.passed)
        let far = try TensorComparison.compare(name: "output", actual: Tensor(shape: [3], floats: [1, -1.5, 0]),
                                               expected: expected, tolerance: strict)
        XCTAssertFalse(far.passed)
        XCTAssertEqual(far.mismatches, 1)
        XCTAssertEqual(far.maxAbsError, 0.5, accuracy: 1e-12)
        XCTAssertEqual(far.maxRelError, 0.25, accuracy: 1e-12)
    }

    func testRelativeToleranceScalesWithTheExpectedValue() throws {
        let expected = Tensor(shape: [2], doubles: [1000, 0.001])
        let actual = Tensor(shape: [2], doubles: [1000.5, 0.001])
        XCTAssertFalse(try TensorComparison.compare(name: "h_n", actual: actual, expected: expected, tolerance: strict).passed)
        XCTAssertTrue(try TensorComparison.compare(name: "h_n", actual: actual, expected: expected,
                                                   tolerance: Tolerance(atol: 1e-5, rtol: 1e-3)).passed)
    }

    func testShapeMismatchAndMissingTensorFail() throws {
        let expected = Tensor(shape: [2, 2], floats: [1, 2, 3, 4])
        let reshaped = try TensorComparison.compare(name: "output", actual: Tensor(shape: [4], floats: [1, 2, 3, 4]),
                                                    expected: expected, tolerance: strict)
        XCTAssertFalse(reshaped.passed)
        XCTAssertEqual(reshaped.actualShape, [4])
        let missing = try TensorComparison.compare(name: "c_n", actual: nil, expected: expected, tolerance: strict)
        XCTAssertFalse(missing.passed)
        XCTAssertNil(missing.actualShape)
    }

    func testNaNPassesOnlyAgainstNaN() throws {
        let expected = Tensor(shape: [2], floats: [.nan, 1])
        XCTAssertTrue(try TensorComparison.compare(name: "output", actual: Tensor(shape: [2], floats: [.nan, 1]),
                                                   expected: expected, tolerance: strict).passed)
        let oneSided = try TensorComparison.compare(name: "output", actual: Tensor(shape: [2], floats: [.nan, .nan]),
                                                    expected: expected, tolerance: strict)
        XCTAssertFalse(oneSided.passed)
        XCTAssertEqual(oneSided.maxAbsError, .infinity)
    }

    func testDefaultsFollowTheComputeType() {
        XCTAssertEqual(Tolerance.default(for: .float32), Tolerance(atol: 1e-5, rtol: 0))
        XCTAssertEqual(Tolerance.default(for: .float64), Tolerance(atol: 1e-10, rtol: 0))
    }
}
