import Foundation
import TensorFiles

/// The structure of a Keras 2 / tf.keras HDF5 file: `model.save("m.h5")`
/// (root `model_config` JSON, weights under `model_weights/`, maybe
/// `optimizer_weights/`) or `model.save_weights("w.h5")` (weights at the root).
///
/// The weights group lists its layers in the `layer_names` attribute; each
/// layer's group lists its variables in order in `weight_names`
/// (`lstm/lstm_cell/kernel:0` in tf.keras 2, `lstm_1/kernel:0` in Keras 2.2,
/// `bidirectional/forward_lstm/…`), each a dataset at that path below the
/// layer's group. Attributes are variable-length strings (tf_keras) or
/// fixed-length bytes (Keras 2.2); an empty list may be a float64 array; a
/// list too long for one attribute is split into `layer_names0`, `layer_names1`, ….
struct Keras2File {
    /// One weighted unit of the file: a layer's variables, or those of one
    /// layer inside a nested model (grouped by the first part of their names).
    struct Unit {
        /// The layer group in the weights group (`lstm`, or the nested model `encoder`).
        var group: String
        /// The first part of the variables' names (`lstm`; the inner layer for a nested model).
        var prefix: String
        /// The variables in `weight_names` order: their names and dotted tensor names.
        var weights: [(name: String, tensor: String)]
    }

    /// The path, for messages.
    var path: String
    /// `model_weights` for a whole-model file, `""` for a weights file.
    var weightsGroup: String
    /// `layer_names`, in order.
    var layerNames: [String]
    /// Per layer group, its units in `weight_names` order.
    var units: [String: [Unit]]
    /// The parsed `model_config`, or nil for a weights file.
    var modelConfig: [String: Any]?
    /// The `keras_version` and `backend` attributes.
    var kerasVersion: String?
    var backend: String?
    /// Whether the file holds `optimizer_weights/`.
    var hasOptimizerWeights: Bool

    /// Reads the structure of the file the sniffer recognised as Keras 2
    /// from its description and attributes (read once, by the sniffer).
    init(_ listing: Keras2Listing) throws {
        let file = listing.file, attributes = listing.attributes
        path = file.path
        func strings(_ name: String, of object: String) throws -> [String]? {
            if let failure = attributes.failure(of: object) {
                throw TensorFileError(file: file.path, .hdf5(.library(failure, object: object.isEmpty ? "/" : object)))
            }
            return attributes.chunkedList(name, of: object)
        }
        weightsGroup = listing.weightsGroup
        layerNames = try strings("layer_names", of: weightsGroup.isEmpty ? "/" : weightsGroup) ?? []
        let config = attributes.string("model_config", of: "/")
        if let config {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(config.utf8))) as? [String: Any] else {
                throw ConversionError.modelFile(file: file.path, tensor: "model_config", .modelConfigNotObject)
            }
            modelConfig = object
        }
        kerasVersion = attributes.string("keras_version", of: "/") ?? attributes.string("keras_version", of: weightsGroup)
        backend = attributes.string("backend", of: "/") ?? attributes.string("backend", of: weightsGroup)
        let names = Set(file.tensors.map(\.name))
        hasOptimizerWeights = weightsGroup == "model_weights" && file.tensors.contains { $0.name.hasPrefix("optimizer_weights.") }
        units = [:]
        for layer in layerNames {
            let object = weightsGroup.isEmpty ? layer : "\(weightsGroup)/\(layer)"
            let weightNames = try strings("weight_names", of: object) ?? []
            var layerUnits: [Unit] = []
            for weight in weightNames {
                let tensor = (object + "/" + weight).split(separator: "/").joined(separator: ".")
                guard names.contains(tensor) else {
                    throw ConversionError.modelFile(file: file.path, tensor: object + "/" + weight,
                                                    .listedWeightMissing(layer: layer, weight: weight))
                }
                let prefix = weight.split(separator: "/").first.map(String.init) ?? weight
                if let last = layerUnits.indices.last, layerUnits[last].prefix == prefix {
                    layerUnits[last].weights.append((weight, tensor))
                } else {
                    layerUnits.append(Unit(group: layer, prefix: prefix, weights: [(weight, tensor)]))
                }
            }
            units[layer] = layerUnits
        }
    }

    /// Whether the weight names carry TensorFlow 2's cell scope (`lstm/lstm_cell/kernel:0`).
    var cellScoped: Bool {
        units.values.joined().contains { unit in
            unit.weights.contains { $0.name.split(separator: "/").contains { $0.hasSuffix("_cell") || $0.contains("_cell_") } }
        }
    }

    /// The role of a variable by its name: `kernel`, `recurrent_kernel`, `bias` (the last part without `:0`).
    static func role(_ weightName: String) -> String {
        let last = weightName.split(separator: "/").last.map(String.init) ?? weightName
        return last.split(separator: ":").first.map(String.init) ?? last
    }

    /// The direction a variable of a `Bidirectional` layer belongs to, from a
    /// part of its name (`forward_lstm`, `backward_lstm_1`); nil when the name says nothing.
    static func direction(_ weightName: String) -> Int? {
        let parts = weightName.split(separator: "/")
        if parts.contains(where: { $0.hasPrefix("forward_") }) { return 0 }
        if parts.contains(where: { $0.hasPrefix("backward_") }) { return 1 }
        return nil
    }
}
