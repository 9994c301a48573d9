import RNNKit
import XCTest

/// Every execution path (kernels × threads × GEMM) reproduces PyTorch on every fixture.
final class ExecutionPathFixtureTests: XCTestCase {
    /// Every kernel choice on one and two threads (oneDNN's GEMM), and the
    /// packed kernels with OpenBLAS's GEMM.
    static let paths = [ExecutionOptions.Kernels.reference, .avx512, .avx2, .portable].flatMap { kernels in
        [1, 2].map { ExecutionOptions(threads: $0, kernels: kernels) }
    } + [ExecutionOptions(threads: 2, kernels: .avx512, gemm: .openblas), ExecutionOptions(threads: 1, kernels: .avx2, gemm: .openblas)]

    func testEveryFixturePassesOnEveryPath() throws {
        let (folders, _) = try FixtureParityTests.runnableFixtures()
        XCTAssertGreaterThanOrEqual(folders.count, 40)
        for options in Self.paths {
            for folder in folders {
                let result = try FixtureVerifier.verify(folder: folder, execution: options)
                XCTAssertFalse(result.comparisons.isEmpty)
                for comparison in result.comparisons where !comparison.passed {
                    XCTFail("\(folder) with \(options): \(comparison.name) max abs error \(comparison.maxAbsError)")
                }
            }
        }
    }
}
