import Foundation
import TensorFiles
import XCTest

/// The CLI on PyTorch files whose recurrent module comes with code the file
/// names but cannot carry (Fixtures/torch_code/: a subclass of
/// nn.LSTM with its own forward, one that adds nothing, a module of the
/// user's own class, a forward hook, a hook a scripted cell's class compiles):
/// `run` and `convert` refuse them (exit 2,
/// one line naming the class or hook and `--assume-pytorch-forward`, no
/// file), `inspect` says so, and with the flag rnnkit computes what
/// torch.nn's own forward computes for the weights.
final class ModuleCodeCommandTests: XCTestCase {
    private var folder: URL!
    private let files = ["subclass_forward", "subclass_plain", "forward_hook", "own_class", "script_own_class", "script_cell_hook",
                         "script_cell_pre_hook"]

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("module-code-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func fixture(_ file: String) -> String {
        CLI.fixtures.appendingPathComponent("torch_code/\(file)").path
    }

    private func largestDifference(_ a: Tensor, _ b: Tensor) throws -> Float {
        XCTAssertEqual(a.shape, b.shape)
        return zip(try a.floats(), try b.floats()).map { abs($0 - $1) }.max() ?? .infinity
    }

    func testRunIsRefusedNamingTheCode() throws {
        let named = ["subclass_forward": "__main__.ScaledLSTM", "subclass_plain": "__main__.PlainLSTM",
                     "forward_hook": "__main__.halve_output", "own_class": "__main__.OwnCell", "script_own_class": "__torch__.OwnCell",
                     "script_cell_hook": "its scripted class runs forward hook double_state around its forward",
                     "script_cell_pre_hook": "its scripted class runs forward pre-hook halve_step around its forward"]
        for stem in files {
            let output = folder.appendingPathComponent("\(stem).npz").path
            let run = try CLI.run(["run", fixture("\(stem).pt"), "--input", fixture("input.npy"), "--output", output])
            XCTAssertEqual(run.status, 2, "\(stem): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains(try XCTUnwrap(named[stem])), "\(stem): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("--assume-pytorch-forward"), "\(stem): \(run.stderr)")
            XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: output), stem)
        }
    }

    func testWithTheFlagRunComputesPyTorchsForward() throws {
        let expected = try TensorFile.open(fixture("expected.npz"))
        for stem in ["subclass_forward", "subclass_plain", "forward_hook", "script_cell_hook", "script_cell_pre_hook"] {
            let output = folder.appendingPathComponent("\(stem).npz").path
            let run = try CLI.run(["run", fixture("\(stem).pt"), "--input", fixture("input.npy"), "--output", output,
                                   "--assume-pytorch-forward"])
            XCTAssertEqual(run.status, 0, "\(stem): \(run.stderr)")
            let got = try XCTUnwrap(try TensorFile.open(output).tensor(named: "output"))
            XCTAssertLessThan(try largestDifference(got, try XCTUnwrap(expected.tensor(named: "\(stem)_pytorch"))), 1e-5, stem)
            // The module's own forward (or hook) computes something else: the reason for the refusal.
            let own = try largestDifference(got, try XCTUnwrap(expected.tensor(named: "\(stem)_module")))
            if stem == "subclass_plain" { XCTAssertLessThan(own, 1e-5, stem) } else { XCTAssertGreaterThan(own, 1e-2, stem) }
        }
    }

    func testConvertIsRefusedWithoutTheFlagAndNotesItWith() throws {
        for suffix in [".safetensors", ".onnx"] {
            let output = folder.appendingPathComponent("out\(suffix)").path
            let refused = try CLI.run(["convert", fixture("subclass_forward.pt"), output])
            XCTAssertEqual(refused.status, 2, refused.stderr)
            XCTAssertTrue(refused.stderr.contains("__main__.ScaledLSTM") && refused.stderr.contains("--assume-pytorch-forward"), refused.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: output), suffix)
            let written = try CLI.run(["convert", fixture("subclass_forward.pt"), output, "--assume-pytorch-forward", "--json"])
            XCTAssertEqual(written.status, 0, written.stderr)
            let result = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(written.stdout.utf8)) as? [String: Any])
            let kinds = (result["notes"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
            XCTAssertTrue(kinds.contains("pytorchForwardAssumed"), written.stdout)
        }
    }

    func testTracedModulesRunWithTheSettingsOfTheirTracedCall() throws {
        let expected = try TensorFile.open(fixture("expected.npz"))
        // batch_first=True lives only in the traced call: no flag needed, torch's numbers.
        let output = folder.appendingPathComponent("traced.npz").path
        let run = try CLI.run(["run", fixture("traced_batch_first.pt"), "--input", fixture("input_batch_first.npy"), "--output", output])
        XCTAssertEqual(run.status, 0, run.stderr)
        let got = try XCTUnwrap(try TensorFile.open(output).tensor(named: "output"))
        XCTAssertLessThan(try largestDifference(got, try XCTUnwrap(expected.tensor(named: "traced_batch_first_module"))), 1e-5)
        // Traced in training mode, dropout applies on every call: refused, then PyTorch's eval forward with the flag.
        let dropout = folder.appendingPathComponent("dropout.npz").path
        let refused = try CLI.run(["run", fixture("traced_training_dropout.pt"), "--input", fixture("input.npy"), "--output", dropout])
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("training mode, with dropout 0.5"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dropout))
        let assumed = try CLI.run(["run", fixture("traced_training_dropout.pt"), "--input", fixture("input.npy"), "--output", dropout,
                                   "--assume-pytorch-forward"])
        XCTAssertEqual(assumed.status, 0, assumed.stderr)
        let eval = try XCTUnwrap(try TensorFile.open(dropout).tensor(named: "output"))
        XCTAssertLessThan(try largestDifference(eval, try XCTUnwrap(expected.tensor(named: "traced_training_dropout_pytorch"))), 1e-5)
        XCTAssertGreaterThan(try largestDifference(eval, try XCTUnwrap(expected.tensor(named: "traced_training_dropout_module"))), 1e-2)
    }

    /// Traced with a forward hook or pre-hook, an nn.LSTM/GRU's own traced
    /// forward holds the hook's ops beside `torch.lstm(...)`: refused naming
    /// them (before, rnnkit read the call alone: exit 0, 0.19–0.38 off), and
    /// with the flag PyTorch's forward on the weights.
    func testTracedHooksAreRefusedNamingWhatTheyCompute() throws {
        let expected = try TensorFile.open(fixture("expected.npz"))
        for stem in ["traced_forward_hook", "traced_pre_hook"] {
            let output = folder.appendingPathComponent("\(stem).npz").path
            let refused = try CLI.run(["run", fixture("\(stem).pt"), "--input", fixture("input.npy"), "--output", output])
            XCTAssertEqual(refused.status, 2, refused.stderr)
            XCTAssertTrue(refused.stderr.contains("its traced forward computes torch.mul"), refused.stderr)
            XCTAssertTrue(refused.stderr.contains("--assume-pytorch-forward"), refused.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: output))
            let converted = try CLI.run(["convert", fixture("\(stem).pt"), folder.appendingPathComponent("\(stem).onnx").path])
            XCTAssertEqual(converted.status, 2, converted.stderr)
            let assumed = try CLI.run(["run", fixture("\(stem).pt"), "--input", fixture("input.npy"), "--output", output,
                                       "--assume-pytorch-forward"])
            XCTAssertEqual(assumed.status, 0, assumed.stderr)
            let got = try XCTUnwrap(try TensorFile.open(output).tensor(named: "output"))
            XCTAssertLessThan(try largestDifference(got, try XCTUnwrap(expected.tensor(named: "\(stem)_pytorch"))), 1e-5, stem)
            XCTAssertGreaterThan(try largestDifference(got, try XCTUnwrap(expected.tensor(named: "\(stem)_module"))), 1e-2, stem)
        }
    }

    /// A plain nn.LSTM pickled in training mode drops out between its layers
    /// on every call until `eval()` (the user's to call): rnnkit computes
    /// `eval()`'s output, and `run` and `inspect` say so.
    func testAModuleSavedInTrainingModeRunsAsEvalAndSaysSo() throws {
        let expected = try TensorFile.open(fixture("expected.npz"))
        let output = folder.appendingPathComponent("training.npz").path
        let run = try CLI.run(["run", fixture("saved_training_mode.pt"), "--input", fixture("input.npy"), "--output", output])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stderr, "note: \(fixture("saved_training_mode.pt")): saved in training mode, where PyTorch's forward drops out "
            + "0.5 of each layer's output before the next (random on every call) until model.eval(): rnnkit computes model.eval()'s output\n")
        let got = try XCTUnwrap(try TensorFile.open(output).tensor(named: "output"))
        XCTAssertLessThan(try largestDifference(got, try XCTUnwrap(expected.tensor(named: "saved_training_mode_pytorch"))), 1e-5)
        XCTAssertGreaterThan(try largestDifference(got, try XCTUnwrap(expected.tensor(named: "saved_training_mode_module"))), 1e-2)
        let inspected = try CLI.run(["inspect", fixture("saved_training_mode.pt"), "--json"])
        XCTAssertTrue(inspected.stdout.contains("\"savedInTrainingMode\""), inspected.stdout)
        // Saved after eval(), or with one layer (no dropout between layers), it says nothing.
        let plain = try CLI.run(["run", fixture("subclass_plain.pt"), "--input", fixture("input.npy"), "--output", output, "--force",
                                 "--assume-pytorch-forward"])
        XCTAssertFalse(plain.stderr.contains("training mode"), plain.stderr)
    }

    func testModulesSavedInHalfPrecisionNeedFullPrecision() throws {
        let expected = try TensorFile.open(fixture("expected.npz"))
        for (stem, dtype) in [("half_module", "float16"), ("bfloat16_script", "bfloat16")] {
            let output = folder.appendingPathComponent("\(stem).npz").path
            let refused = try CLI.run(["run", fixture("\(stem).pt"), "--input", fixture("input.npy"), "--output", output])
            XCTAssertEqual(refused.status, 2, refused.stderr)
            XCTAssertTrue(refused.stderr.contains("computes in \(dtype), its weights' dtype") && refused.stderr.contains("--full-precision"),
                          refused.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: output))
            let full = try CLI.run(["run", fixture("\(stem).pt"), "--input", fixture("input.npy"), "--output", output, "--full-precision"])
            XCTAssertEqual(full.status, 0, full.stderr)
            let got = try XCTUnwrap(try TensorFile.open(output).tensor(named: "output"))
            XCTAssertLessThan(try largestDifference(got, try XCTUnwrap(expected.tensor(named: "\(stem)_pytorch"))), 1e-5, stem)
            // The saved module computes in its dtype: the reason for the refusal.
            XCTAssertGreaterThan(try largestDifference(got, try XCTUnwrap(expected.tensor(named: "\(stem)_module"))), 1e-4, stem)
        }
    }

    func testInspectSaysWhatCodeTheFileNames() throws {
        let text = try CLI.run(["inspect", fixture("forward_hook.pt")])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("it has hooks (_forward_hooks: __main__.halve_output)"), text.stdout)
        let json = try CLI.run(["inspect", fixture("subclass_forward.pt"), "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        XCTAssertTrue(json.stdout.contains("\"unrunCode\""), json.stdout)
    }
}
