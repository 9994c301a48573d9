import Foundation
import TensorFiles
import XCTest

/// Keras files through the built binary: `convert` to and from them, `run` on them.
final class KerasCommandTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnnkit-keras-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    private func fixture(_ name: String, _ file: String) -> String {
        CLI.fixtures.appendingPathComponent(name).appendingPathComponent(file).path
    }

    func testPyTorchToKerasAndBack() throws {
        let input = fixture("gru_2l", "weights.h5")
        let model = try CLI.run(["convert", input, path("gru.keras")])
        XCTAssertEqual(model.status, 0, model.stderr)
        XCTAssertTrue(model.stdout.contains("2 × GRU(8, reset_after=True)"), model.stdout)
        // .weights.h5 is a Keras weights file, not an HDF5 container with PyTorch names.
        let weights = try CLI.run(["convert", input, path("gru.weights.h5")])
        XCTAssertEqual(weights.status, 0, weights.stderr)
        XCTAssertTrue(weights.stdout.contains("Keras 3 weights"), weights.stdout)
        for file in ["gru.keras", "gru.weights.h5"] {
            let back = try CLI.run(["convert", path(file), path(file + ".safetensors")])
            XCTAssertEqual(back.status, 0, back.stderr)
            let original = try TensorFile.open(input).tensors
            let returned = Dictionary(try TensorFile.open(path(file + ".safetensors")).tensors.map { ($0.name, $0.tensor) },
                                      uniquingKeysWith: { first, _ in first })
            XCTAssertEqual(Set(returned.keys), Set(original.map(\.name)), file)
            for named in original {
                XCTAssertEqual(try returned[named.name]?.data(), try named.tensor.data(), "\(file): \(named.name)")
            }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }, [])
    }

    func testRunOnAKerasSavedModelMatchesKeras() throws {
        let saved = CLI.fixtures.appendingPathComponent("keras/stacked_bidirectional_lstm")
        let result = try CLI.run(["run", saved.appendingPathComponent("model.keras").path,
                                  "--input", saved.appendingPathComponent("input.npy").path, "--batch-first", "--output", path("out.npz")])
        XCTAssertEqual(result.status, 0, result.stderr)
        let got = try XCTUnwrap(TensorFile.open(path("out.npz")).tensor(named: "output")).floats()
        let want = try XCTUnwrap(TensorFile.open(saved.appendingPathComponent("expected.npz").path).tensor(named: "output")).floats()
        XCTAssertEqual(got.count, want.count)
        XCTAssertLessThan(zip(got, want).map { abs($0 - $1) }.max() ?? .infinity, 1e-5, "Keras's own output")
    }

    /// Without flags, `run` takes the batch-major layout and the relu activation the
    /// `.keras` file records, so a relu SimpleRNN reproduces Keras as saved.
    func testRunTakesLayoutAndActivationFromTheKerasFile() throws {
        let saved = CLI.fixtures.appendingPathComponent("keras/simple_rnn_relu")
        let result = try CLI.run(["run", saved.appendingPathComponent("model.keras").path,
                                  "--input", saved.appendingPathComponent("input.npy").path, "--output", path("relu.npz")])
        XCTAssertEqual(result.status, 0, result.stderr)
        let got = try XCTUnwrap(TensorFile.open(path("relu.npz")).tensor(named: "output")).floats()
        let want = try XCTUnwrap(TensorFile.open(saved.appendingPathComponent("expected.npz").path).tensor(named: "output")).floats()
        XCTAssertEqual(got.count, want.count)
        XCTAssertLessThan(zip(got, want).map { abs($0 - $1) }.max() ?? .infinity, 1e-5, "Keras's own output")

        // An explicit flag still wins over what the file records.
        let tanh = try CLI.run(["run", saved.appendingPathComponent("model.keras").path, "--nonlinearity", "tanh",
                                "--input", saved.appendingPathComponent("input.npy").path, "--output", path("tanh.npz")])
        XCTAssertEqual(tanh.status, 0, tanh.stderr)
        let forced = try XCTUnwrap(TensorFile.open(path("tanh.npz")).tensor(named: "output")).floats()
        XCTAssertGreaterThan(zip(forced, want).map { abs($0 - $1) }.max() ?? 0, 1e-3)
    }

    func testRefusals() throws {
        let projected = try CLI.run(["convert", fixture("lstm_proj", "weights.safetensors"), path("p.keras")])
        XCTAssertEqual(projected.status, 2)
        XCTAssertTrue(projected.stderr.contains("proj_size=3"), projected.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("p.keras")))

        let resetBefore = try CLI.run(["convert", CLI.fixtures.appendingPathComponent("keras/gru_reset_after_false/model.keras").path,
                                       path("g.safetensors")])
        XCTAssertEqual(resetBefore.status, 2)
        XCTAssertTrue(resetBefore.stderr.contains("reset_after=False"), resetBefore.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("g.safetensors")))

        let bfloat = try CLI.run(["convert", fixture("gru_2l", "weights.h5"), path("b.keras"), "--dtype", "bfloat16"])
        XCTAssertEqual(bfloat.status, 2)
        XCTAssertTrue(bfloat.stderr.contains("bfloat16"), bfloat.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [])
    }

    func testInspectReadsKerasFiles() throws {
        let saved = CLI.fixtures.appendingPathComponent("keras/bidirectional_gru")
        let json = try CLI.run(["inspect", saved.appendingPathComponent("model.keras").path, "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(document["format"] as? String, "keras")
        let modules = try XCTUnwrap(document["modules"] as? [[String: Any]])
        XCTAssertEqual(modules.count, 1)
        XCTAssertEqual(modules.first?["mode"] as? String, "GRU")
        XCTAssertEqual(modules.first?["bidirectional"] as? Bool, true)
        let text = try CLI.run(["inspect", saved.appendingPathComponent("model.weights.h5").path])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("Keras 3 weights"), text.stdout)
        XCTAssertTrue(text.stdout.contains("batch_first=True"), text.stdout)
    }

    /// `run` prints what its numbers rest on that the file does not say (a
    /// weights file's inferred layers and default activations, a graph's head
    /// after the module), as `note:` lines on stderr; a file that records
    /// everything gets none.
    func testRunPrintsWhatTheFileLeftItToAssume() throws {
        let saved = CLI.fixtures.appendingPathComponent("keras/bidirectional_gru")
        let input = saved.appendingPathComponent("input.npy").path
        let weights = try CLI.run(["run", saved.appendingPathComponent("model.weights.h5").path, "--input", input, "--output", path("w.npz")])
        XCTAssertEqual(weights.status, 0, weights.stderr)
        XCTAssertTrue(weights.stderr.contains("note: \(saved.appendingPathComponent("model.weights.h5").path): a .weights.h5 file stores "
            + "no model config: rnnkit inferred one Bidirectional(GRU) layer"), weights.stderr)
        XCTAssertTrue(weights.stderr.contains("does not record the layers without weights"), weights.stderr)
        let model = try CLI.run(["run", saved.appendingPathComponent("model.keras").path, "--input", input, "--output", path("m.npz")])
        XCTAssertEqual(model.status, 0, model.stderr)
        XCTAssertEqual(model.stderr, "")
        let keras2 = CLI.fixtures.appendingPathComponent("keras2/bidirectional_lstm")
        let old = try CLI.run(["run", keras2.appendingPathComponent("weights.h5").path, "--input",
                               keras2.appendingPathComponent("input.npy").path, "--output", path("k2.npz")])
        XCTAssertEqual(old.status, 0, old.stderr)
        XCTAssertTrue(old.stderr.contains("merge_mode is not stored in a weights file"), old.stderr)
        XCTAssertTrue(old.stderr.contains("activations assumed from Keras"), old.stderr)

        // A Masking layer: the mask comes from the input run is given, which must be the Masking layer's.
        let masked = CLI.fixtures.appendingPathComponent("keras/masking_lstm")
        let mask = try CLI.run(["run", masked.appendingPathComponent("model.keras").path, "--input",
                                masked.appendingPathComponent("input.npy").path, "--output", path("mask.npz")])
        XCTAssertEqual(mask.status, 0, mask.stderr)
        XCTAssertTrue(mask.stderr.contains("`run` computes the mask from the input it is given, which must be the input of the Masking layer"),
                      mask.stderr)

        // An ONNX graph with a Linear after its LSTM: rnnkit's output is the LSTM's.
        let onnx = CLI.fixtures.appendingPathComponent("onnx/embedding_lstm_batch_first_ts/model.onnx").path
        try NPYWriter.encode(Tensor(shape: [2, 3, 4], floats: (0 ..< 24).map { Float($0) / 24 })).write(to: folder.appendingPathComponent("x.npy"))
        let head = try CLI.run(["run", onnx, "--input", path("x.npy"), "--output", path("o.npz")])
        XCTAssertEqual(head.status, 0, head.stderr)
        XCTAssertTrue(head.stderr.contains("note: \(onnx): the graph computes more from this module's output"), head.stderr)
        let plain = try CLI.run(["run", fixture("lstm_1l", "weights.h5"), "--input", fixture("lstm_1l", "input.npy"), "--output", path("p.npz")])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertEqual(plain.stderr, "")
    }

    /// A layer with weights before the module (an `Embedding`, another
    /// recurrent layer): its output is what run must be given, and run says so.
    func testRunSaysWhichLayerComputesTheModulesInput() throws {
        let keras2 = CLI.fixtures.appendingPathComponent("keras2/embedding_lstm_dense")
        let embedded = try CLI.run(["run", keras2.appendingPathComponent("model.h5").path, "--input",
                                    keras2.appendingPathComponent("input.npy").path, "--output", path("e.npz")])
        XCTAssertEqual(embedded.status, 0, embedded.stderr)
        XCTAssertTrue(embedded.stderr.contains("note: \(keras2.appendingPathComponent("model.h5").path): the model computes this "
            + "module's input with the Embedding layer 'embedding'"), embedded.stderr)

        let two = CLI.fixtures.appendingPathComponent("keras/two_modules_by_input_size")
        let decoder = try CLI.run(["run", two.appendingPathComponent("model.keras").path, "--module", "bidirectional_1", "--input",
                                   two.appendingPathComponent("decoder.npy").path, "--output", path("d.npz")])
        XCTAssertEqual(decoder.status, 0, decoder.stderr)
        XCTAssertTrue(decoder.stderr.contains("the model computes this module's input with the GRU layer 'gru_1'"), decoder.stderr)
        let encoder = try CLI.run(["run", two.appendingPathComponent("model.keras").path, "--module", "gru_1", "--input",
                                   two.appendingPathComponent("input.npy").path, "--output", path("g.npz")])
        XCTAssertEqual(encoder.status, 0, encoder.stderr)
        XCTAssertFalse(encoder.stderr.contains("computes this module's input"), encoder.stderr)

        // Dropout and Masking pass the model's input on: nothing computes it.
        let masked = CLI.fixtures.appendingPathComponent("keras/masking_lstm/model.keras")
        let inspected = try CLI.run(["inspect", "--json", masked.path])
        XCTAssertEqual(inspected.status, 0, inspected.stderr)
        XCTAssertFalse(inspected.stdout.contains("computedBefore"), inspected.stdout)
        let conv = try CLI.run(["inspect", "--json", CLI.fixtures.appendingPathComponent("keras/conv1d_lstm/model.keras").path])
        XCTAssertTrue(conv.stdout.contains("\"layer\" : \"Conv1D layer 'conv1d'\""), conv.stdout)
    }

    func testWeightsFileAssumptionsArePrinted() throws {
        let result = try CLI.run(["convert", CLI.fixtures.appendingPathComponent("keras/simple_rnn_relu/model.weights.h5").path, path("w.npz")])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("note: the SimpleRNN activation"), result.stdout)
    }
}
