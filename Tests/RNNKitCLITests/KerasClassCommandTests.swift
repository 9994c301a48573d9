import Foundation
import XCTest

/// Keras models whose recurrent weights belong to a layer class rnnkit does
/// not read (Fixtures/keras_classes/, saved by Keras: a registered subclass
/// of LSTM with activation='relu', ConvLSTM1D) are refused by `run`,
/// `convert` and `inspect`, naming the layer and its class — never run as
/// a default LSTM from their weights (the subclass used to run with tanh,
/// 0.44 away from Keras's output, exit 0).
final class KerasClassCommandTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("keras-class-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func testEveryCommandRefusesTheLayerNamingItsClass() throws {
        let root = CLI.fixtures.appendingPathComponent("keras_classes")
        let names = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { !$0.hasSuffix(".md") }.sorted()
        XCTAssertEqual(names, ["conv_lstm1d", "lstm_subclass"])
        for name in names {
            let sidecar = try XCTUnwrap(JSONSerialization.jsonObject(
                with: Data(contentsOf: root.appendingPathComponent("\(name)/classes.json"))) as? [String: Any])
            let className = try XCTUnwrap(sidecar["class_name"] as? String)
            let model = root.appendingPathComponent("\(name)/model.keras").path
            let output = folder.appendingPathComponent("\(name).npz").path
            let converted = folder.appendingPathComponent("\(name).onnx").path
            let results = [
                try CLI.run(["run", model, "--input", root.appendingPathComponent("\(name)/input.npy").path, "--output", output]),
                try CLI.run(["convert", model, converted]),
                try CLI.run(["inspect", model]),
            ]
            for result in results {
                XCTAssertEqual(result.status, 2, "\(name): \(result.stderr)")
                XCTAssertTrue(result.stderr.contains("(\(className)): it holds a recurrent cell's variables, but rnnkit does not know its class"),
                              "\(name): \(result.stderr)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: output), name)
            XCTAssertFalse(FileManager.default.fileExists(atPath: converted), name)
        }
    }
}
