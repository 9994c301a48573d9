import Foundation
import RNNLayouts
import TensorFiles
import XCTest
@testable import RNNConvert

/// Keras's generic `RNN` layer around a cell (Fixtures/variants/keras/rnn_*,
/// saved by Keras): `RNN(LSTMCell(…), go_backwards=…)` is read as the LSTM
/// it computes, the cell's settings and the layer's together; an `RNN`
/// around any other cell is refused, never run with default settings.
final class KerasRNNCellTests: XCTestCase {
    private let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/variants/keras")

    /// The `config.json` of a Keras-saved fixture as a JSON object.
    private func config(_ name: String) throws -> [String: Any] {
        let archive = try ZipArchive(path: folder.appendingPathComponent("\(name)/model.keras").path)
        let data = try archive.contents(of: try XCTUnwrap(archive.member("config.json")))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    private func entries(_ config: [String: Any]) throws -> [KerasLayerEntry] {
        try KerasConfigReader.layers(try JSONSerialization.data(withJSONObject: config), file: "model.keras")
    }

    func testTheCellsAndTheLayersSettingsAreRead() throws {
        let backwards = try XCTUnwrap(try entries(try config("rnn_lstm_cell_go_backwards")).compactMap(\.recurrent).first)
        XCTAssertEqual(backwards.mode, .lstm)
        XCTAssertEqual(backwards.variant.direction, .backwards)
        let hard = try XCTUnwrap(try entries(try config("rnn_lstm_cell_hard_sigmoid")).compactMap(\.recurrent).first)
        XCTAssertFalse(hard.variant.isPyTorch, "\(hard.variant)")
        XCTAssertEqual(hard.variant.direction, CellVariant.pytorch.direction)
        let simple = try XCTUnwrap(try entries(try config("rnn_simple_cell_sigmoid")).compactMap(\.recurrent).first)
        XCTAssertEqual(simple.mode, .rnn)
        XCTAssertEqual(simple.activation, "sigmoid")
    }

    func testAnRNNAroundAnotherCellIsRefused() throws {
        var model = try config("rnn_lstm_cell_hard_sigmoid")
        var settings = try XCTUnwrap(model["config"] as? [String: Any])
        var layers = try XCTUnwrap(settings["layers"] as? [[String: Any]])
        let index = try XCTUnwrap(layers.firstIndex { $0["class_name"] as? String == "RNN" })
        for cell in ["StackedRNNCells", "MinimalRNNCell"] {
            var layer = layers[index]
            var layerConfig = try XCTUnwrap(layer["config"] as? [String: Any])
            var cellObject = try XCTUnwrap(layerConfig["cell"] as? [String: Any])
            cellObject["class_name"] = cell
            layerConfig["cell"] = cellObject
            layer["config"] = layerConfig
            layers[index] = layer
            settings["layers"] = layers
            model["config"] = settings
            XCTAssertThrowsError(try entries(model), cell) { error in
                guard case .refusedLayer(_, _, "RNN", let reasons)? = error as? ConversionError, reasons == [.rnnCell(cell)] else {
                    return XCTFail("\(error)")
                }
                XCTAssertTrue("\(error)".contains("an RNN layer around \(cell)"), "\(error)")
            }
        }
    }
}
