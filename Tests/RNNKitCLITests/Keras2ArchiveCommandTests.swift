import Foundation
import TensorFiles
import XCTest

/// tf_keras's own `.keras` archives (Fixtures/keras2/archives/, made by
/// `keras2_files.py --archives-only`): the same members as Keras 3's, Keras 2's
/// math. `run` reproduces tf_keras's `predict` or refuses as `archives.json` says.
/// Until December 2026 such a file was read as Keras 3's: `hard_sigmoid` as
/// x/6 + 0.5 (0.09 off), a Bidirectional around a `go_backwards` layer as a
/// plain one, and a decoder's `initial_state` (also in a `.h5` model) dropped
/// (0.25 off), each with exit 0; a CuDNNLSTM gave only "no recurrent module
/// found".
final class Keras2ArchiveCommandTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnnkit-keras2-archives-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private var fixtures: URL { CLI.fixtures.appendingPathComponent("keras2/archives") }

    /// Each file's requests (`run`, `module NAME`, `convert_keras`) and what they must give.
    private func requests() throws -> [(file: String, request: String, outcome: Any)] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent("archives.json"))) as? [String: Any]
        let files = try XCTUnwrap(object?["files"] as? [String: [String: Any]])
        return files.keys.sorted().flatMap { file in files[file]!.keys.sorted().map { (file, $0, files[file]![$0]!) } }
    }

    func testRunMatchesTfKerasOrRefuses() throws {
        let expected = try TensorFile.open(fixtures.appendingPathComponent("expected.npz").path)
        var compared = 0, refused = 0
        for (file, request, outcome) in try requests() where request != "convert_keras" {
            let label = "\(file) \(request)"
            let output = folder.appendingPathComponent("\(file)-\(request).npz").path
            var arguments = ["run", fixtures.appendingPathComponent(file).path, "--input", fixtures.appendingPathComponent("input.npy").path,
                             "--output", output]
            if request.hasPrefix("module ") { arguments += ["--module", String(request.dropFirst("module ".count))] }
            let result = try CLI.run(arguments)
            if let refusal = outcome as? [String] {
                XCTAssertEqual(result.status, 2, "\(label): \(result.stderr)")
                XCTAssertTrue(result.stderr.contains(refusal[1]), "\(label): \(result.stderr)")
                XCTAssertFalse(FileManager.default.fileExists(atPath: output), label)
                refused += 1
                continue
            }
            XCTAssertEqual(result.status, 0, "\(label): \(result.stderr)")
            for (array, member) in try XCTUnwrap(outcome as? [String: String], label) {
                let got = try XCTUnwrap(TensorFile.open(output).tensor(named: array), label)
                let want = try XCTUnwrap(expected.tensor(named: member), label)
                XCTAssertEqual(got.shape, want.shape, label)
                let difference = zip(try got.floats(), try want.floats()).map { abs($0 - $1) }.max() ?? .infinity
                XCTAssertLessThan(difference, 1e-5, "\(label): \(array) against tf_keras's \(member)")
                compared += 1
            }
        }
        XCTAssertEqual(compared, 4)
        XCTAssertEqual(refused, 4)
    }

    /// Keras 2's hard_sigmoid (0.2x + 0.5) has no Keras 3 name: a `.keras`
    /// target would compute Keras 3's; a container keeps the weights.
    func testKeras2HardSigmoidIsNotWrittenAsKeras3s() throws {
        for (file, request, outcome) in try requests() where request == "convert_keras" {
            let refusal = try XCTUnwrap(outcome as? [String])
            let target = folder.appendingPathComponent("\(file).keras").path
            let result = try CLI.run(["convert", fixtures.appendingPathComponent(file).path, target])
            XCTAssertEqual(result.status, 2, "\(file): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(refusal[1]), "\(file): \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: target), file)
        }
        let inspected = try CLI.run(["inspect", fixtures.appendingPathComponent("lstm_hard_sigmoid.keras").path])
        XCTAssertEqual(inspected.status, 0, inspected.stderr)
        XCTAssertTrue(inspected.stdout.contains("Keras 2 (tf_keras) model"), inspected.stdout)
        XCTAssertTrue(inspected.stdout.contains("hard_sigmoid(0.2x + 0.5)"), inspected.stdout)
    }
}
