import Foundation
import TensorFiles
import XCTest

/// ONNX files a real exporter wrote that do not describe their model, and
/// that onnxruntime refuses (Fixtures/onnx_invalid/): `run`, `convert` and
/// `inspect` refuse them with one line naming what does not fit (exit 2, no
/// file), never compute numbers no framework computes.
final class ONNXInvalidFileTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("onnx-invalid-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func fixture(_ file: String) -> String { CLI.fixtures.appendingPathComponent("onnx_invalid/\(file)").path }

    /// torch.onnx.export(dynamo=True) of nn.LSTM(5, 6, proj_size=3): a node of hidden_size 3 whose
    /// zero initial_c is 6 wide (the projection is lost; onnxruntime: "Input initial_c must have shape {1,3,3}").
    func testAProjectedLSTMFromTheDynamoExporterIsRefused() throws {
        let model = fixture("lstm_proj_dynamo.onnx")
        let input = folder.appendingPathComponent("x.npy").path
        let values: [Float] = (0 ..< 105).map { index -> Float in Float(index % 11) / 10 - 0.5 }
        try TensorFileWriter.write([NamedTensor(name: "x", tensor: Tensor(shape: [7, 3, 5], floats: values))], as: .npy, to: input)
        let expected = "initial_c is float32 (1, 3, 6); expected floating point (1, batch, 3)"
        let output = folder.appendingPathComponent("out.npz").path
        let run = try CLI.run(["run", model, "--input", input, "--output", output])
        XCTAssertEqual(run.status, 2, run.stderr)
        XCTAssertTrue(run.stderr.contains(expected), run.stderr)
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output))
        for suffix in [".safetensors", ".keras"] {
            let converted = folder.appendingPathComponent("out\(suffix)").path
            let result = try CLI.run(["convert", model, converted])
            XCTAssertEqual(result.status, 2, result.stderr)
            XCTAssertTrue(result.stderr.contains(expected), result.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: converted))
        }
        let inspect = try CLI.run(["inspect", model])
        XCTAssertEqual(inspect.status, 2, inspect.stderr)
    }
}
