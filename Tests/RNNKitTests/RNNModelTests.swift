import Foundation
import RNNKit
import XCTest

/// `RNNModel.forward` on the committed fixtures against the outputs PyTorch,
/// ONNX Runtime and Keras returned for them.
final class RNNModelTests: XCTestCase {
    /// Keeps the bytes of the output a pass sends.
    final class Collector: OutputReceiver {
        var bytes = Data()
        func begin(shape: [Int], dtype: DType) throws {}
        func receive(_ piece: UnsafeRawBufferPointer) throws { bytes.append(contentsOf: piece) }
    }

    /// The getting-started snippet, as the DocC article shows it.
    func testTheGettingStartedSnippet() throws {
        let folder = Fixtures.url("multi_nested_h5")
        let url = folder.appendingPathComponent("weights.h5")
        let encoder = try RNNModel(contentsOf: url, module: "encoder.lstm")
        XCTAssertEqual(encoder.architecture.mode.rawValue, "LSTM")
        XCTAssertEqual(encoder.architecture.inputSize, 5)
        XCTAssertEqual(encoder.architecture.hiddenSize, 7)
        XCTAssertEqual(encoder.architecture.numLayers, 2)
        XCTAssertTrue(encoder.architecture.bidirectional)
        XCTAssertEqual(encoder.architecture.projSize, 0)
        let x = try Tensor(contentsOf: folder.appendingPathComponent("input.npy"))
        let y = try encoder.forward(input: x, lengths: nil, h0: nil, c0: nil, batchFirst: false)
        let values: [Float] = try y.output.floats()
        let shape: [Int] = y.output.shape
        XCTAssertEqual(shape, [6, 2, 14])
        XCTAssertEqual(values.count, 6 * 2 * 14)
        let expected = try Fixtures.arrays(folder.appendingPathComponent("expected.npz"))
        try assertClose(y.output, expected["output"], "output")
        try assertClose(y.hN, expected["h_n"], "h_n")
        try assertClose(y.cN, expected["c_n"], "c_n")
    }

