import XCTest
@testable import RNNEngine

final class BLASTests: XCTestCase {
    func testGemmABtMatchesLoops() {
        let a: [Float] = [1, 2, 3, 4, 5, 6]  // 2 × 3
        let b: [Float] = [1, 0, -1, 2, 1, 0, 0.5, 0.5, 0.5, 3, 2, 1]  // 4 × 3
        var c = [Float](repeating: 0, count: 8)
        BLAS.gemmABt(m: 2, n: 4, k: 3, a: a, lda: 3, b: b, ldb: 3, beta: 0, c: &c, ldc: 4)
        var expected = [Float](repeating: 0, count: 8)
        for i in 0 ..< 2 { for j in 0 ..< 4 { for p in 0 ..< 3 { expected[i * 4 + j] += a[i * 3 + p] * b[j * 3 + p] } } }
        XCTAssertEqual(c, expected)
    }
}
