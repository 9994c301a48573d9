import Foundation
import TensorFiles
import XCTest

/// The CLI on exported programs made by real PyTorch (`Fixtures/pt2/`): the
/// ones whose graph runs the recurrence as recorded give what
/// `torch.export.load(file).module()` returns, without a layout flag when the
/// graph records it; the ones whose graph computes more (a hook, a
/// subclass's forward, a decomposed recurrence, training-mode dropout) are
/// refused (exit 2, one line naming what and `--assume-pytorch-forward`, no
/// file), and with the flag give torch.nn's forward for the weights.
final class ExportedProgramCommandTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("pt2-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func fixture(_ file: String) -> String { CLI.fixtures.appendingPathComponent("pt2/\(file)").path }

    private func cases() throws -> [String: [String: Any]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture("cases.json")))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try XCTUnwrap(json["cases"] as? [String: [String: Any]])
    }

    /// Largest difference between `output` (or a cell's `h_n`) in `path` and `expected`.
    private func difference(_ path: String, _ expected: Tensor, cell: Bool) throws -> Float {
        let file = try TensorFile.open(path)
        let got = try XCTUnwrap(file.tensor(named: cell ? "h_n" : "output"))
        XCTAssertEqual(got.shape.reduce(1, *), expected.shape.reduce(1, *), path)
        return zip(try got.floats(), try expected.floats()).map { abs($0 - $1) }.max() ?? .infinity
    }

    func testRecordedModulesRunAsTheProgramDoes() throws {
        let expected = try TensorFile.open(fixture("expected.npz"))
        for (stem, entry) in try cases() where entry["accepted"] as? Bool == true {
            let output = folder.appendingPathComponent("\(stem).npz").path
            let input = fixture(try XCTUnwrap(entry["input"] as? String))
            // No --batch-first: the graph records the layout; a state the program takes as input is given as --h0.
            let state = (entry["h0"] as? String).map { ["--h0", fixture($0)] } ?? []
            let run = try CLI.run(["run", fixture("\(stem).pt2"), "--input", input, "--output", output] + state)
            XCTAssertEqual(run.status, 0, "\(stem): \(run.stderr)")
            let program = try XCTUnwrap(expected.tensor(named: "\(stem)_program"))
            XCTAssertLessThan(try difference(output, program, cell: stem == "lstmcell"), 1e-5, stem)
        }
        // Without the state the program takes, run starts from zeros (as inspect says): torch.nn's forward.
        let output = folder.appendingPathComponent("zeros.npz").path
        let run = try CLI.run(["run", fixture("gru_given_state.pt2"), "--input", fixture("input.npy"), "--output", output])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertLessThan(try difference(output, try XCTUnwrap(expected.tensor(named: "gru_given_state_pytorch")), cell: false), 1e-5)
        let inspect = try CLI.run(["inspect", fixture("gru_given_state.pt2")])
        XCTAssertTrue(inspect.stdout.contains("'h'; run uses --h0 when given, else zeros"), inspect.stdout)
    }

    func testRunIsRefusedNamingWhatTheGraphComputes() throws {
        let named = ["gru_forward_hook": "aten.mul.Tensor", "subclass_forward": "aten.mul.Tensor",
                     "lstm_decomposed": "aten.addmm.default", "lstm_train_dropout": "training mode",
                     "subclass_swapped_states": "__main__.SwappedLSTM", "gru_learned_state": "file's tensor 'h0'",
                     "gru_float16": "torch.nn.modules.rnn.GRU computes in float16"]
        let expected = try TensorFile.open(fixture("expected.npz"))
        for (stem, entry) in try cases() where entry["accepted"] as? Bool == false {
            let output = folder.appendingPathComponent("\(stem).npz").path
            let input = fixture(try XCTUnwrap(entry["input"] as? String))
            let run = try CLI.run(["run", fixture("\(stem).pt2"), "--input", input, "--output", output])
            XCTAssertEqual(run.status, 2, "\(stem): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains(try XCTUnwrap(named[stem])), "\(stem): \(run.stderr)")
            let flag = entry["flag"] as? String ?? "--assume-pytorch-forward"
            XCTAssertTrue(run.stderr.contains(flag), "\(stem): \(run.stderr)")
            XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: output), stem)

            let assumed = try CLI.run(["run", fixture("\(stem).pt2"), "--input", input, "--output", output, flag])
            XCTAssertEqual(assumed.status, 0, "\(stem): \(assumed.stderr)")
            let pytorch = try XCTUnwrap(expected.tensor(named: "\(stem)_pytorch"))
            XCTAssertLessThan(try difference(output, pytorch, cell: false), 1e-5, stem)
            // What the program computes differs (the reason for the refusal): by the rounding of float16, in
            // the states for a subclass that swaps them; not at all where the decomposed operators compute
            // the recurrence itself.
            let program = try difference(output, try XCTUnwrap(expected.tensor(named: "\(stem)_program")), cell: false)
            switch stem {
            case "lstm_decomposed", "subclass_swapped_states": XCTAssertLessThan(program, 1e-5, stem)
            case "gru_float16": XCTAssertGreaterThan(program, 1e-4, stem)
            default: XCTAssertGreaterThan(program, 1e-2, stem)
            }
            if stem == "subclass_swapped_states", let state = expected.tensor(named: "\(stem)_program_h_n") {
                let h = try XCTUnwrap(TensorFile.open(output).tensor(named: "h_n"))
                XCTAssertGreaterThan(zip(try h.floats(), try state.floats()).map { abs($0 - $1) }.max() ?? 0, 1e-2, stem)
            }
        }
        // The learned state the program starts from, given as --h0: the program's numbers.
        let output = folder.appendingPathComponent("learned.npz").path
        let learned = try CLI.run(["run", fixture("gru_learned_state.pt2"), "--input", fixture("input.npy"), "--output", output,
                                   "--assume-pytorch-forward", "--h0", fixture("gru_learned_state_state.npy")])
        XCTAssertEqual(learned.status, 0, learned.stderr)
        XCTAssertLessThan(try difference(output, try XCTUnwrap(expected.tensor(named: "gru_learned_state_program")), cell: false), 1e-5)
    }

    func testConvertWritesWhatTheProgramComputes() throws {
        // To ONNX and back, with the batch-major input the program took.
        let onnx = folder.appendingPathComponent("gru.onnx").path
        let converted = try CLI.run(["convert", fixture("gru_2l_bi_batch_first.pt2"), onnx, "--batch-first"])
        XCTAssertEqual(converted.status, 0, converted.stderr)
        let output = folder.appendingPathComponent("gru.npz").path
        let run = try CLI.run(["run", onnx, "--input", fixture("input_batch_first.npy"), "--output", output])
        XCTAssertEqual(run.status, 0, run.stderr)
        let expected = try XCTUnwrap(TensorFile.open(fixture("expected.npz")).tensor(named: "gru_2l_bi_batch_first_program"))
        XCTAssertLessThan(try difference(output, expected, cell: false), 1e-5)

        let refused = folder.appendingPathComponent("hook.safetensors").path
        let result = try CLI.run(["convert", fixture("gru_forward_hook.pt2"), refused])
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(result.stderr.contains("aten.mul.Tensor") && result.stderr.contains("--assume-pytorch-forward"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: refused))
    }

    func testInspectNamesTheFormatAndTheOperator() throws {
        let text = try CLI.run(["inspect", fixture("lstm_wrapped_batch_first.pt2")])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.hasPrefix("\(fixture("lstm_wrapped_batch_first.pt2")): PyTorch exported program (.pt2)"), text.stdout)
        XCTAssertTrue(text.stdout.contains("nn.LSTM(input_size=4, hidden_size=5, batch_first=True)"), text.stdout)
        XCTAssertTrue(text.stdout.contains("run by aten.lstm.input"), text.stdout)
        let json = try CLI.run(["inspect", fixture("lstm_decomposed.pt2"), "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(report["format"] as? String, "pytorch_export")
        XCTAssertTrue(json.stdout.contains("\"unrunCode\"") && json.stdout.contains("run_decompositions"), json.stdout)
    }
}
