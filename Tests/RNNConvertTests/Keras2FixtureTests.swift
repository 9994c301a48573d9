import Foundation
import RNNLayouts
import TensorFiles
import XCTest
@testable import RNNConvert

/// Keras 2 / tf.keras HDF5 files made by tf_keras 2.21 (and Keras-2.2.4-style
/// reconstructions) in Fixtures/keras2/, read back into PyTorch names or refused
/// as each folder's `keras2.json` says. (Run parity with tf_keras's outputs:
/// Tests/RNNKitCLITests/Keras2CommandTests.swift.)
final class Keras2FixtureTests: XCTestCase {
    /// What `keras2.json` says of a folder's two files.
    struct Sidecar: Decodable {
        enum Outcome: Decodable {
            /// `run_assuming_defaults`: a weights file runs with the activations its Keras version defaults to
            /// (the model that wrote it used others, so tf_keras's output is not compared).
            case run, runAssumingConcat, runAssumingDefaults, refuse(String)
            init(from decoder: Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let text = try? container.decode(String.self) {
                    self = text == "run" ? .run : text == "run_assuming_defaults" ? .runAssumingDefaults : .runAssumingConcat
                } else {
                    let pair = try container.decode([String].self)
                    self = .refuse(pair[1])
                }
            }
        }
        var description: String
        var keras_version: String
        var files: [String: Outcome]
    }

    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/keras2")
    }

    static func sidecars() throws -> [(URL, Sidecar)] {
        let folders = try FileManager.default.contentsOfDirectory(at: root, includingPropertiesForKeys: nil)
            .filter { FileManager.default.fileExists(atPath: $0.appendingPathComponent("keras2.json").path) }
            .sorted { $0.path < $1.path }
        return try folders.map { ($0, try JSONDecoder().decode(Sidecar.self, from: Data(contentsOf: $0.appendingPathComponent("keras2.json")))) }
    }

    /// Every file opens as one PyTorch module, or is refused naming the variant.
    func testEveryFileReadsAsAModuleOrIsRefusedNamingTheVariant() throws {
        let sidecars = try Self.sidecars()
        XCTAssertGreaterThanOrEqual(sidecars.count, 14)
        var read = 0, refused = 0
        for (folder, sidecar) in sidecars {
            for (file, outcome) in sidecar.files.sorted(by: { $0.key < $1.key }) {
                let label = "\(folder.lastPathComponent)/\(file)"
                let path = folder.appendingPathComponent(file).path
                switch outcome {
                case .refuse(let words):
                    // A dtype policy below float32 reads, and is refused when run or converted.
                    if let source = try? ModelSource.open(path) {
                        XCTAssertTrue(source.hints.values.contains { $0.reducedPrecision?.policy == words }, "\(label): read, not refused")
                        refused += 1
                        continue
                    }
                    XCTAssertThrowsError(try ModelSource.open(path), label) { error in
                        let message = "\(error)"
                        XCTAssertTrue(message.contains(words), "\(label): \(message)")
                        XCTAssertTrue(message.contains("layer '"), "\(label): names the layer: \(message)")
                        XCTAssertTrue(error is ConversionError, "\(label): \(type(of: error))")
                    }
                    refused += 1
                case .run, .runAssumingConcat, .runAssumingDefaults:
                    let source = try ModelSource.open(path)
                    XCTAssertEqual(source.format, file.hasPrefix("model") ? .keras2Model : .keras2Weights, label)
                    XCTAssertTrue(source.metadata["keras.file"]?.hasPrefix("Keras 2 ") ?? false, label)
                    let module = try Inspector.inspect(source.tensors).selectModule(named: nil)
                    XCTAssertEqual(module.name, "", label)
                    let hints = try XCTUnwrap(source.hints[""], label)
                    XCTAssertEqual(hints.batchFirst, true, label)
                    // Nothing Keras-named is left where PyTorch's names go, and no optimizer state.
                    XCTAssertFalse(source.tensors.contains { $0.name.contains("optimizer") || $0.name.contains("cell.vars") }, label)
                    if file == "weights.h5" {
                        XCTAssertTrue(hints.notes.contains(.keras2LayersFromWeights), "\(label): \(hints.notes)")
                        if module.architecture.mode != .rnn {
                            XCTAssertTrue(hints.notes.contains {
                                if case .activationsAssumed(_, "Keras \(sidecar.keras_version)'s defaults", _) = $0 { return true } else { return false }
                            },
                                          "\(label): \(hints.notes)")
                        }
                    }
                    if folder.lastPathComponent == "embedding_lstm_dense" {
                        // The config says mask_zero=False; a weights file cannot, and says so.
                        XCTAssertEqual(hints.notes.contains {
                            if case .unrecordedBefore(_, _, let embeddings) = $0 { return !embeddings.isEmpty } else { return false }
                        }, file == "weights.h5", "\(label): \(hints.notes)")
                    }
                    if case .runAssumingConcat = outcome {
                        XCTAssertTrue(hints.notes.contains { if case .mergeModeAssumed = $0 { return true } else { return false } }, "\(label): \(hints.notes)")
                    }
                    read += 1
                }
            }
        }
        XCTAssertGreaterThanOrEqual(read, 25)
        XCTAssertGreaterThanOrEqual(refused, 2)  // hard_sigmoid, reset_after=False, merge_mode now run as variants
    }

    /// The kernel becomes weight_ih transposed (LSTM gate order kept), the
    /// merged bias bias_ih with bias_hh zero; GRU z,r,h become r,z,n.
    func testVariablesMapToPyTorchNames() throws {
        let folder = Self.root.appendingPathComponent("keras22_lstm_sigmoid")
        let raw = try TensorFile.open(folder.appendingPathComponent("model.h5").path)
        let kernel = try XCTUnwrap(raw.tensor(named: "model_weights.lstm_1.lstm_1.kernel:0"))
        let source = try ModelSource.open(folder.appendingPathComponent("model.h5").path)
        let byName = Dictionary(source.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        let weightIH = try XCTUnwrap(byName["weight_ih_l0"])
        XCTAssertEqual(weightIH.shape, [16, 3])
        let k = try kernel.floats(), w = try weightIH.floats()
        for row in 0 ..< 16 { for column in 0 ..< 3 { XCTAssertEqual(w[row * 3 + column], k[column * 16 + row]) } }
        XCTAssertEqual(try XCTUnwrap(byName["bias_hh_l0"]).floats(), [Float](repeating: 0, count: 16))

        let gru = try ModelSource.open(Self.root.appendingPathComponent("gru/model.h5").path)
        let gruRaw = try TensorFile.open(Self.root.appendingPathComponent("gru/model.h5").path)
        let bias = try XCTUnwrap(gruRaw.tensors.first { $0.name.hasSuffix("bias:0") }).tensor.floats()
        let gruByName = Dictionary(gru.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        let biasIH = try XCTUnwrap(gruByName["bias_ih_l0"]).floats(), biasHH = try XCTUnwrap(gruByName["bias_hh_l0"]).floats()
        // Keras row 0 = input bias (z, r, h), row 1 = recurrent bias; PyTorch r, z, n.
        XCTAssertEqual(Array(biasIH[0 ..< 4]), Array(bias[4 ..< 8]))
        XCTAssertEqual(Array(biasIH[4 ..< 8]), Array(bias[0 ..< 4]))
        XCTAssertEqual(Array(biasHH[8 ..< 12]), Array(bias[20 ..< 24]))
    }

    /// Other layers keep their HDF5 names; optimizer_weights are left out and said so.
    func testOtherLayersKeptAndOptimizerStateLeftOut() throws {
        let source = try ModelSource.open(Self.root.appendingPathComponent("optimizer_weights/model.h5").path)
        XCTAssertEqual(Set(source.tensors.map(\.name)), [
            "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
            "model_weights.dense.dense.kernel:0", "model_weights.dense.dense.bias:0",
        ])
        XCTAssertNotNil(source.metadata["keras.optimizer"])
        let nested = try ModelSource.open(Self.root.appendingPathComponent("nested_model/model.h5").path)
        XCTAssertEqual(nested.hints[""]?.source, "Keras layer 'lstm'")
    }

    /// Keras 2 keeps layer_names and weight_names as arrays of strings:
    /// variable-length (tf_keras), fixed-length bytes filling their width
    /// (Keras 2.2), one element, or an empty float64 array.
    func testStringArrayAttributesAreReadWhole() throws {
        let keras22 = try HDF5Reader.readWithAttributes(path: Self.root.appendingPathComponent("keras22_bidirectional_sigmoid/weights.h5").path)
        XCTAssertEqual(keras22.attributes.list("layer_names", of: "/"), ["bidirectional_1"])
        let names = try XCTUnwrap(keras22.attributes.list("weight_names", of: "bidirectional_1"))
        XCTAssertEqual(names.count, 6)
        XCTAssertEqual(names[1], "bidirectional_1/forward_lstm_1/recurrent_kernel:0", "the longest name fills the fixed width")
        let tfKeras = try HDF5Reader.readWithAttributes(path: Self.root.appendingPathComponent("nested_model/model.h5").path)
        XCTAssertEqual(tfKeras.attributes.list("layer_names", of: "model_weights")?.count, 3)
        XCTAssertEqual(tfKeras.attributes.list("weight_names", of: "model_weights/top_level_model_weights"), [])
        XCTAssertNil(tfKeras.attributes.list("weight_names", of: "model_weights/missing"))
    }

    /// The sniffer alone decides that a file is Keras 2 and where its layers
    /// are listed; the importer reads the layers from what the sniffer read.
    func testTheSnifferFindsWhereTheLayersAreListed() throws {
        let model = try FormatSniffer.sniff(Self.root.appendingPathComponent("lstm/model.h5").path)
        XCTAssertEqual(model.format, .keras2Model)
        XCTAssertEqual(model.keras2?.weightsGroup, "model_weights")
        let weights = try FormatSniffer.sniff(Self.root.appendingPathComponent("keras22_bidirectional_sigmoid/weights.h5").path)
        XCTAssertEqual(weights.format, .keras2Weights)
        XCTAssertEqual(weights.keras2?.weightsGroup, "")
        let structure = try Keras2File(try XCTUnwrap(weights.keras2))
        XCTAssertEqual(structure.layerNames, ["bidirectional_1"])
        XCTAssertNil(structure.modelConfig)
        let plain = try FormatSniffer.sniff(Self.root.appendingPathComponent("lstm/expected.npz").path)
        XCTAssertNil(plain.keras2, "only a Keras 2 file carries a listing")
    }

    /// The defaults a weights file's activations are taken from, by version.
    func testDefaultsByKerasVersion() {
        XCTAssertEqual(Keras2Defaults.of(version: "2.2.4", cellScoped: false).recurrentActivation, "hard_sigmoid")
        XCTAssertEqual(Keras2Defaults.of(version: "2.2.4", cellScoped: false).resetAfter, false)
        XCTAssertEqual(Keras2Defaults.of(version: "2.3.1", cellScoped: false).recurrentActivation, "sigmoid")
        XCTAssertEqual(Keras2Defaults.of(version: "2.2.4-tf", cellScoped: true).recurrentActivation, "sigmoid")
        XCTAssertEqual(Keras2Defaults.of(version: "2.2.4-tf", cellScoped: false).recurrentActivation, "hard_sigmoid")
        XCTAssertEqual(Keras2Defaults.of(version: "2.21.0", cellScoped: true).resetAfter, true)
        XCTAssertNil(Keras2Defaults.of(version: nil, cellScoped: true).recurrentActivation)
        XCTAssertNil(Keras2Defaults.of(version: "3.0.0", cellScoped: true).recurrentActivation)
    }

    /// Damaged or unreadable files (made by keras2_files.py's make_hostile) are
    /// refused with a message naming what is wrong, never read some other way.
    func testHostileFilesAreRefusedWithTheReason() throws {
        let folder = Self.root.appendingPathComponent("hostile")
        let expected: Set = ["missing_weight.h5", "swapped_order.h5", "keras1.h5", "gru_nobias_2.3.1.h5", "bad_config.h5"]
        let listed = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("hostile.json"))) as? [String: String]
        XCTAssertEqual(Set(listed?.keys ?? [:].keys), expected)
        for file in expected {
            let path = folder.appendingPathComponent(file).path
            XCTAssertThrowsError(try ModelSource.open(path), file) { error in
                XCTAssertTrue("\(error)".contains(file), "\(file): names the file: \(error)")
                switch (file, error as? ConversionError) {
                case ("swapped_order.h5", .layerVariables(_, _, _, let problem, _)?):
                    XCTAssertEqual(problem, .role(position: 0, named: "recurrent_kernel", expected: "kernel"))
                case ("keras1.h5", .keras1?):
                    break
                case ("gru_nobias_2.3.1.h5", .refusedLayer(_, _, _, let reasons)?):
                    XCTAssertTrue(reasons.contains(.resetAfterUnknown), "\(reasons)")
                case ("missing_weight.h5", .modelFile(path, _, .listedWeightMissing)?):
                    break
                case ("bad_config.h5", .modelFile(path, "model_config", .modelConfigNotObject)?):
                    break
                default:
                    XCTFail("\(file): \(error)")
                }
            }
        }
    }

    /// Variants PyTorch's cells do not compute are named; the standard cell is not refused.
    func testRefusalNamesEachVariant() {
        var spec = Keras2Recurrent(mode: .gru, units: 4, useBias: true, activation: "tanh", recurrentActivation: "sigmoid", resetAfter: true)
        XCTAssertEqual(spec.refusals, [])
        // Cells beyond PyTorch's that rnnkit runs are variants, not refusals (Keras 2's hard_sigmoid is 0.2x + 0.5).
        spec.goBackwards = true
        XCTAssertEqual(spec.refusals, [])
        XCTAssertEqual(spec.variant.direction, .backwards)
        spec.goBackwards = false
        spec.recurrentActivation = "hard_sigmoid"
        spec.resetAfter = false
        XCTAssertEqual(spec.refusals, [])
        XCTAssertEqual(spec.variant, CellVariant(gate: .keras2HardSigmoid, linearBeforeReset: false))
        spec.recurrentActivation = "softsign"
        XCTAssertEqual(spec.refusals, [.activation(.recurrentActivation, name: "softsign", assumedFrom: nil, keras2: true)])
        spec.recurrentActivation = "sigmoid"
        spec.resetAfter = true
        spec.timeMajor = true
        XCTAssertEqual(spec.refusals, [.timeMajor])
        spec.timeMajor = false
        spec.resetAfter = nil
        XCTAssertEqual(spec.refusals, [.resetAfterUnknown])
        let defaults = Keras2Defaults.of(version: "2.21.0", cellScoped: true)
        let config: [String: Any] = ["units": 4, "activation": "tanh", "recurrent_activation": "sigmoid", "return_sequences": true]
        XCTAssertEqual(Keras2Recurrent.fromConfig("LSTM", config, defaults: defaults)?.refusals, [])
        let extra = Keras2Recurrent.fromConfig("LSTM", config.merging(["peephole_weights": true]) { $1 }, defaults: defaults)
        XCTAssertEqual(extra?.refusals, [.unknownKeys(["peephole_weights"])], "an unknown key is refused, not ignored")
        let wrapped = Keras2Recurrent.fromConfig("Bidirectional", ["layer": ["class_name": "LSTM", "config": config], "merge_mode": "ave"], defaults: defaults)
        XCTAssertEqual(wrapped?.mergeMode, "ave")
        XCTAssertEqual(wrapped?.refusals, [])
        XCTAssertEqual(wrapped?.variant.merge, .ave)
        let twoOutputs = Keras2Recurrent.fromConfig("Bidirectional", ["layer": ["class_name": "LSTM", "config": config], "merge_mode": NSNull()],
                                                    defaults: defaults)
        XCTAssertEqual(twoOutputs?.refusals, [.mergeMode("null")])
        let cudnn = Keras2Recurrent.fromConfig("CuDNNLSTM", ["units": 4, "return_sequences": true], defaults: defaults)
        XCTAssertEqual(cudnn?.refusals, [.cudnn(layer: "CuDNNLSTM", mode: .lstm)])
        var rnn = Keras2Recurrent(mode: .rnn, activation: "relu")
        XCTAssertEqual(rnn.refusals, [])
        rnn.activation = "sigmoid"
        XCTAssertEqual(rnn.refusals, [])
        XCTAssertEqual(rnn.variant.candidate, .sigmoid)
        rnn.activation = "selu"
        XCTAssertEqual(rnn.refusals, [.activation(.activation, name: "selu", assumedFrom: nil, keras2: true)])
        // The exact wording of one refusal, as `convert` prints it.
        XCTAssertEqual(ConversionError.refusedLayer(file: "m.h5", layer: "rnn", className: "SimpleRNN", reasons: rnn.refusals).description,
                       "m.h5: layer 'rnn' (SimpleRNN): activation selu: rnnkit runs tanh, sigmoid, relu and hard_sigmoid (Keras 2's, clip(0.2·x + 0.5, 0, 1))")
    }
}
