import Foundation
import TensorFiles
import XCTest

/// The CLI on cells beyond PyTorch's (Fixtures/variants/): inspect shows the
/// options and why PyTorch cannot load the module, run reproduces the
/// framework's numbers, convert to PyTorch names is refused with exit 2.
final class VariantCommandTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("variant-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func fixture(_ format: String, _ name: String, _ file: String) -> String {
        CLI.fixtures.appendingPathComponent("variants/\(format)/\(name)/\(file)").path
    }

    func testInspectShowsTheVariantAndWhyPyTorchCannotLoadIt() throws {
        let text = try CLI.run(["inspect", fixture("onnx", "lstm_input_forget_peepholes", "model.onnx")])
        XCTAssertEqual(text.status, 0, text.stderr)
        for phrase in ["Beyond PyTorch's nn.LSTM", "peepholes (ONNX P, order i, o, f): nn.LSTM has none", "f  = 1 − i",
                       "P_o ⊙ c'", "converting to PyTorch names is refused"] {
            XCTAssertTrue(text.stdout.contains(phrase), "missing '\(phrase)' in:\n\(text.stdout)")
        }
        let json = try CLI.run(["inspect", fixture("keras", "bidirectional_gru_sum", "model.keras"), "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let module = try XCTUnwrap((document["modules"] as? [[String: Any]])?.first)
        let beyond = try XCTUnwrap(module["beyond_pytorch"] as? [String])
        XCTAssertTrue(beyond.contains { $0.contains("merge_mode=\"sum\"") }, "\(beyond)")
    }

    func testRunReproducesOnnxruntimeAndKeras() throws {
        for (format, name) in [("onnx", "gru_relu_hardsigmoid_default"), ("keras", "lstm_go_backwards"),
                               ("keras", "masking_bidirectional_lstm_ave"), ("onnx", "lstm_bi_peepholes_lengths")] {
            let model = fixture(format, name, format == "onnx" ? "model.onnx" : "model.keras")
            let output = folder.appendingPathComponent("\(name).npz").path
            let run = try CLI.run(["run", model, "--input", fixture(format, name, "input.npy"), "--output", output])
            XCTAssertEqual(run.status, 0, run.stderr)
            let got = try TensorFile.open(output), want = try TensorFile.open(fixture(format, name, "expected.npz"))
            // Every expected array is compared (a masked fixture stores the output alone).
            XCTAssertTrue(Set(got.tensors.map(\.name)).isSuperset(of: want.tensors.map(\.name)), name)
            for named in want.tensors {
                let have = try XCTUnwrap(got.tensors.first { $0.name == named.name }).tensor
                XCTAssertEqual(have.shape, named.tensor.shape, "\(name) \(named.name)")
                let error = zip(try have.floats(), try named.tensor.floats()).map { abs($0 - $1) }.max() ?? 1
                XCTAssertLessThan(error, 1e-5, "\(name) \(named.name)")
            }
        }
    }

    func testConvertingToPyTorchNamesIsRefusedNamingTheVariant() throws {
        let cases = [("onnx", "lstm_clip", "model.onnx", "clipped"), ("keras", "gru_reset_after_false", "model.keras", "reset_after=False"),
                     ("keras", "bidirectional_lstm_mul", "model.keras", "merge_mode=\"mul\"")]
        for (format, name, file, phrase) in cases {
            for suffix in ["safetensors", "npz", "h5"] {
                let output = folder.appendingPathComponent("\(name).\(suffix)").path
                let result = try CLI.run(["convert", fixture(format, name, file), output])
                XCTAssertEqual(result.status, 2, "\(name) → \(suffix): \(result.stderr)")
                XCTAssertTrue(result.stderr.contains(phrase), "\(name) → \(suffix): \(result.stderr)")
                XCTAssertFalse(FileManager.default.fileExists(atPath: output), "\(name) → \(suffix)")
            }
        }
        // A flag contradicting the file's activation is refused too.
        let relu = try CLI.run(["run", fixture("onnx", "rnn_sigmoid_clip", "model.onnx"), "--input", fixture("onnx", "rnn_sigmoid_clip", "input.npy"),
                                "--output", folder.appendingPathComponent("r.npz").path, "--nonlinearity", "relu"])
        XCTAssertEqual(relu.status, 2, relu.stderr)
    }
}
