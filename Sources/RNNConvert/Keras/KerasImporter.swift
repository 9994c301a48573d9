import Foundation
import RNNLayouts
import TensorFiles

/// Reads Keras 3 files back into PyTorch names: `.keras` archives
/// (`config.json` + `model.weights.h5`) and `.weights.h5` files alone, as
/// rnnkit writes them and as Keras's `model.save` / `save_weights` do (default
/// layer names, stacked and `Bidirectional` LSTM/GRU/SimpleRNN layers).
///
/// Consecutive recurrent layers of one kind (same class, units, bias,
/// activation, directions; each returning sequences into the next, with only
/// `Dropout`-like layers between) become one PyTorch module with
/// `num_layers` layers; otherwise each run is its own module, named after
/// its first layer (a model with one run gives the root module, or the
/// module name rnnkit recorded). Weights of other layers (`Dense`, …) are kept
/// under their weight-file names (`layers.dense.vars.0`); optimizer state is
/// left out. Layout: `KerasLayout`.
enum KerasImporter {
    /// What a Keras file reads back as.
    struct Result {
        var tensors: [NamedTensor]
        var hints: [String: ModuleHints]
        var metadata: [String: String]
    }

    /// The members a `.keras` archive must have.
    static let configMember = "config.json", weightsMember = "model.weights.h5", metadataMember = "metadata.json"

    /// Reads a `.keras` archive.
    static func readArchive(_ archive: ZipArchive, path: String) throws -> Result {
        guard let weightsEntry = archive.member(weightsMember) else {
            throw ConversionError.modelFile(file: path, tensor: nil, .kerasWeightsNotH5(npz: archive.member("model.weights.npz") != nil))
        }
        guard let configEntry = archive.member(configMember) else { throw TensorFileError(file: path, tensor: configMember, .notFound) }
        var metadata: [String: String] = [:]
        var recorded: [String: Any] = [:]
        if let entry = archive.member(metadataMember),
           let object = (try? JSONSerialization.jsonObject(with: try archive.contents(of: entry))) as? [String: Any] {
            for key in ["keras_version", "date_saved"] { if let value = object[key] as? String { metadata[key] = value } }
            recorded = object[KerasMetadata.entry] as? [String: Any] ?? [:]
        }
        // tf_keras (Keras 2) writes `.keras` files too: the same members, Keras 2's hard_sigmoid.
        let keras2 = metadata["keras_version"].map { $0.hasPrefix("2.") } ?? false
        metadata["keras.file"] = "Keras \(keras2 ? "2 (tf_keras)" : "3") model (.keras: config.json, metadata.json, model.weights.h5)"
        let entries = try KerasConfigReader.layers(in: archive, member: configEntry, file: path,
                                                   hardSigmoid: keras2 ? .keras2HardSigmoid : .keras3HardSigmoid)
        let weights = try HDF5Reader.read(image: try archive.contents(of: weightsEntry), path: "\(path):\(weightsMember)")
        var result = try read(entries, weights: weights, file: path, configured: true)
        result.metadata.merge(metadata) { $1 }
        return try restoreRecordedModule(result, recorded)
    }

    /// Reads a `.weights.h5` file alone: the layers are inferred from the groups and shapes.
    static func readWeights(_ file: TensorFile) throws -> Result {
        // Layer groups holding a cell: layers.<name>[.forward_layer|.backward_layer].cell.vars.<n>; the
        // other weighted layers (layers.<name>.vars.<n>), whose place among them is not recorded.
        var groups = Set<String>()
        var others: [String: [(index: Int, shape: [Int])]] = [:]
        for named in file.tensors where named.name.hasPrefix("layers.") {
            guard let range = named.name.range(of: ".vars.", options: .backwards) else { continue }
            var group = String(named.name[..<range.lowerBound])
            if group.hasSuffix(".cell") {
                group.removeLast(".cell".count)
                for side in [".forward_layer", ".backward_layer"] where group.hasSuffix(side) { group.removeLast(side.count) }
                groups.insert(group)
            } else if let index = Int(named.name[range.upperBound...]) {
                others[group, default: []].append((index, named.tensor.shape))
            }
        }
        let entries = groups.sorted { naturalOrder($0) < naturalOrder($1) }.map { group -> KerasLayerEntry in
            let (base, _) = naturalOrder(group)
            let className = base.split(separator: ".").last.map(String.init) ?? base
            let name = group.hasPrefix("layers.") ? String(group.dropFirst("layers.".count)) : group
            return KerasLayerEntry(name: name, className: className, group: group, recurrent: nil, inbound: nil)
        }
        let unplaced = others.values.map { UnplacedLayer(shapes: $0.sorted { $0.index < $1.index }.map(\.shape)) }
        var result = try read(entries, weights: file, file: file.path, configured: false, unplaced: unplaced)
        result.metadata.merge(file.metadata) { current, _ in current }
        result.metadata["keras.file"] = "Keras 3 weights (.weights.h5, no model config: layers inferred from the weights)"
        return result
    }

    /// `lstm_10` after `lstm_2`: the base name, then the counter Keras appended.
    private static func naturalOrder(_ group: String) -> (String, Int) {
        guard let match = group.range(of: #"_\d+$"#, options: .regularExpression), let counter = Int(group[match].dropFirst()) else {
            return (group, 0)
        }
        return (String(group[..<match.lowerBound]), counter)
    }

    /// rnnkit's own files: the module name and kind recorded in `metadata.json`.
    private static func restoreRecordedModule(_ result: Result, _ recorded: [String: Any]) throws -> Result {
        guard let name = recorded[KerasMetadata.module] as? String, result.hints.count == 1, result.hints[""] != nil else { return result }
        let cell = recorded[KerasMetadata.kind] as? String == ModuleKind.cell.rawValue
        var restored = result
        restored.tensors = result.tensors.map { named in
            guard let (module, parameter) = ParameterName.split(named.name), module.isEmpty else { return named }
            let renamed = cell && parameter.layer == 0 && !parameter.reverse ? ParameterName(parameter.role, layer: nil) : parameter
            return NamedTensor(name: ModulePath(name).qualify(renamed.text), tensor: named.tensor)
        }
        restored.hints = [name: result.hints[""]!]
        return restored
    }
}
