import Foundation
import TensorFiles
import XCTest

/// The CLI on stock nn.LSTM / nn.GRU objects carrying buffers their forward
/// does not use (Fixtures/torch_buffers/: `h0`, `c0`, `lengths`,
/// `*_l0_reverse` on a unidirectional GRU; pickled, traced, scripted,
/// exported). PyTorch's forward passes its recurrence only `_flat_weights`
/// with the recorded settings: rnnkit must compute what torch computes for
/// the loaded file, with no stored state, lengths or extra direction. Before,
/// they ran as a stored initial state (0.07–1.8 off), lengths (0.51 off) or a
/// second direction (output twice as wide), exit 0.
final class UnusedBufferCommandTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("unused-buffer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func fixture(_ file: String) -> String {
        CLI.fixtures.appendingPathComponent("torch_buffers/\(file)").path
    }

    func testRunComputesWhatTheLoadedFileComputes() throws {
        let expected = try TensorFile.open(fixture("expected.npz"))
        let files = ["lstm_state_buffers.pt", "gru_reverse_buffers.pt", "traced_state_buffer.pt", "traced_reverse_buffers.pt",
                     "scripted_state_buffers.pt", "lstm_state_buffers_program.pt2", "gru_lengths_buffer_program.pt2",
                     "gru_reverse_buffers_program.pt2"]
        for file in files {
            let stem = String(file.prefix { $0 != "." })
            let output = folder.appendingPathComponent("\(stem).npz").path
            let run = try CLI.run(["run", fixture(file), "--input", fixture("input.npy"), "--output", output])
            XCTAssertEqual(run.status, 0, "\(file): \(run.stderr)")
            XCTAssertFalse(run.stderr.contains("stored"), "\(file): no stored state or lengths is used: \(run.stderr)")
            let got = try XCTUnwrap(try TensorFile.open(output).tensor(named: "output"), file)
            let want = try XCTUnwrap(expected.tensor(named: stem), file)
            XCTAssertEqual(got.shape, want.shape, file)
            let difference = zip(try got.floats(), try want.floats()).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThan(difference, 1e-5, file)
        }
    }

    func testInspectListsTheBuffersAsNotUsed() throws {
        let inspect = try CLI.run(["inspect", fixture("gru_reverse_buffers.pt")])
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        XCTAssertFalse(inspect.stdout.contains("bidirectional"), inspect.stdout)
        XCTAssertTrue(inspect.stdout.contains("weight_ih_l0_reverse: not used by the module's forward"), inspect.stdout)
        let file = try TensorFile.open(fixture("lstm_state_buffers.pt"))
        XCTAssertEqual(file.tensors.map(\.name), ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"])
        XCTAssertTrue(file.otherItems.contains { $0.name == "h0" && $0.summary.contains("_flat_weights") })
    }

    func testConvertCarriesNoStoredStateFromABuffer() throws {
        let output = folder.appendingPathComponent("out.safetensors").path
        let convert = try CLI.run(["convert", fixture("lstm_state_buffers_program.pt2"), output])
        XCTAssertEqual(convert.status, 0, convert.stderr)
        XCTAssertEqual(try TensorFile.open(output).tensors.map(\.name).sorted(),
                       ["bias_hh_l0", "bias_ih_l0", "weight_hh_l0", "weight_ih_l0"])
    }

    func testSettingsThatDisagreeWithTheFlatWeightsAreRefused() throws {
        for command in ["inspect", "run"] {
            let output = folder.appendingPathComponent("mismatch.npz").path
            let arguments = command == "run" ? ["--input", fixture("input.npy"), "--output", output] : []
            let result = try CLI.run([command, fixture("gru_settings_mismatch.pt")] + arguments)
            XCTAssertEqual(result.status, 2, result.stderr)
            XCTAssertTrue(result.stderr.contains("_flat_weights_names") && result.stderr.contains("bidirectional=True"), result.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: output))
        }
    }
}
