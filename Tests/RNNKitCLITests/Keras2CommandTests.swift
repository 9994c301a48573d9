import Foundation
import TensorFiles
import XCTest

/// Keras 2 / tf.keras HDF5 files (Fixtures/keras2/) through the built binary:
/// `run` reproduces tf_keras's `model.predict` of the recurrent layers, refused
/// files exit 2 naming the layer, `convert` writes PyTorch names or nothing.
final class Keras2CommandTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnnkit-keras2-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private var fixtures: URL { CLI.fixtures.appendingPathComponent("keras2") }

    /// The outcome keras2.json gives each file: "run", "run_assuming_concat" or ["refuse", words].
    private func outcomes() throws -> [(folder: URL, file: String, refuse: String?, assumesConcat: Bool)] {
        let folders = try FileManager.default.contentsOfDirectory(at: fixtures, includingPropertiesForKeys: nil)
            .filter { FileManager.default.fileExists(atPath: $0.appendingPathComponent("keras2.json").path) }
            .sorted { $0.path < $1.path }
        return try folders.flatMap { folder -> [(URL, String, String?, Bool)] in
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("keras2.json"))) as? [String: Any]
            let files = try XCTUnwrap(object?["files"] as? [String: Any])
            return files.keys.sorted().map { file in
                let outcome = files[file]
                // run_assuming_concat / run_assuming_defaults: the weights file lacks what tf_keras ran (merge_mode, activations).
                return (folder, file, (outcome as? [String])?.last,
                        outcome as? String == "run_assuming_concat" || outcome as? String == "run_assuming_defaults")
            }
        }
    }

    func testRunMatchesTfKerasOrRefusesWithExit2() throws {
        var compared = 0
        for (fixture, file, refuse, assumesConcat) in try outcomes() where !assumesConcat {
            let label = "\(fixture.lastPathComponent)/\(file)"
            let output = folder.appendingPathComponent("\(fixture.lastPathComponent)-\(file).npz").path
            var arguments = ["run", fixture.appendingPathComponent(file).path,
                             "--input", fixture.appendingPathComponent("input.npy").path, "--output", output]
            // A weights file does not store the SimpleRNN activation: the user gives it.
            if fixture.lastPathComponent == "simple_rnn_relu", file == "weights.h5" { arguments += ["--nonlinearity", "relu"] }
            let result = try CLI.run(arguments)
            if let refuse {
                XCTAssertEqual(result.status, 2, "\(label): \(result.stderr)")
                XCTAssertTrue(result.stderr.contains(refuse) && result.stderr.contains("layer '"), "\(label): \(result.stderr)")
                XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "\(label): one line")
                XCTAssertFalse(FileManager.default.fileExists(atPath: output), label)
                continue
            }
            XCTAssertEqual(result.status, 0, "\(label): \(result.stderr)")
            let got = try XCTUnwrap(TensorFile.open(output).tensor(named: "output"), label)
            let want = try XCTUnwrap(TensorFile.open(fixture.appendingPathComponent("expected.npz").path).tensor(named: "output"), label)
            XCTAssertEqual(got.shape, want.shape, label)
            let difference = zip(try got.floats(), try want.floats()).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThan(difference, 1e-5, "\(label): tf_keras's own output")
            compared += 1
        }
        XCTAssertGreaterThanOrEqual(compared, 18)
    }

    func testConvertWritesPyTorchNamesOrNothing() throws {
        let lstm = fixtures.appendingPathComponent("embedding_lstm_dense/model.h5").path
        let converted = folder.appendingPathComponent("lstm.safetensors").path
        let result = try CLI.run(["convert", lstm, converted])
        XCTAssertEqual(result.status, 0, result.stderr)
        let names = Set(try TensorFile.open(converted).tensors.map(\.name))
        XCTAssertTrue(names.isSuperset(of: ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]), "\(names)")
        XCTAssertFalse(names.contains { $0.contains("lstm_cell") }, "no raw Keras tensors: \(names)")

        let refused = folder.appendingPathComponent("refused.safetensors").path
        let hardSigmoid = fixtures.appendingPathComponent("keras22_lstm_hard_sigmoid/model.h5").path
        let refusal = try CLI.run(["convert", hardSigmoid, refused])
        XCTAssertEqual(refusal.status, 2, refusal.stderr)
        XCTAssertTrue(refusal.stderr.contains("hard_sigmoid(0.2x + 0.5)"), refusal.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["lstm.safetensors"])
    }

    /// `run` says on stderr what it assumed of a weights file (the activations
    /// are its Keras version's defaults), and nothing of a full model file.
    func testRunNotesWhatAWeightsFileAssumes() throws {
        let gru = fixtures.appendingPathComponent("gru")
        for file in ["weights.h5", "model.h5"] {
            let output = folder.appendingPathComponent("\(file).npz").path
            let result = try CLI.run(["run", gru.appendingPathComponent(file).path,
                                      "--input", gru.appendingPathComponent("input.npy").path, "--output", output])
            XCTAssertEqual(result.status, 0, result.stderr)
            let note = "note: \(gru.appendingPathComponent(file).path): layer 'gru': activations assumed from Keras 2.21.0's defaults"
            XCTAssertEqual(result.stderr.contains(note), file == "weights.h5", "\(file): \(result.stderr)")
        }
    }

    func testInspectSaysWhatAWeightsFileAssumes() throws {
        let result = try CLI.run(["inspect", fixtures.appendingPathComponent("gru/weights.h5").path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("Keras 2 weights (Keras 2.21.0 save_weights HDF5"), result.stdout)
        XCTAssertTrue(result.stdout.contains("activations assumed from Keras 2.21.0's defaults"), result.stdout)
        XCTAssertTrue(result.stdout.contains("nn.GRU(input_size=3, hidden_size=4"), result.stdout)
    }
}
