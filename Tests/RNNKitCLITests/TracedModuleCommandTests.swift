import Foundation
import TensorFiles
import XCTest

/// Plain traced modules whose traced forward holds more than the recurrence
/// call, all of it the tracer's or PyTorch's own (Fixtures/torch_traced/): a
/// head reading only `h_n`, results flattened by the tracer, a packed input,
/// an unbatched input. rnnkit refuses a traced forward that computes more (a
/// hook, `testTracedHooksAreRefusedNamingWhatTheyCompute`); these run to
/// torch's numbers. The first form of that check refused all four.
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
}
