import Foundation
import RNNLayouts
import TensorFiles
import XCTest
import ZIPFoundation
@testable import RNNConvert

/// `.keras` archives whose config and weights do not fit together, or that
/// are damaged: every one is a clear error naming the file, never a crash.
final class KerasDamagedFileTests: XCTestCase {
    private var folder: URL!
    private var config: [String: Any] = [:]
    private var weights = Data()

    override func setUpWithError() throws {
        folder = try ModuleFactory.temporaryFolder()
        // A valid two-layer LSTM archive, taken apart.
        let module = ModuleFactory.module(RNNArchitecture(mode: .lstm, inputSize: 3, hiddenSize: 4, numLayers: 2), name: "")
        try KerasExporter.writeModel(module, to: path("valid.keras"))
        let archive = try ZipArchive(path: path("valid.keras"))
        config = try XCTUnwrap(JSONSerialization.jsonObject(with: archive.contents(of: XCTUnwrap(archive.member("config.json")))) as? [String: Any])
        weights = try archive.contents(of: XCTUnwrap(archive.member("model.weights.h5")))
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// A `.keras` zip with these members.
    private func archive(_ members: [(String, Data)]) throws -> String {
        let target = path("\(UUID().uuidString).keras")
        let archive = try Archive(url: URL(fileURLWithPath: target), accessMode: .create)
        for (name, data) in members {
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count),
                                 provider: { position, size in data.subdata(in: Int(position) ..< Int(position) + size) })
        }
        return target
    }

    /// The archive with the config changed by `edit` (applied to the first LSTM layer's config).
    private func editedLayer(_ edit: (inout [String: Any]) -> Void) throws -> String {
        var model = config
        var sequential = model["config"] as? [String: Any] ?? [:]
        var layers = sequential["layers"] as? [[String: Any]] ?? []
        var layerConfig = layers[1]["config"] as? [String: Any] ?? [:]
        edit(&layerConfig)
        layers[1]["config"] = layerConfig
        sequential["layers"] = layers
        model["config"] = sequential
        return try archive([("config.json", try JSONSerialization.data(withJSONObject: model)), ("model.weights.h5", weights)])
    }

    /// A refusal of the file `file` by its reader.
    private func assertRefused(_ file: String, _ expected: TensorFileError, line: UInt = #line) {
        XCTAssertThrowsError(try ModelSource.open(file), line: line) { error in
            XCTAssertEqual(error as? TensorFileError, expected, line: line)
        }
    }

    /// A refusal of the archive `file` as a Keras model file, `matches` its problem.
    private func assertRefused(_ file: String, part: String?, line: UInt = #line, _ matches: (ModelFileProblem) -> Bool) {
        XCTAssertThrowsError(try ModelSource.open(file), line: line) { error in
            guard case .modelFile(file, part, let problem)? = error as? ConversionError, matches(problem) else {
                return XCTFail("\(error)", line: line)
            }
        }
    }

    /// A refusal of layer `layer` for `reasons` exactly.
    private func assertRefused(_ file: String, layer: String, _ reasons: [LayerRefusal], line: UInt = #line) {
        XCTAssertThrowsError(try ModelSource.open(file), line: line) { error in
            guard case .refusedLayer(file, layer, _, let given)? = error as? ConversionError else { return XCTFail("\(error)", line: line) }
            XCTAssertEqual(given, reasons, line: line)
        }
    }

    func testTheValidArchiveReads() throws {
        let source = try ModelSource.open(try archive([("config.json", try JSONSerialization.data(withJSONObject: config)), ("model.weights.h5", weights)]))
        XCTAssertEqual(Inspector.inspect(source.tensors).modules.first?.architecture.numLayers, 2)
    }

    func testConfigAndWeightsThatDisagree() throws {
        assertRefused(try editedLayer { $0["units"] = 5 }, layer: "lstm", [.unitsMismatch(configured: 5, recurrent: [4, 16])])
        assertRefused(try editedLayer { $0["use_bias"] = false }, layer: "lstm", [.useBiasMismatch(configured: false, variables: 3)])
        assertRefused(try editedLayer { $0["activation"] = "selu" }, layer: "lstm",
                      [.activation(.activation, name: "selu", assumedFrom: nil, keras2: false)])
        assertRefused(try editedLayer { $0["recurrent_activation"] = "softsign" }, layer: "lstm",
                      [.activation(.recurrentActivation, name: "softsign", assumedFrom: nil, keras2: false)])
        // A layer the config lists but the weights file lacks.
        var model = config
        var sequential = model["config"] as? [String: Any] ?? [:]
        var layers = sequential["layers"] as? [[String: Any]] ?? []
        layers.append(layers[2])
        sequential["layers"] = layers
        model["config"] = sequential
        let lacking = try archive([("config.json", try JSONSerialization.data(withJSONObject: model)), ("model.weights.h5", weights)])
        assertRefused(lacking, TensorFileError(file: lacking, tensor: "layers/lstm_2/cell/vars/0", .notFound))
    }

    func testDamagedMembers() throws {
        let json = try JSONSerialization.data(withJSONObject: config)
        assertRefused(try archive([("config.json", Data("{\"class_name\": ".utf8)), ("model.weights.h5", weights)]), part: "config.json") {
            if case .configNotJSON = $0 { true } else { false }
        }
        assertRefused(try archive([("config.json", Data("{\"class_name\": \"Sequential\", \"config\": {\"layers\": 3}}".utf8)),
                                   ("model.weights.h5", weights)]), part: "config.json") { $0 == .noLayersList(className: "Sequential") }
        let notHDF5 = try archive([("config.json", json), ("model.weights.h5", Data("not hdf5".utf8))])
        assertRefused(notHDF5, TensorFileError(file: notHDF5 + ":model.weights.h5", offset: 0, .badMagic(expected: .hdf5)))
        let halved = try archive([("config.json", json), ("model.weights.h5", weights.prefix(weights.count / 2))])
        XCTAssertThrowsError(try ModelSource.open(halved)) { error in
            XCTAssertEqual((error as? TensorFileError)?.file, halved + ":model.weights.h5", "\(error)")
        }
        assertRefused(try archive([("config.json", json), ("model.weights.npz", Data())]), part: nil) { $0 == .kerasWeightsNotH5(npz: true) }
        // A truncated archive is a zip error, not an attempt at another format.
        let whole = try Data(contentsOf: URL(fileURLWithPath: path("valid.keras")))
        try whole.prefix(whole.count - 30).write(to: URL(fileURLWithPath: path("cut.keras")))
        XCTAssertThrowsError(try ModelSource.open(path("cut.keras"))) { error in
            XCTAssertTrue(error is TensorFileError, "\(error)")
        }
    }

    /// Datasets of the wrong rank or width in a weights file.
    func testMisshapedVariables() throws {
        let folderPath = path("misshaped.weights.h5")
        try HDF5Writer.write(to: folderPath) { writer in
            try writer.writeDataset("layers/lstm/cell/vars/0", Tensor(shape: [3, 2, 8], floats: [Float](repeating: 0, count: 48)))
            try writer.writeDataset("layers/lstm/cell/vars/1", Tensor(shape: [2, 8], floats: [Float](repeating: 0, count: 16)))
        }
        assertRefused(folderPath, layer: "lstm", [.kernelShapes(kernel: [3, 2, 8], recurrent: [2, 8])])
        let wide = path("wide.weights.h5")
        try HDF5Writer.write(to: wide) { writer in
            try writer.writeDataset("layers/gru/cell/vars/0", Tensor(shape: [3, 10], floats: [Float](repeating: 0, count: 30)))
            try writer.writeDataset("layers/gru/cell/vars/1", Tensor(shape: [2, 10], floats: [Float](repeating: 0, count: 20)))
        }
        assertRefused(wide, layer: "gru", [.kernelShapes(kernel: [3, 10], recurrent: [2, 10])])
    }
}
