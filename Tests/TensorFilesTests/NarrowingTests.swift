import Foundation
import XCTest
@testable import TensorFiles

/// `Tensor.firstOverflow(narrowingTo:)`: the first finite value that a
/// narrowing conversion would round to infinity, at the boundaries the
/// conversion itself rounds at (ties to even), checked against the
/// conversion (`converted(to:)`) rather than typed limits alone.
final class NarrowingTests: XCTestCase {
    /// Each boundary value, and the float just below it, converted: the
    /// check flags exactly the values the conversion writes as infinity.
    func testTheCheckFlagsExactlyWhatTheConversionMakesInfinite() throws {
        for target in [DType.float16, .bfloat16] {
            let threshold = Float(bitPattern: try XCTUnwrap(target.overflowThreshold))
            for value in [threshold, threshold.nextDown, -threshold, -threshold.nextDown, 1, 0] {
                let tensor = Tensor(shape: [1], floats: [value])
                let written = try tensor.converted(to: target).floats()[0]
                let flagged = try tensor.firstOverflow(narrowingTo: target) != nil
                XCTAssertEqual(flagged, written.isInfinite, "\(value) → \(target): written \(written)")
            }
        }
        let below = Float.greatestFiniteMagnitude
        for value in [Double(below), Double(below).nextUp, Double(below) + Double(below.ulp) / 2, 1e300, -1e300, 1e-300] {
            let tensor = Tensor(shape: [1], doubles: [value])
            let written = try tensor.converted(to: .float32).floats()[0]
            XCTAssertEqual(try tensor.firstOverflow(narrowingTo: .float32) != nil, written.isInfinite, "\(value) → float32")
        }
        // float64 → float16 rounds to float32 first: 65520 − 2⁻⁹ rounds up to 65520, then to infinity.
        let twice = Tensor(shape: [1], doubles: [65520 - 0x1p-9])
        XCTAssertTrue(try twice.converted(to: .float16).floats()[0].isInfinite)
        XCTAssertNotNil(try twice.firstOverflow(narrowingTo: .float16))
    }

    /// The index and value of the first overflow, past the vectorized blocks'
    /// boundaries; infinities and NaNs the input already holds are not overflows.
    func testTheFirstOverflowIsFoundWhereverItIs() throws {
        for position in [0, 4095, 4096, 10_000] {
            var values = [Float](repeating: 0.5, count: 10_001)
            values[position / 2] = .infinity
            values[position / 3] = .nan
            values[position] = -70_000
            values[10_000] = 80_000
            let found = try XCTUnwrap(try Tensor(shape: [values.count], floats: values).firstOverflow(narrowingTo: .float16))
            XCTAssertEqual(found.index, position)
            XCTAssertEqual(found.value, position == 10_000 ? 80_000 : -70_000)
        }
        let quiet = Tensor(shape: [3], floats: [.infinity, -.infinity, .nan])
        XCTAssertNil(try quiet.firstOverflow(narrowingTo: .float16))
        let doubles = Tensor(shape: [5000], doubles: (0 ..< 5000).map { $0 == 4097 ? 1e39 : Double($0) })
        XCTAssertEqual(try doubles.firstOverflow(narrowingTo: .float32)?.index, 4097)
        let bfloat = try Tensor(shape: [2], floats: [1, 1e30]).converted(to: .bfloat16)
        XCTAssertEqual(try bfloat.firstOverflow(narrowingTo: .float16)?.index, 1)
    }

    /// Widening never overflows, nor does float16 into anything.
    func testWideningIsNeverRefused() throws {
        let large = Tensor(shape: [1], floats: [3e38])
        XCTAssertNil(try large.firstOverflow(narrowingTo: .float64))
        XCTAssertNil(try large.firstOverflow(narrowingTo: .float32))
        let half = try Tensor(shape: [1], floats: [65504]).converted(to: .float16)
        XCTAssertNil(try half.firstOverflow(narrowingTo: .bfloat16))
        XCTAssertNil(try Tensor(shape: [1], int64s: [1 << 40]).firstOverflow(narrowingTo: .float16))
    }
}
