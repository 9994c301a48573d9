import Foundation
import TensorFiles
import XCTest

/// An Elman RNN's activation has no weights: a PyTorch state dict and a Keras
/// `.weights.h5` cannot say whether the model used tanh or relu. `run`, and
/// `convert` to a model that states one (ONNX, Keras), refuse such a module
/// without `--nonlinearity` instead of running or writing tanh, which gave
/// exit 0 with other numbers than the model's for every relu RNN.
final class NonlinearityCommandTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnnkit-nonlinearity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    private func fixture(_ parts: String...) -> String {
        parts.reduce(CLI.fixtures) { $0.appendingPathComponent($1) }.path
    }

    /// The largest difference between `output` of the NPZ at `got` and of `want`.
    private func difference(_ got: String, _ want: String) throws -> Float {
        let a = try XCTUnwrap(TensorFile.open(got).tensor(named: "output")).floats()
        let b = try XCTUnwrap(TensorFile.open(want).tensor(named: "output")).floats()
        XCTAssertEqual(a.count, b.count)
        return zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
    }

    /// PyTorch's relu `nn.RNN` as a state dict (HDF5, `.pt`): refused without
    /// the flag, PyTorch's numbers with `relu`, other numbers with `tanh`.
    func testAStateDictRNNNeedsItsNonlinearity() throws {
        let expected = fixture("rnn_relu", "expected.npz")
        for file in ["weights.h5", "weights.pt"] {
            let weights = fixture("rnn_relu", file)
            let refused = try CLI.run(["run", weights, "--input", fixture("rnn_relu", "input.npy"), "--output", path("out.npz")])
            XCTAssertEqual(refused.status, 2, file)
            XCTAssertEqual(refused.stderr, "rnnkit: error: \(weights): '(root)' is an Elman RNN, and the file does not record its "
                + "nonlinearity, tanh or relu (they give different numbers); pass --nonlinearity tanh or --nonlinearity relu, "
                + "the one the model was trained with\n")
            XCTAssertFalse(FileManager.default.fileExists(atPath: path("out.npz")), file)

            for (nonlinearity, matches) in [("relu", true), ("tanh", false)] {
                let output = path("\(nonlinearity).npz")
                let ran = try CLI.run(["run", weights, "--input", fixture("rnn_relu", "input.npy"), "--output", output,
                                       "--nonlinearity", nonlinearity, "--force"])
                XCTAssertEqual(ran.status, 0, ran.stderr)
                if matches {
                    XCTAssertLessThan(try difference(output, expected), 1e-5, "\(file): PyTorch's output")
                } else {
                    XCTAssertGreaterThan(try difference(output, expected), 1e-2, "\(file): a guess of tanh is another model")
                }
            }
        }
    }

    /// Keras's relu `SimpleRNN`: its `.weights.h5` alone is refused without
    /// the flag; with it, Keras's numbers. The `.keras` model records relu.
    func testAKerasWeightsFileSimpleRNNNeedsItsNonlinearity() throws {
        let saved = ["keras", "simple_rnn_relu"]
        let weights = fixture(saved[0], saved[1], "model.weights.h5")
        let input = fixture(saved[0], saved[1], "input.npy")
        let refused = try CLI.run(["run", weights, "--input", input, "--output", path("w.npz")])
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("does not record its nonlinearity"), refused.stderr)
        let ran = try CLI.run(["run", weights, "--input", input, "--output", path("w.npz"), "--nonlinearity", "relu"])
        XCTAssertEqual(ran.status, 0, ran.stderr)
        XCTAssertLessThan(try difference(path("w.npz"), fixture(saved[0], saved[1], "expected.npz")), 1e-5, "Keras's output")
        let model = try CLI.run(["run", fixture(saved[0], saved[1], "model.keras"), "--input", input, "--output", path("m.npz")])
        XCTAssertEqual(model.status, 0, model.stderr)
        let inspected = try CLI.run(["inspect", weights])
        XCTAssertTrue(inspected.stdout.contains("is not stored in a .weights.h5 file: run and convert"),
                      inspected.stdout)
    }

    /// ONNX and Keras targets would state the activation as the model's:
    /// refused without the flag, nothing written; a container records none,
    /// so the weights convert as they are.
    func testConvertingToAModelNeedsItAndToAContainerDoesNot() throws {
        let weights = fixture("rnn_relu", "weights.h5")
        for target in ["r.onnx", "r.keras", "r.weights.h5"] {
            let refused = try CLI.run(["convert", weights, path(target)])
            XCTAssertEqual(refused.status, 2, target)
            XCTAssertTrue(refused.stderr.contains("does not record its nonlinearity, tanh or relu, which writing"), refused.stderr)
            XCTAssertTrue(refused.stderr.contains("pass --nonlinearity tanh or --nonlinearity relu"), refused.stderr)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [], target)
        }
        XCTAssertEqual(try CLI.run(["convert", weights, path("r.safetensors")]).status, 0)
        let written = try CLI.run(["convert", weights, path("r.onnx"), "--nonlinearity", "relu"])
        XCTAssertEqual(written.status, 0, written.stderr)
        // The ONNX file records relu: it runs without the flag, as PyTorch does.
        let ran = try CLI.run(["run", path("r.onnx"), "--input", fixture("rnn_relu", "input.npy"), "--output", path("o.npz")])
        XCTAssertEqual(ran.status, 0, ran.stderr)
        XCTAssertLessThan(try difference(path("o.npz"), fixture("rnn_relu", "expected.npz")), 1e-5)
    }

    /// A file that records the activation needs no flag: a `torch.export`
    /// program's `aten.rnn_relu`.
    func testAProgramRecordingItRunsWithoutTheFlag() throws {
        let ran = try CLI.run(["run", fixture("pt2", "rnn_relu.pt2"), "--input", fixture("pt2", "input.npy"), "--output", path("p.npz")])
        XCTAssertEqual(ran.status, 0, ran.stderr)
    }
}
