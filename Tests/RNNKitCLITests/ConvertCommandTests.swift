import Foundation
import TensorFiles
import XCTest

/// `rnnkit convert` end to end, through the built binary.
final class ConvertCommandTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnnkit-convert-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// A directory of `.npy` files with PyTorch names and random values.
    private func weights(_ shapes: [String: [Int]], named name: String = "weights") throws -> String {
        let directory = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (tensor, shape) in shapes {
            let values = (0 ..< shape.reduce(1, *)).map { _ in Float.random(in: -1 ... 1) }
            try NPYWriter.encode(Tensor(shape: shape, floats: values)).write(to: directory.appendingPathComponent(tensor + ".npy"))
        }
        return directory.path
    }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    private func leftovers() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }
    }

    func testONNXRoundTripThroughTheCLI() throws {
        let input = try weights([
            "enc.gru.weight_ih_l0": [9, 4], "enc.gru.weight_hh_l0": [9, 3], "enc.gru.bias_ih_l0": [9], "enc.gru.bias_hh_l0": [9],
        ])
        let first = try CLI.run(["convert", input, path("a.onnx"), "--batch-first"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("nn.GRU(4, 3)"), first.stdout)
        // ONNX in, ONNX out: the second file is the first one again, byte for byte.
        let second = try CLI.run(["convert", path("a.onnx"), path("b.onnx"), "--batch-first"])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("a.onnx"))), try Data(contentsOf: URL(fileURLWithPath: path("b.onnx"))))
        XCTAssertEqual(try leftovers(), [])
    }

    func testProjectionIsRefusedAndNothingIsWritten() throws {
        let input = try weights([
            "lstm.weight_ih_l0": [16, 3], "lstm.weight_hh_l0": [16, 2], "lstm.weight_hr_l0": [2, 4],
            "lstm.bias_ih_l0": [16], "lstm.bias_hh_l0": [16],
        ])
        let result = try CLI.run(["convert", input, path("p.onnx")])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("proj_size=2"), result.stderr)
        // The message starts with the input's path, as every refusal of convert does.
        XCTAssertTrue(result.stderr.hasPrefix("rnnkit: error: \(input): lstm: cannot write ONNX model"), result.stderr)
        let stored = try CLI.run(["convert", CLI.fixtures.appendingPathComponent("onnx/lstm_constant_state_lengths/model.onnx").path, path("s.keras")])
        XCTAssertEqual(stored.status, 2, stored.stderr)
        XCTAssertTrue(stored.stderr.hasPrefix("rnnkit: error: \(CLI.fixtures.appendingPathComponent("onnx/lstm_constant_state_lengths/model.onnx").path): stores"),
                      stored.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("p.onnx")))
        XCTAssertEqual(try leftovers(), [])
    }

    func testExistingOutputNeedsForceAndInputIsNeverOverwritten() throws {
        let input = try weights(["rnn.weight_ih_l0": [2, 3], "rnn.weight_hh_l0": [2, 2]])
        XCTAssertEqual(try CLI.run(["convert", input, path("r.onnx"), "--nonlinearity", "relu"]).status, 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: path("r.onnx")))
        let again = try CLI.run(["convert", input, path("r.onnx"), "--nonlinearity", "tanh"])
        XCTAssertEqual(again.status, 2)
        // The library says what is wrong; the CLI names the flag (exact wording: the most common refusal).
        XCTAssertEqual(again.stderr, "rnnkit: error: \(path("r.onnx")): already exists (pass --force to overwrite)\n")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("r.onnx"))), before)
        XCTAssertEqual(try CLI.run(["convert", input, path("r.onnx"), "--force", "--nonlinearity", "tanh"]).status, 0)
        XCTAssertNotEqual(try Data(contentsOf: URL(fileURLWithPath: path("r.onnx"))), before, "tanh replaced relu")

        let onto = try CLI.run(["convert", path("r.onnx"), path("r.onnx"), "--force"])
        XCTAssertEqual(onto.status, 2)
        XCTAssertTrue(onto.stderr.contains("input"), onto.stderr)
    }

    func testBadOptionsAreExplained() throws {
        let input = try weights(["lstm.weight_ih_l0": [8, 3], "lstm.weight_hh_l0": [8, 2]])
        let cases: [([String], String)] = [
            (["--nonlinearity", "relu"], ": module 'lstm' is not valid: nonlinearity relu applies to RNN modules only; an LSTM's activations are fixed (--nonlinearity)"),
            (["--dtype", "bfloat16"], "ONNX model cannot hold bfloat16; pass --dtype with one of float32 (exact), float16, float64"),
            (["--module", "decoder"], "no module named 'decoder'"),
            (["--rename", "nonsense"], "--rename 'nonsense': expected OLD=NEW"),
        ]
        for (options, phrase) in cases {
            let result = try CLI.run(["convert", input, path("x.onnx")] + options)
            XCTAssertEqual(result.status, 2, "\(options)")
            XCTAssertTrue(result.stderr.contains(phrase), "\(options): \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.onnx")))
        }
        // The module's problem names the file it is in.
        let relu = try CLI.run(["convert", input, path("x.onnx"), "--nonlinearity", "relu"])
        XCTAssertTrue(relu.stderr.hasPrefix("rnnkit: error: \(input): "), relu.stderr)
        // A value outside a flag's set is a usage error, as in every command.
        for (options, phrase) in [(["--nonlinearity", "gelu"], "'relu'"), (["--dtype", "int8"], "'float32'")] {
            let result = try CLI.run(["convert", input, path("x.onnx")] + options)
            XCTAssertEqual(result.status, 64, "\(options)")
            XCTAssertTrue(result.stderr.contains(phrase), "\(options): \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.onnx")))
        }
        let suffix = try CLI.run(["convert", input, path("x.txt")])
        XCTAssertEqual(suffix.status, 2)
        XCTAssertEqual(suffix.stderr, "rnnkit: error: \(path("x.txt")): unknown output suffix '.txt'; rnnkit writes .onnx, .keras, "
            + ".weights.h5, .safetensors, .npz, .h5, .hdf5 and directories of .npy (a path without suffix)\n")
    }

    /// `-` is standard output elsewhere: refused, never a folder named `-`; `./-` names one.
    /// A weight beyond float16's range was written as infinity with exit 0:
    /// now every target refuses, naming the tensor, and writes nothing.
    func testNarrowingThatWouldWriteInfinityIsRefused() throws {
        let input = try weights(["weight_ih_l0": [9, 4], "weight_hh_l0": [9, 3], "bias_ih_l0": [9], "bias_hh_l0": [9]])
        var hh = (0 ..< 27).map { Float($0) / 27 }
        hh[5] = 70_000
        try NPYWriter.encode(Tensor(shape: [9, 3], floats: hh)).write(to: URL(fileURLWithPath: input).appendingPathComponent("weight_hh_l0.npy"))
        for target in ["w.safetensors", "w.npz", "w.onnx", "w.keras", "w.weights.h5"] {
            let result = try CLI.run(["convert", input, path(target), "--dtype", "float16"])
            XCTAssertEqual(result.status, 2, "\(target): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("\(input): tensor 'weight_hh_l0' holds 70000.0 (element 5), beyond the range of float16"),
                          "\(target): \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: path(target)), target)
        }
        // bfloat16 holds it (rounded), and so does the input's own dtype.
        for dtype in ["bfloat16", "float32"] {
            let result = try CLI.run(["convert", input, path("\(dtype).safetensors"), "--dtype", dtype])
            XCTAssertEqual(result.status, 0, "\(dtype): \(result.stderr)")
        }
        XCTAssertEqual(try leftovers(), [])
    }

    func testADashIsNotAnOutputFolder() throws {
        let input = try weights(["lstm.weight_ih_l0": [8, 3], "lstm.weight_hh_l0": [8, 2]])
        let dash = try CLI.run(["convert", input, "-"], currentDirectory: folder)
        XCTAssertEqual(dash.status, 2)
        XCTAssertEqual(dash.stderr, "rnnkit: error: -: rnnkit does not write to standard output; name the output file "
            + "(./- names a file or folder '-')\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("-")))
        XCTAssertEqual(try CLI.run(["convert", input, "./-"], currentDirectory: folder).status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("-/lstm.weight_ih_l0.npy")))
    }

    func testJSONSaysWhatWasWritten() throws {
        let input = try weights(["rnn.weight_ih_l0": [2, 3], "rnn.weight_hh_l0": [2, 2]])
        let result = try CLI.run(["convert", input, path("r.npz"), "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(report["target"] as? String, "npz")
        XCTAssertEqual(report["output"] as? String, path("r.npz"))
        XCTAssertEqual(report["modules"] as? [String], ["rnn"])
        XCTAssertEqual(report["tensors"] as? Int, 2)
        XCTAssertEqual(report["dtypes"] as? [String], ["float32"])
        let size = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: path("r.npz"))[.size] as? Int)
        XCTAssertEqual(report["bytes"] as? Int, size)
    }

    func testNotesNameTheFlags() throws {
        let input = try weights(["rnn.weight_ih_l0": [2, 3], "rnn.weight_hh_l0": [2, 2]])
        XCTAssertEqual(try CLI.run(["convert", input, path("r.onnx"), "--batch-first", "--nonlinearity", "tanh"]).status, 0)
        // An ONNX file records batch_first; a container does not, so convert says how to run it.
        let result = try CLI.run(["convert", path("r.onnx"), path("r.npz"), "--batch-first"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("note: NPZ does not record batch_first; run it with --batch-first"), result.stdout)
        // --json gives each note as an object: its kind, its data and the text the CLI prints, flags named.
        let json = try CLI.run(["convert", path("r.onnx"), path("j.npz"), "--batch-first", "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let notes = try XCTUnwrap(report["notes"] as? [[String: Any]])
        XCTAssertEqual(notes.map { $0["kind"] as? String }, ["batchFirstNotRecorded"])
        XCTAssertEqual(notes.first?["target"] as? String, "npz")
        XCTAssertEqual(notes.first?["message"] as? String, "NPZ does not record batch_first; run it with --batch-first")
        let refused = try CLI.run(["convert", input, path("s.npz"), "--batch-first"])
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains(": --batch-first: NPZ files do not record the batch layout"), refused.stderr)
        // Without the flag too: a run of the container would take batch-major input for time-major (0.38 off, no word).
        for (file, module) in [("torch_code/traced_batch_first.pt", "TorchScript"), ("keras/gru/model.keras", "Keras")] {
            let unflagged = try CLI.run(["convert", CLI.fixtures.appendingPathComponent(file).path, path("\(module).safetensors")])
            XCTAssertEqual(unflagged.status, 0, unflagged.stderr)
            XCTAssertTrue(unflagged.stdout.contains("note: safetensors does not record batch_first; run it with --batch-first"),
                          "\(file): \(unflagged.stdout)")
        }
        let timeMajor = try CLI.run(["convert", path("r.onnx"), path("t.npz")])
        XCTAssertEqual(timeMajor.status, 0, timeMajor.stderr)
        XCTAssertTrue(timeMajor.stdout.contains("note: NPZ does not record batch_first"), "the ONNX file is batch-major: \(timeMajor.stdout)")
        let plain = try CLI.run(["convert", input, path("p.npz")])
        XCTAssertFalse(plain.stdout.contains("batch_first"), plain.stdout)
    }

    func testHelpHasExamples() throws {
        let help = try CLI.run(["convert", "--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("Examples:"), help.stdout)
        XCTAssertTrue(help.stdout.contains("rnnkit convert lstm.safetensors lstm.onnx"), help.stdout)
    }
}
