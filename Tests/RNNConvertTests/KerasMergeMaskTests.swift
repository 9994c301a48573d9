import Foundation
import RNNLayouts
import XCTest
@testable import RNNConvert

/// Merge layers (`Concatenate`, `Add`, …) before a recurrent layer: Keras
/// joins their inputs' masks, so with no mask upstream there is none, and a
/// masked input makes a joined mask rnnkit does not compute. A recurrent layer
/// fed by a Concatenate of plain inputs was refused as "an unknown layer".
final class KerasMergeMaskTests: XCTestCase {
    private func tensor(_ layer: String) -> [String: Any] {
        ["class_name": "__keras_tensor__", "config": ["keras_history": [layer, 0, 0]]]
    }

    private func layer(_ className: String, _ name: String, _ config: [String: Any] = [:], inputs: [String]) -> [String: Any] {
        let args: [Any] = inputs.isEmpty ? [] : (inputs.count == 1 ? [tensor(inputs[0])] : [inputs.map(tensor)])
        return ["class_name": className, "config": config.merging(["name": name]) { $1 },
                "inbound_nodes": inputs.isEmpty ? [] : [["args": args, "kwargs": [String: Any]()]]]
    }

    /// The GRU layer read from a model `Input a, Input b → (Masking on a when `masked`) → merge → GRU`.
    private func gru(merge: String, masked: Bool) throws -> KerasLayerEntry {
        var layers = [layer("InputLayer", "a", inputs: []), layer("InputLayer", "b", inputs: [])]
        if masked { layers.append(layer("Masking", "m", ["mask_value": 0.0], inputs: ["a"])) }
        layers.append(layer(merge, "join", inputs: [masked ? "m" : "a", "b"]))
        layers.append(layer("GRU", "g", ["units": 6, "return_sequences": true], inputs: ["join"]))
        let model: [String: Any] = ["class_name": "Functional", "config": ["layers": layers]]
        let entries = try KerasConfigReader.layers(try JSONSerialization.data(withJSONObject: model), file: "merge.keras")
        return try XCTUnwrap(entries.first { $0.name == "g" })
    }

    func testAMergeOfUnmaskedInputsHasNoMask() throws {
        for merge in ["Concatenate", "Add", "Multiply", "Average"] {
            let entry = try gru(merge: merge, masked: false)
            XCTAssertNil(entry.inputMask, merge)
            XCTAssertEqual(entry.computedBefore, "\(merge) layer 'join'", merge)
        }
    }

    func testAMergeOfAMaskedInputIsRefused() throws {
        let entry = try gru(merge: "Concatenate", masked: true)
        guard case .refused(.maskedMerge(className: "Concatenate", layer: "join"))? = entry.inputMask?.source else {
            return XCTFail("\(String(describing: entry.inputMask))")
        }
    }
}
