import Foundation
import TensorFiles
import XCTest

/// The CLI on checkpoints split into shards by huggingface_hub
/// (Fixtures/sharded/, a 2-layer LSTM whose layers lie in different shards):
/// run on the index gives torch's numbers; a shard alone, which holds a
/// 1-layer LSTM that is not the model's, is refused for run and convert
/// (exit 2, one line naming the index to give) and `inspect` says what it is.
final class ShardedCheckpointCommandTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("sharded-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func fixture(_ file: String) -> String { CLI.fixtures.appendingPathComponent("sharded/\(file)").path }

    func testRunOnTheIndexGivesTorchsNumbers() throws {
        let expected = try TensorFile.open(fixture("expected.npz"))
        for index in ["safetensors/model.safetensors.index.json", "bin/pytorch_model.bin.index.json"] {
            let output = folder.appendingPathComponent("out.npz").path
            try? FileManager.default.removeItem(atPath: output)
            let run = try CLI.run(["run", fixture(index), "--module", "lstm", "--input", fixture("input.npy"), "--output", output])
            XCTAssertEqual(run.status, 0, "\(index): \(run.stderr)")
            let got = try TensorFile.open(output)
            for reference in expected.tensors {
                let actual = try XCTUnwrap(got.tensor(named: reference.name), "\(index) \(reference.name)")
                XCTAssertEqual(actual.shape, reference.tensor.shape, "\(index) \(reference.name)")
                let worst = zip(try actual.floats(), try reference.tensor.floats()).map { abs($0 - $1) }.max() ?? .infinity
                XCTAssertLessThan(worst, 1e-5, "\(index) \(reference.name)")
            }
        }
    }

    func testAShardAloneIsRefusedForRunAndConvert() throws {
        for shard in ["safetensors/model-00001-of-00003.safetensors", "bin/pytorch_model-00001-of-00003.bin"] {
            let output = folder.appendingPathComponent("out.npz").path
            let run = try CLI.run(["run", fixture(shard), "--module", "lstm", "--input", fixture("input.npy"), "--output", output])
            XCTAssertEqual(run.status, 2, run.stderr)
            XCTAssertTrue(run.stderr.contains("shard 1 of 3") && run.stderr.contains("index"), run.stderr)
            XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: output))
            let converted = folder.appendingPathComponent("out.onnx").path
            let convert = try CLI.run(["convert", fixture(shard), converted, "--module", "lstm"])
            XCTAssertEqual(convert.status, 2, convert.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: converted))
            let inspect = try CLI.run(["inspect", fixture(shard)])
            XCTAssertEqual(inspect.status, 0, inspect.stderr)
            XCTAssertTrue(inspect.stdout.contains("shard 1 of 3: the file's name says so"), inspect.stdout)
        }
    }
}
