import RNNKit
import XCTest

/// Every execution path (kernels × threads) reproduces PyTorch on every fixture.
final class ExecutionPathFixtureTests: XCTestCase {
    /// Every kernel choice on one and two threads.
    static let paths = [ExecutionOptions.Kernels.reference, .avx2, .portable].flatMap { kernels in
        [1, 2].map { ExecutionOptions(threads: $0, kernels: kernels) }
    }

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