    /// Every module fixture, run through RNNModel with its manifest's module,
    /// renames, activation, inputs and layout, matches PyTorch's outputs.
    func testEveryModuleFixtureMatchesPyTorch() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: Fixtures.root.path).sorted()
            .map(Fixtures.root.appendingPathComponent)
            .filter { FileManager.default.fileExists(atPath: $0.appendingPathComponent("fixture.json").path) }
        XCTAssertGreaterThanOrEqual(folders.count, 70)
        for folder in folders {
            let manifest = try JSONSerialization.jsonObject(
                with: Data(contentsOf: folder.appendingPathComponent("fixture.json"))) as? [String: Any] ?? [:]
            let flags = manifest["flags"] as? [String: Any] ?? [:]
            let inputs = manifest["inputs"] as? [String: Any] ?? [:]
            func tensor(_ key: String) throws -> Tensor? {
                try (inputs[key] as? String).map { try Tensor(contentsOf: folder.appendingPathComponent($0)) }
            }
            let name = folder.lastPathComponent
            do {
                let model = try RNNModel(
                    contentsOf: folder.appendingPathComponent(manifest["weights"] as? String ?? ""),
                    module: manifest["module"] as? String,
                    renames: try (manifest["renames"] as? [String] ?? []).map(Rename.init(parsing:)),
                    nonlinearity: (flags["nonlinearity"] as? String).flatMap(Nonlinearity.init(rawValue:)))
                let lengths = try tensor("lengths").map { try $0.int64s().map(Int.init) }
                let y = try model.forward(input: try XCTUnwrap(tensor("input")), lengths: lengths,
                                          h0: try tensor("h0"), c0: try tensor("c0"),
                                          batchFirst: flags["batch_first"] as? Bool ?? false)
                let expected = try Fixtures.arrays(folder.appendingPathComponent("expected.npz"))
                try assertClose(y.output, expected["output"], "\(name) output")
                try assertClose(y.hN, expected["h_n"], "\(name) h_n")
                try assertClose(y.cN, expected["c_n"], "\(name) c_n")
                // The same pass sending its output to a receiver instead.
                let collector = Collector()
                let sent = try model.forward(input: try XCTUnwrap(tensor("input")), lengths: lengths,
                                             h0: try tensor("h0"), c0: try tensor("c0"),
                                             batchFirst: flags["batch_first"] as? Bool ?? false, sendingOutputTo: collector)
                XCTAssertEqual(sent.outputShape, y.output.shape, name)
                try assertClose(Tensor(dtype: sent.outputDType, shape: sent.outputShape, data: collector.bytes),
                                expected["output"], "\(name) sent output")
                try assertClose(sent.hN, expected["h_n"], "\(name) sent h_n")
                try assertClose(sent.cN, expected["c_n"], "\(name) sent c_n")
            } catch {
                XCTFail("\(name): \(error)")
            }
        }
    }

    /// An ONNX file records an RNN's relu: the model runs with it, unasked.
    func testAnONNXModelRunsWithTheActivationItRecords() throws {
        let folder = Fixtures.url("onnx/rnn_relu_bi")
        let model = try RNNModel(contentsOf: folder.appendingPathComponent("model.onnx"))
        XCTAssertEqual(model.format, .onnx)
        XCTAssertEqual(model.nonlinearity, .relu)
        XCTAssertEqual(model.architecture.mode, .rnn)
        let y = try model.forward(input: try Tensor(contentsOf: folder.appendingPathComponent("input.npy")))
        let expected = try Fixtures.arrays(folder.appendingPathComponent("expected.npz"))
        try assertClose(y.output, expected["output"], "output")
        try assertClose(y.hN, expected["h_n"], "h_n")
    }

    /// A state dict does not record an Elman RNN's activation: the model
    /// opens with none, and running it or writing it to ONNX or Keras is
    /// refused until one is given; its weights alone convert.
    func testAStateDictRNNRunsOnlyWithTheNonlinearityGiven() throws {
        let folder = Fixtures.url("rnn_relu")
        let weights = folder.appendingPathComponent("weights.h5")
        let input = try Tensor(contentsOf: folder.appendingPathComponent("input.npy"))
        let unknown = try RNNModel(contentsOf: weights)
        XCTAssertNil(unknown.nonlinearity)
        XCTAssertThrowsError(try unknown.forward(input: input)) { error in
            XCTAssertEqual((error as? FileInputError)?.underlying as? StoredInputError, .nonlinearityUnknown(module: .root))
        }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("rnnkit-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: output) }
        XCTAssertThrowsError(try unknown.write(to: output.appendingPathComponent("r.onnx"))) { error in
            XCTAssertEqual(error as? ConversionError, .nonlinearityUnknown(file: weights.path, module: .root, target: .onnx))
        }
        XCTAssertNoThrow(try unknown.write(to: output.appendingPathComponent("r.safetensors")))
        let relu = try RNNModel(contentsOf: weights, nonlinearity: .relu)
        XCTAssertEqual(relu.nonlinearity, .relu)
        let expected = try Fixtures.arrays(folder.appendingPathComponent("expected.npz"))
        try assertClose(try relu.forward(input: input).output, expected["output"], "PyTorch's output")
        XCTAssertNoThrow(try relu.write(to: output.appendingPathComponent("r.onnx")))
        XCTAssertEqual(try RNNModel(contentsOf: output.appendingPathComponent("r.onnx")).nonlinearity, .relu)
        // An LSTM has no choice to make.
        XCTAssertEqual(try RNNModel(contentsOf: Fixtures.url("lstm_1l/weights.h5")).nonlinearity, .tanh)
    }

    /// A Keras model is batch-major: `batchFirst: nil` takes that from the file.
    func testAKerasModelRunsBatchMajorByDefault() throws {
        let folder = Fixtures.url("keras/simple_rnn_relu")
        let model = try RNNModel(contentsOf: folder.appendingPathComponent("model.keras"))
        XCTAssertEqual(model.format, .keras)
        XCTAssertEqual(model.recordedBatchFirst, true)
        XCTAssertEqual(model.nonlinearity, .relu)
        let y = try model.forward(input: try Tensor(contentsOf: folder.appendingPathComponent("input.npy")))
        let expected = try Fixtures.arrays(folder.appendingPathComponent("expected.npz"))
        try assertClose(y.output, expected["output"], "output (Keras' predict)")
    }

    /// A file with several modules needs a name; the error names the file and the modules.
    func testSeveralModulesNeedAName() throws {
        let url = Fixtures.url("multi_seq2seq_encoder/weights.safetensors")
        XCTAssertThrowsError(try RNNModel(contentsOf: url)) { error in
            guard let error = error as? FileInputError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.file, url.path)
            guard case .severalModules(let modules)? = error.underlying as? LayoutError else { return XCTFail("\(error)") }
            XCTAssertEqual(modules.map(\.path.description), ["decoder", "encoder"])
            XCTAssertEqual(modules.map(\.mode), [.lstm, .gru])
            // The exact wording of the most common open error: the file, then the modules.
            XCTAssertEqual("\(error)", "\(url.path): the file holds 2 modules; choose one with the module option: "
                + "'decoder' (LSTM), 'encoder' (GRU)")
        }
        XCTAssertThrowsError(try RNNModel(contentsOf: url, module: "nowhere"))
        XCTAssertEqual(try RNNModel(contentsOf: url, module: "decoder").architecture.mode, .lstm)
    }

    /// relu is an Elman RNN's activation only: asking it of an LSTM fails when the model is opened.
    func testReluOnAnLSTMIsRefusedAtOpening() throws {
        XCTAssertThrowsError(try RNNModel(contentsOf: Fixtures.url("lstm_1l/weights.h5"), nonlinearity: .relu)) { error in
            guard let error = error as? FileInputError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.file, Fixtures.url("lstm_1l/weights.h5").path)
            XCTAssertEqual(error.underlying as? EngineError,
                           .invalidModule(module: .root, problems: [.nonlinearityNotApplicable(.relu, mode: .lstm)]))
        }
    }

    /// `Tensor(contentsOf:)` reads one array; a file of several is refused with their names.
    func testTensorContentsOfReadsOneArray() throws {
        let x = try Tensor(contentsOf: Fixtures.url("lstm_1l/input.npy"))
        XCTAssertEqual(x.shape, [6, 2, 4])
        XCTAssertEqual(x.dtype, .float32)
        XCTAssertThrowsError(try Tensor(contentsOf: Fixtures.url("lstm_1l/expected.npz"))) { error in
            let expected = TensorFileError(file: Fixtures.url("lstm_1l/expected.npz").path, .notOneTensor(["output", "h_n", "c_n"]))
            XCTAssertEqual(error as? TensorFileError, expected)
            XCTAssertEqual(expected.reasonText, "expected a single array, found 3 (output, h_n, c_n)")
        }
    }
}
