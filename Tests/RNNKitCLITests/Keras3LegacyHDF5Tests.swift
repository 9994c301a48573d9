import Foundation
import XCTest

/// Keras 3 models saved as legacy HDF5 (Fixtures/keras3_h5/, `model.save("m.h5")`):
/// Keras 2's container around Keras 3's config, whose hard_sigmoid and keys
/// are not Keras 2's. `run`, `convert` and `inspect` refuse them with one
/// line naming the format and the remedy (exit 2, no file).
final class Keras3LegacyHDF5Tests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("keras3-h5-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func fixture(_ file: String) -> String { CLI.fixtures.appendingPathComponent("keras3_h5/\(file)").path }

    func testRefusedNamingTheFormatAndTheRemedy() throws {
        for file in ["lstm_hard_sigmoid.h5", "gru.h5"] {
            let output = folder.appendingPathComponent("out.npz").path
            let run = try CLI.run(["run", fixture(file), "--input", fixture("input.npy"), "--output", output])
            XCTAssertEqual(run.status, 2, run.stderr)
            XCTAssertTrue(run.stderr.contains("model saved in the legacy HDF5 format") && run.stderr.contains("model.save('model.keras')"),
                          run.stderr)
            XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: output))
            let converted = folder.appendingPathComponent("out.onnx").path
            let convert = try CLI.run(["convert", fixture(file), converted])
            XCTAssertEqual(convert.status, 2, convert.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: converted))
            XCTAssertEqual(try CLI.run(["inspect", fixture(file)]).status, 2)
        }
    }
}
