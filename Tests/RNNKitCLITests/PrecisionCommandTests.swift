import Foundation
import TensorFiles
import XCTest

/// The CLI on Keras models whose dtype policy computes below float32
/// (Fixtures/keras_precision/): `run`, `verify`'s engine and `convert`
/// refuse them (exit 2, the policy and `--full-precision` named, no file
/// left), `inspect` says so, and with `--full-precision` `run` gives what
/// Keras computes on the same weights in float32.
final class PrecisionCommandTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("precision-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// Every fixture folder with its policy (from its `precision.json`).
    private func cases() throws -> [(name: String, policy: String)] {
        let root = CLI.fixtures.appendingPathComponent("keras_precision")
        let names = try FileManager.default.contentsOfDirectory(atPath: root.path).filter {
            FileManager.default.fileExists(atPath: root.appendingPathComponent("\($0)/precision.json").path)
        }.sorted()
        XCTAssertGreaterThanOrEqual(names.count, 5)
        return try names.map { name in
            let data = try Data(contentsOf: root.appendingPathComponent("\(name)/precision.json"))
            let sidecar = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
            return (name, try XCTUnwrap(sidecar["policy"] as? String))
        }
    }

    private func fixture(_ name: String, _ file: String) -> String {
        CLI.fixtures.appendingPathComponent("keras_precision/\(name)/\(file)").path
    }

    private func largestDifference(_ a: Tensor, _ b: Tensor) throws -> Float {
        XCTAssertEqual(a.shape, b.shape)
        return zip(try a.floats(), try b.floats()).map { abs($0 - $1) }.max() ?? .infinity
    }

    func testRunIsRefusedWithoutFullPrecision() throws {
        for (name, policy) in try cases() {
            let output = folder.appendingPathComponent("\(name).npz").path
            let run = try CLI.run(["run", fixture(name, "model.keras"), "--input", fixture(name, "input.npy"), "--output", output])
            XCTAssertEqual(run.status, 2, "\(name): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("dtype policy '\(policy)'"), "\(name): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("--full-precision"), "\(name): \(run.stderr)")
            XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: output), name)
        }
    }

    func testFullPrecisionRunGivesKerasFloat32Numbers() throws {
        for (name, _) in try cases() {
            let output = folder.appendingPathComponent("\(name).npz").path
            let run = try CLI.run(["run", fixture(name, "model.keras"), "--input", fixture(name, "input.npy"), "--output", output,
                                   "--full-precision"])
            XCTAssertEqual(run.status, 0, "\(name): \(run.stderr)")
            let got = try TensorFile.open(output), want = try TensorFile.open(fixture(name, "expected.npz"))
            for array in ["output", "h_n", "c_n"] {
                guard let expected = want.tensor(named: "\(array)_float32") else { continue }
                let have = try XCTUnwrap(got.tensor(named: array), "\(name) \(array)")
                XCTAssertLessThan(try largestDifference(have, expected), 1e-5, "\(name) \(array)")
            }
            // What Keras computes in the policy's dtype is farther off than any tolerance:
            // the reason for refusing without the flag.
            let reduced = try XCTUnwrap(want.tensor(named: "output"))
            XCTAssertGreaterThan(try largestDifference(try XCTUnwrap(got.tensor(named: "output")), reduced), 1e-4, name)
        }
    }

    func testTfKerasMixedPrecisionIsReadFromItsPolicyObject() throws {
        // Fixtures/keras2/lstm_mixed_float16: tf_keras writes {"class_name": "Policy", "config": {"name": "mixed_float16"}}.
        let base = CLI.fixtures.appendingPathComponent("keras2/lstm_mixed_float16")
        let output = folder.appendingPathComponent("keras2.npz").path
        let input = base.appendingPathComponent("input.npy").path
        let refused = try CLI.run(["run", base.appendingPathComponent("model.h5").path, "--input", input, "--output", output])
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("dtype policy 'mixed_float16'"), refused.stderr)
        let run = try CLI.run(["run", base.appendingPathComponent("model.h5").path, "--input", input, "--output", output, "--full-precision"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let want = try TensorFile.open(base.appendingPathComponent("expected.npz").path)
        let have = try XCTUnwrap(try TensorFile.open(output).tensor(named: "output"))
        XCTAssertLessThan(try largestDifference(have, try XCTUnwrap(want.tensor(named: "output_float32"))), 1e-5)
        XCTAssertGreaterThan(try largestDifference(have, try XCTUnwrap(want.tensor(named: "output"))), 1e-4)
    }

    func testConvertIsRefusedWithoutFullPrecisionAndNotesItWith() throws {
        let name = "lstm_mixed_float16"
        for suffix in [".onnx", ".keras", ".safetensors", ".npz"] {
            let output = folder.appendingPathComponent("out\(suffix)").path
            let refused = try CLI.run(["convert", fixture(name, "model.keras"), output])
            XCTAssertEqual(refused.status, 2, "\(suffix): \(refused.stderr)")
            XCTAssertTrue(refused.stderr.contains("dtype policy 'mixed_float16'") && refused.stderr.contains("--full-precision"),
                          refused.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: output), suffix)
            let written = try CLI.run(["convert", fixture(name, "model.keras"), output, "--full-precision", "--json"])
            XCTAssertEqual(written.status, 0, "\(suffix): \(written.stderr)")
            let result = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(written.stdout.utf8)) as? [String: Any])
            let kinds = (result["notes"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
            XCTAssertTrue(kinds.contains("precisionRaised"), "\(suffix): \(written.stdout)")
        }
    }

    func testConvertedForFullPrecisionRunsAsKerasFloat32() throws {
        let name = "gru_mixed_bfloat16"
        let converted = folder.appendingPathComponent("gru.safetensors").path
        let written = try CLI.run(["convert", fixture(name, "model.keras"), converted, "--full-precision"])
        XCTAssertEqual(written.status, 0, written.stderr)
        XCTAssertTrue(written.stdout.contains("note:") && written.stdout.contains("mixed_bfloat16"), written.stdout)
        // The container records no policy: it runs without the flag, in float32, as Keras would in float32.
        let output = folder.appendingPathComponent("gru.npz").path
        let run = try CLI.run(["run", converted, "--input", fixture(name, "input.npy"), "--batch-first", "--output", output])
        XCTAssertEqual(run.status, 0, run.stderr)
        let want = try XCTUnwrap(try TensorFile.open(fixture(name, "expected.npz")).tensor(named: "output_float32"))
        XCTAssertLessThan(try largestDifference(try XCTUnwrap(try TensorFile.open(output).tensor(named: "output")), want), 1e-5)
    }

    func testInspectSaysWhichLayerComputesBelowFloat32() throws {
        let text = try CLI.run(["inspect", fixture("bidirectional_gru_mixed_float16", "model.keras")])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("layer 'bidirectional' computes in float16 (dtype policy 'mixed_float16')"), text.stdout)
        let json = try CLI.run(["inspect", fixture("gru_mixed_bfloat16", "model.keras"), "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        XCTAssertTrue(json.stdout.contains("\"reducedPrecision\""), json.stdout)
        XCTAssertTrue(json.stdout.contains("\"compute\" : \"bfloat16\"") || json.stdout.contains("\"compute\":\"bfloat16\""), json.stdout)
    }
}
