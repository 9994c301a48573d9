import Foundation
import XCTest

/// End-to-end tests of `rnnkit bench` through the built binary: what it
/// reports and how it refuses bad options (never how fast anything is).
final class BenchCommandTests: XCTestCase {
    func testJSONReportsTheRunAndTheYardstick() throws {
        let result = try CLI.run(["bench", "--mode", "GRU", "--input-size", "5", "--hidden-size", "7", "--batch", "2",
                                  "--steps", "3", "--threads", "1", "--repeat", "2", "--kernels", "portable", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["mode"] as? String, "GRU")
        XCTAssertEqual(object["runs"] as? Int, 2)
        XCTAssertEqual(object["kernels"] as? String, "portable")
        // 2·T·B·gates·H·(in + H) = 2·3·2·3·7·12
        XCTAssertEqual(object["flops"] as? Double, 3024)
        for key in ["median_ms", "min_ms", "max_ms", "sgemm_gflops", "cpu_ms_per_run"] {
            XCTAssertNotNil(object[key] as? Double, key)
        }
    }

    func testWeightFileModuleIsTimed() throws {
        let weights = CLI.fixtures.appendingPathComponent("lstm_2l_bi/weights.npz").path
        let result = try CLI.run(["bench", weights, "--batch", "1", "--steps", "2", "--repeat", "1", "--threads", "1"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("LSTM"), result.stdout)
        XCTAssertTrue(result.stdout.contains("of this run's sgemm"), result.stdout)
        XCTAssertTrue(result.stdout.contains("GFLOP/s, 1 thread)"), result.stdout)
    }

    func testBadOptionsAreUsageErrors() throws {
        XCTAssertEqual(try CLI.run(["bench", "--mode", "TRANSFORMER"]).status, 64)
        XCTAssertEqual(try CLI.run(["bench", "--kernels", "fastest"]).status, 64)
        XCTAssertEqual(try CLI.run(["bench", "--batch", "0"]).status, 64)
    }
}
