import Foundation
import TensorFiles
import XCTest

/// Plain traced modules whose traced forward holds more than the recurrence
/// call, all of it the tracer's or PyTorch's own (Fixtures/torch_traced/): a
/// head reading only `h_n`, results flattened by the tracer, a packed input,
/// an unbatched input. rnnkit refuses a traced forward that computes more (a
/// hook, `testTracedHooksAreRefusedNamingWhatTheyCompute`); these run to
/// torch's numbers. The first form of that check refused all four. Traced
/// cells: their code is the cell's equations op by op, compared with
/// PyTorch's (stock ones run, hooked ones are refused).
final class TracedModuleCommandTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("traced-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func fixture(_ file: String) -> String {
        CLI.fixtures.appendingPathComponent("torch_traced/\(file)").path
    }

    func testPlainTracedModulesRunToTorchsNumbers() throws {
        let expected = try TensorFile.open(fixture("expected.npz"))
        let cases: [(stem: String, flags: [String])] = [
            ("head_on_state", ["--module", "gru"]), ("passthrough", ["--module", "lstm"]),
            ("packed", ["--module", "rnn", "--no-batch-first", "--lengths", fixture("packed_lengths.npy")]), ("unbatched", []),
            ("scripted_rnn_relu", []),  // its nonlinearity recorded only as `mode = "RNN_RELU"`
        ]
        var compared = 0
        for (stem, flags) in cases {
            let output = folder.appendingPathComponent("\(stem).npz").path
            let run = try CLI.run(["run", fixture("\(stem).pt"), "--input", fixture("\(stem)_input.npy"), "--output", output] + flags)
            XCTAssertEqual(run.status, 0, "\(stem): \(run.stderr)")
            guard run.status == 0 else { continue }
            let written = try TensorFile.open(output)
            for name in ["output", "h_n", "c_n"] {
                guard let want = expected.tensor(named: "\(stem)_\(name)") else { continue }
                let got = try XCTUnwrap(written.tensor(named: name), "\(stem) \(name)")
                XCTAssertEqual(got.shape, want.shape, "\(stem) \(name)")
                let difference = zip(try got.floats(), try want.floats()).map { abs($0 - $1) }.max() ?? .infinity
                XCTAssertLessThan(difference, 1e-5, "\(stem) \(name)")
                compared += 1
            }
        }
        XCTAssertEqual(compared, 13)
    }

    private func largest(_ got: Tensor, _ want: Tensor) throws -> Float {
        XCTAssertEqual(got.shape, want.shape)
        return zip(try got.floats(), try want.floats()).map { abs($0 - $1) }.max() ?? .infinity
    }

    /// A model passing its GRU a state: the GRU's traced forward takes it as
    /// an argument. Without `--h0` the run starts from zeros and says the
    /// model passes one (before: silently); with it, torch's numbers.
    func testAStateTheModelPassesIsNoted() throws {
        let expected = try TensorFile.open(fixture("expected.npz"))
        let output = folder.appendingPathComponent("state.npz").path
        let bare = try CLI.run(["run", fixture("state_argument.pt"), "--input", fixture("state_argument_input.npy"), "--output", output])
        XCTAssertEqual(bare.status, 0, bare.stderr)
        XCTAssertTrue(bare.stderr.contains("note: \(fixture("state_argument.pt")): its traced forward takes the initial state h0 as its "
            + "argument 'h', which the model passes it: give it to run as --h0"), bare.stderr)
        let zeros = try XCTUnwrap(try TensorFile.open(output).tensor(named: "output"))
        XCTAssertGreaterThan(try largest(zeros, try XCTUnwrap(expected.tensor(named: "state_argument_output"))), 1e-2)
        let given = try CLI.run(["run", fixture("state_argument.pt"), "--input", fixture("state_argument_input.npy"), "--output", output,
                                 "--force", "--h0", fixture("state_argument_h0.npy")])
        XCTAssertEqual(given.status, 0, given.stderr)
        let written = try TensorFile.open(output)
        for name in ["output", "h_n"] {
            let got = try XCTUnwrap(written.tensor(named: name))
            XCTAssertLessThan(try largest(got, try XCTUnwrap(expected.tensor(named: "state_argument_\(name)"))), 1e-5, name)
        }
    }

    /// A traced cell's code is PyTorch's cell math written out op by op, with
    /// no recurrence call: the stock ones run, run over the sequence, to the
    /// cell's numbers (the RNNCell's relu read from its code, no flag).
    func testTracedCellsRunToTorchsNumbers() throws {
        let expected = try TensorFile.open(fixture("expected.npz"))
        for stem in ["cell_lstm", "cell_gru_nobias_state", "cell_rnn_relu", "cell_rnn_unbatched"] {
            let output = folder.appendingPathComponent("\(stem).npz").path
            let run = try CLI.run(["run", fixture("\(stem).pt"), "--input", fixture("cell_input.npy"), "--output", output])
            XCTAssertEqual(run.status, 0, "\(stem): \(run.stderr)")
            XCTAssertFalse(run.stderr.contains("error"), run.stderr)
            guard run.status == 0 else { continue }
            let written = try TensorFile.open(output)
            for name in ["output", "h_n"] {
                let got = try XCTUnwrap(written.tensor(named: name), "\(stem) \(name)")
                XCTAssertLessThan(try largest(got, try XCTUnwrap(expected.tensor(named: "\(stem)_\(name)"))), 1e-5, "\(stem) \(name)")
            }
        }
    }

    /// A hook traced into a cell is one more op among the cell's: refused
    /// naming it (before, exit 0 with the cell's numbers, 0.2–0.4 off the
    /// module's), and with the flag PyTorch's forward for the weights.
    func testTracedCellsWithAHookAreRefused() throws {
        let expected = try TensorFile.open(fixture("expected.npz"))
        for stem in ["cell_lstm_hook", "cell_gru_pre_hook"] {
            let output = folder.appendingPathComponent("\(stem).npz").path
            let refused = try CLI.run(["run", fixture("\(stem).pt"), "--input", fixture("cell_input.npy"), "--output", output])
            XCTAssertEqual(refused.status, 2, refused.stderr)
            XCTAssertTrue(refused.stderr.contains("its traced forward computes torch.mul (with constants of the code) besides the cell's equations"),
                          refused.stderr)
            XCTAssertTrue(refused.stderr.contains("--assume-pytorch-forward"), refused.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: output))
            let converted = try CLI.run(["convert", fixture("\(stem).pt"), folder.appendingPathComponent("\(stem).onnx").path])
            XCTAssertEqual(converted.status, 2, converted.stderr)
            let assumed = try CLI.run(["run", fixture("\(stem).pt"), "--input", fixture("cell_input.npy"), "--output", output,
                                       "--assume-pytorch-forward"])
            XCTAssertEqual(assumed.status, 0, assumed.stderr)
            let got = try XCTUnwrap(try TensorFile.open(output).tensor(named: "output"))
            XCTAssertLessThan(try largest(got, try XCTUnwrap(expected.tensor(named: "\(stem)_pytorch"))), 1e-5, stem)
            XCTAssertGreaterThan(try largest(got, try XCTUnwrap(expected.tensor(named: "\(stem)_output"))), 1e-2, stem)
        }
    }
}
