import Foundation
import TensorFiles
import XCTest

/// Keras models behind a mask (Fixtures/keras/*/mask.json, saved by Keras 3
/// with Keras's own outputs) through the built binary: `run` reproduces
/// Keras's output, h_n and c_n, masked holes included, or refuses; `convert`
/// refuses to drop a mask silently; flags that agree with the file pass with
/// a note; `run` picks the module that fits the input.
final class KerasMaskCommandTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnnkit-keras-mask-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    private func saved(_ name: String, _ file: String) -> String {
        CLI.fixtures.appendingPathComponent("keras").appendingPathComponent(name).appendingPathComponent(file).path
    }

    /// Runs `model.keras` of `name` on `case.npy` (plus `extra`) and compares every array of
    /// `case_expected.npz` (Keras's numbers) with rnnkit's.
    private func assertRunMatchesKeras(_ name: String, case inputCase: String, extra: [String] = [],
                                       file: StaticString = #filePath, line: UInt = #line) throws {
        let out = path("\(name)_\(inputCase).npz")
        let result = try CLI.run(["run", saved(name, "model.keras"), "--input", saved(name, "\(inputCase).npy"), "--output", out] + extra)
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
        let got = try TensorFile.open(out)
        let expected = try TensorFile.open(saved(name, "\(inputCase)_expected.npz"))
        XCTAssertGreaterThanOrEqual(expected.tensors.count, 2, file: file, line: line)
        for named in expected.tensors {
            let want = try named.tensor.floats()
            let mine = try XCTUnwrap(got.tensor(named: named.name), "\(name) \(inputCase): \(named.name)", file: file, line: line)
            XCTAssertEqual(mine.shape, named.tensor.shape, "\(name) \(inputCase): \(named.name)", file: file, line: line)
            let difference = zip(try mine.floats(), want).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThan(difference, 1e-5, "\(name) \(inputCase): \(named.name) against Keras", file: file, line: line)
        }
    }

    func testMaskedModelsRunToKerasNumbers() throws {
        for name in ["masking_lstm", "masking_bidirectional_gru"] {
            try assertRunMatchesKeras(name, case: "input")  // masked trailing steps
            try assertRunMatchesKeras(name, case: "holes")  // masked steps in the middle, a row masked entirely
        }
        try assertRunMatchesKeras("embedding_mask_zero_lstm", case: "input",
                                  extra: ["--lengths", saved("embedding_mask_zero_lstm", "input_lengths.npy")])
    }

    func testMasksRunCannotComputeAreRefused() throws {
        let embedding = try CLI.run(["run", saved("embedding_mask_zero_lstm", "model.keras"), "--input",
                                     saved("embedding_mask_zero_lstm", "input.npy"), "--output", path("e.npz")])
        XCTAssertEqual(embedding.status, 2)
        XCTAssertTrue(embedding.stderr.contains("model.keras: the Embedding layer 'embedding' (mask_zero=True)"), embedding.stderr)
        XCTAssertTrue(embedding.stderr.contains("--lengths"), embedding.stderr)
        let conv = try CLI.run(["run", saved("conv1d_lstm", "model.keras"), "--input", saved("conv1d_lstm", "input.npy"),
                                "--output", path("c.npz")])
        XCTAssertEqual(conv.status, 2)
        XCTAssertTrue(conv.stderr.contains("conv1d_lstm/model.keras: the Conv1D layer 'conv1d'"), conv.stderr)
        let both = try CLI.run(["run", saved("masking_lstm", "model.keras"), "--input", saved("masking_lstm", "input.npy"),
                                "--lengths", saved("embedding_mask_zero_lstm", "input_lengths.npy"), "--output", path("b.npz")])
        XCTAssertEqual(both.status, 2)
        XCTAssertTrue(both.stderr.contains("Masking layer 'masking'"), both.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [], "no output after a refusal")
    }

    func testConvertRefusesToDropAMaskUnlessAcknowledged() throws {
        let model = saved("masking_bidirectional_gru", "model.keras")
        for target in ["w.safetensors", "m.onnx", "m.keras"] {
            let refused = try CLI.run(["convert", model, path(target)])
            XCTAssertEqual(refused.status, 2, target)
            XCTAssertTrue(refused.stderr.contains("Masking layer 'masking_1'") && refused.stderr.contains("--drop-mask"), refused.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: path(target)), target)
        }
        let dropped = try CLI.run(["convert", model, path("w.safetensors"), "--drop-mask"])
        XCTAssertEqual(dropped.status, 0, dropped.stderr)
        XCTAssertTrue(dropped.stdout.contains("note: module '(root)': dropped: the Masking layer 'masking_1'"), dropped.stdout)
    }

    func testFlagsThatAgreeWithTheFilePassWithANote() throws {
        let model = CLI.fixtures.appendingPathComponent("keras/simple_rnn_relu/model.keras").path
        let agreed = try CLI.run(["convert", model, path("r.safetensors"), "--nonlinearity", "relu", "--batch-first"])
        XCTAssertEqual(agreed.status, 0, agreed.stderr)
        XCTAssertTrue(agreed.stdout.contains("note: safetensors does not record the nonlinearity; run it with --nonlinearity relu"), agreed.stdout)
        XCTAssertTrue(agreed.stdout.contains("note: safetensors does not record batch_first; run it with --batch-first"), agreed.stdout)
        for flag in [["--nonlinearity", "tanh"]] {
            for target in ["t.safetensors", "t.onnx", "t.keras"] {
                let contradicted = try CLI.run(["convert", model, path(target)] + flag)
                XCTAssertEqual(contradicted.status, 2, "\(target) \(flag)")
                XCTAssertTrue(contradicted.stderr.contains("simple_rnn_relu/model.keras: --nonlinearity tanh"), contradicted.stderr)
            }
        }
        let unrecorded = try CLI.run(["convert", CLI.fixtures.appendingPathComponent("gru_2l/weights.h5").path, path("g.safetensors"),
                                      "--batch-first"])
        XCTAssertEqual(unrecorded.status, 2, "a PyTorch file records no layout")
    }

    func testInspectShowsTheLayoutTheKerasFileRecords() throws {
        let result = try CLI.run(["inspect", saved("masking_lstm", "model.keras")])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("nn.LSTM(input_size=4, hidden_size=5, num_layers=2, batch_first=True)"), result.stdout)
        XCTAssertFalse(result.stdout.contains("batch_first=?"), result.stdout)
        XCTAssertTrue(result.stdout.contains("the Masking layer 'masking' masks every step whose features all equal 0.0"), result.stdout)
    }

    func testRunPicksTheOnlyModuleThatFitsTheInput() throws {
        try assertRunMatchesKeras("two_modules_by_input_size", case: "input")
        try assertRunMatchesKeras("two_modules_by_input_size", case: "decoder")
        let result = try CLI.run(["run", saved("two_modules_by_input_size", "model.keras"), "--input",
                                  saved("two_modules_by_input_size", "decoder.npy"), "--output", path("d.npz")])
        XCTAssertTrue(result.stderr.contains("note: \(saved("two_modules_by_input_size", "model.keras")): running module "
            + "'bidirectional_1', the only one of 2 whose input_size is the input's 6 features"), result.stderr)
        // Two modules reading the same size: the candidates are listed, as before.
        let fixture = CLI.fixtures.appendingPathComponent("multi_seq2seq_decoder")
        let ambiguous = try CLI.run(["run", fixture.appendingPathComponent("weights.npz").path, "--input",
                                     fixture.appendingPathComponent("input.npy").path, "--output", path("a.npz")])
        XCTAssertEqual(ambiguous.status, 2)
        XCTAssertTrue(ambiguous.stderr.contains("choose one with --module"), ambiguous.stderr)
    }

    func testConvertErrorsNameTheFile() throws {
        let fixture = CLI.fixtures.appendingPathComponent("multi_seq2seq_decoder/weights.npz").path
        let result = try CLI.run(["convert", fixture, path("o.onnx")])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("\(fixture): the file holds 2 modules"), result.stderr)
    }
}
