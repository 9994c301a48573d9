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
        // A projection only an LSTM has, and smaller than its hidden size (the message used to speak of weight shapes).
        let gru = try CLI.run(["bench", "--mode", "GRU", "--proj-size", "2"])
        XCTAssertEqual(gru.status, 64)
        XCTAssertTrue(gru.stderr.contains("--proj-size is for --mode LSTM only"), gru.stderr)
        XCTAssertTrue(try CLI.run(["bench", "--proj-size", "8", "--hidden-size", "8"]).stderr.contains("must be smaller than --hidden-size (8)"))
        // A file's module is timed: sizes for a synthetic one were ignored, exit 0.
        let file = try CLI.run(["bench", CLI.fixtures.appendingPathComponent("lstm_1l/weights.pt").path, "--mode", "GRU", "--layers", "3"])
        XCTAssertEqual(file.status, 64, file.stdout)
        XCTAssertTrue(file.stderr.contains("--mode, --layers describe a synthetic module; WEIGHTS gives its own"), file.stderr)
    }

    /// Sizes whose input or weights cannot be allocated are refused before
    /// anything is (the process used to abort allocating 48 GB, signal 6).
    func testSizesBeyondMemoryAreRefusedNotCrashed() throws {
        for arguments in [["--batch", "3000000000", "--steps", "1"], ["--batch", "100000", "--steps", "100000"],
                          ["--batch", "\(Int.max / 2)", "--steps", "4"]] {
            let result = try CLI.run(["bench", "--repeat", "1"] + arguments)
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("of working memory, more than half of this machine's"), result.stderr)
        }
        let weights = try CLI.run(["bench", "--hidden-size", "10000000", "--repeat", "1"])
        XCTAssertEqual(weights.status, 64, weights.stderr)
        XCTAssertTrue(weights.stderr.contains("the synthetic module's weights take"), weights.stderr)
    }

    /// float64 runs the reference path whatever --kernels says, and the report says so.
    func testFloat64ReportsTheReferencePath() throws {
        let result = try CLI.run(["bench", "--dtype", "float64", "--kernels", "avx2", "--input-size", "3", "--hidden-size", "4",
                                  "--steps", "2", "--repeat", "1", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["kernels"] as? String, "reference")
        XCTAssertEqual(object["dtype"] as? String, "float64")
    }
}
