import Foundation
import RNNLayouts
import TensorFiles

/// Reads Keras 2 / tf.keras / tf_keras HDF5 files (`Keras2File`) into
/// PyTorch names, through the Keras 3 importer's mapping and stacking
/// (`KerasImporter.read`): each recurrent layer's variables, taken in
/// `weight_names` order (kernel, recurrent_kernel, bias; a `Bidirectional`
/// layer's forward then backward), are handed over under Keras 3's names.
///
/// Every recurrent layer is first read into a `Keras2Recurrent` from its
/// config, or for a weights file alone from its weights and the defaults of
/// the file's `keras_version`; a layer PyTorch's cells do not compute
/// (hard_sigmoid gates, GRU reset_after=False, go_backwards, merge modes other
/// than concat, a mask from upstream) is refused with the variant named.
/// Other layers' weights keep their dotted HDF5 names; optimizer state is left out.
enum Keras2Importer {
    /// A recurrent layer found in the file, with its variables.
    private struct Found {
        var name: String
        var className: String
        var spec: Keras2Recurrent
        var weights: [(name: String, tensor: String)]
    }

    /// Reads the file the sniffer recognised as Keras 2, from what it read to decide.
    static func read(_ listing: Keras2Listing) throws -> KerasImporter.Result {
        let file = listing.file, path = file.path
        let structure = try Keras2File(listing)
        if let version = structure.kerasVersion, version.hasPrefix("1.") {
            throw ConversionError.keras1(file: path, version: version)
        }
        // Keras 3's model.save("m.h5") keeps Keras 2's container but writes Keras 3's config.
        if let version = structure.kerasVersion, let major = Int(version.prefix { $0.isNumber }), major >= 3, structure.modelConfig != nil {
            throw ConversionError.keras3LegacyHDF5(file: path, version: version)
        }
        let defaults = Keras2Defaults.of(version: structure.kerasVersion, cellScoped: structure.cellScoped)
        let tensors = Dictionary(file.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        let layers = structure.modelConfig != nil ? try configuredLayers(structure, defaults: defaults)
            : try inferredLayers(structure, tensors: tensors, defaults: defaults)

        // Hand the recurrent layers over under Keras 3's names; everything else keeps its own.
        var entries: [KerasLayerEntry] = []
        var renamed: [String: String] = [:]
        var notes: [ModuleNote] = []
        for (index, layer) in layers.enumerated() {
            guard let found = layer.found else {
                entries.append(layer.entry)
                continue
            }
            if !found.spec.refusals.isEmpty {
                throw ConversionError.refusedLayer(file: path, layer: found.name, className: found.className, reasons: found.spec.refusals)
            }
            let group = "layers.keras2_\(index)"
            try assign(found, group: group, file: path).forEach { renamed[$0.key] = $0.value }
            var entry = layer.entry
            entry.group = group
            entry.recurrent = found.spec.entry
            entries.append(entry)
            if let origin = found.spec.assumedFrom, found.spec.mode != .rnn {
                notes.append(.activationsAssumed(layer: found.name, origin: origin, activations: "tanh, recurrent_activation "
                    + "\(found.spec.recurrentActivation ?? "?")\(found.spec.mode == .gru ? ", reset_after=\(found.spec.resetAfter == true ? "True" : "False")" : "")"))
            }
            if structure.modelConfig == nil {
                if found.spec.mode == .rnn {
                    notes.append(.simpleRNNActivation(layer: found.name, file: "a weights file"))
                }
                if found.spec.bidirectional { notes.append(.mergeModeAssumed(layer: found.name)) }
            }
        }
        var ordered: [NamedTensor] = []
        for named in file.tensors where !named.name.hasPrefix("optimizer_weights.") {
            if let keras3 = renamed[named.name] {
                ordered.append(NamedTensor(name: keras3, tensor: named.tensor))
            } else {
                ordered.append(named)
            }
        }
        let weights = TensorFile(path: path, format: .hdf5, tensors: ordered, metadata: file.metadata, otherItems: file.otherItems)
        var result = try KerasImporter.read(entries, weights: weights, file: path, configured: true)
        if structure.modelConfig == nil {
            notes.insert(.keras2LayersFromWeights, at: 0)
        }
        notes += layers.compactMap(\.note)
        for name in result.hints.keys { result.hints[name]?.notes += notes }
        result.metadata.merge(file.metadata) { current, _ in current }
        let writer = structure.kerasVersion.map { "Keras \($0)" } ?? "Keras 2"
        result.metadata["keras.file"] = structure.modelConfig != nil
            ? "Keras 2 model (\(writer) model.save HDF5: model_config and model_weights)"
            : "Keras 2 weights (\(writer) save_weights HDF5, no model config)"
        if structure.hasOptimizerWeights { result.metadata["keras.optimizer"] = "optimizer state present in the file, not read" }
        return result
    }

    /// Where each of a recurrent layer's variables goes: `layers.keras2_N[.forward_layer|.backward_layer].cell.vars.K`,
    /// the roles taken from the `weight_names` order and checked against the names.
    private static func assign(_ found: Found, group: String, file: String) throws -> [String: String] {
        let directions = found.spec.bidirectional ? 2 : 1
        let perDirection = found.weights.count / directions
        func fail(_ why: Keras2VariableProblem) -> ConversionError {
            ConversionError.layerVariables(file: file, layer: found.name, className: found.className, problem: why, variables: found.weights.map(\.name))
        }
        guard found.weights.count % directions == 0, (2 ... 3).contains(perDirection) else {
            throw fail(.count(found.weights.count, bidirectional: directions == 2))
        }
        let roles = ["kernel", "recurrent_kernel", "bias"]
        var renamed: [String: String] = [:]
        for (position, weight) in found.weights.enumerated() {
            let direction = position / perDirection, index = position % perDirection
            let role = Keras2File.role(weight.name)
            if roles.contains(role), role != roles[index] {
                throw fail(.role(position: position, named: role, expected: roles[index]))
            }
            if directions == 2, let named = Keras2File.direction(weight.name), named != direction {
                throw fail(.direction(position: position, named: named, expected: direction))
            }
            let side = directions == 1 ? "" : (direction == 0 ? ".forward_layer" : ".backward_layer")
            renamed[weight.tensor] = "\(group)\(side).cell.vars.\(index)"
        }
        return renamed
    }

    /// One layer in file order: the entry for the stacking, its recurrent part if any, a note.
    private struct Layer {
        var entry: KerasLayerEntry
        var found: Found?
        var note: ModuleNote?
    }

    /// The layers of a whole-model file, from `model_config` (nested models flattened).
    private static func configuredLayers(_ structure: Keras2File, defaults: Keras2Defaults) throws -> [Layer] {
        var layers: [Layer] = []
        var mask: String?
        var precision = KerasPrecisionFlow()
        var values = KerasInputFlow()
        var previousComputed: String?  // the layer that computed the previous layer's output
        func walk(_ model: [String: Any], container: String?) throws {
            let config = model["config"]
            let list = (config as? [String: Any])?["layers"] as? [[String: Any]] ?? config as? [[String: Any]]
            guard let list else {
                throw ConversionError.modelFile(file: structure.path, tensor: "model_config",
                                                .noLayersList(className: model["class_name"] as? String ?? "?"))
            }
            for item in list {
                let className = item["class_name"] as? String ?? ""
                let layerConfig = item["config"] as? [String: Any] ?? [:]
                let name = item["name"] as? String ?? layerConfig["name"] as? String ?? className
                // Nested models are read as a chain of their layers.
                let inbound = container == nil ? inboundNames(item) : nil
                let incoming = values.incoming(inbound: inbound?.first, previous: previousComputed)
                if ["Sequential", "Model", "Functional"].contains(className) {
                    previousComputed = incoming
                    try walk(item, container: container ?? name)
                    values.record(name, as: previousComputed)
                    continue
                }
                let reduced = precision.reaching(layerConfig, className: className, name: name)
                if className == "InputLayer" {
                    previousComputed = container == nil ? nil : previousComputed
                    values.record(name, as: previousComputed)
                    continue
                }
                previousComputed = values.output(of: name, className: className, incoming: incoming)
                if className == "Masking" {
                    mask = "'\(name)' (Masking(mask_value=\(layerConfig["mask_value"].map { "\($0)" } ?? "0.0")))"
                } else if className == "Embedding", layerConfig["mask_zero"] as? Bool == true {
                    mask = "'\(name)' (Embedding(mask_zero=True))"
                }
                let group = container ?? name
                let units = structure.units[group] ?? []
                let weights = container == nil ? units.flatMap(\.weights) : units.filter { $0.prefix == name }.flatMap(\.weights)
                var entry = KerasLayerEntry(name: name, className: className, group: "layers.keras2_other", recurrent: nil,
                                            inbound: inbound, transparent: KerasConfigReader.transparentClasses.contains(className))
                entry.precision = reduced
                entry.computedBefore = incoming
                guard var spec = Keras2Recurrent.fromConfig(className, layerConfig, defaults: defaults) else {
                    entry.transparent = entry.transparent && weights.isEmpty
                    layers.append(Layer(entry: entry))
                    continue
                }
                spec.maskedBy = mask
                // An initial state from other layers comes as more inbound tensors (`initial_state=[h, c]`).
                if let inbound, inbound.count > 1 { entry.inputMask = KerasMaskFlow.otherInputs(of: entry, count: inbound.count) }
                guard !weights.isEmpty else {
                    throw ConversionError.refusedLayer(file: structure.path, layer: name, className: className,
                                                      reasons: [.noWeights(layer: name, container: container, group: group)])
                }
                layers.append(Layer(entry: entry, found: Found(name: name, className: className, spec: spec, weights: weights)))
            }
        }
        try walk(structure.modelConfig ?? [:], container: nil)
        return layers
    }

    /// Keras 2 functional models: the layers a layer's first inbound node reads (`[[["lstm", 0, 0, {}]]]`).
    private static func inboundNames(_ layer: [String: Any]) -> [String]? {
        guard let nodes = layer["inbound_nodes"] as? [Any], let node = nodes.first as? [Any] else { return nil }
        let names = node.compactMap { ($0 as? [Any])?.first as? String }
        return names.isEmpty ? nil : names
    }

    /// The layers of a weights file: each unit whose variables include a
    /// `recurrent_kernel` is a recurrent layer, its kind and sizes from the shapes.
    private static func inferredLayers(_ structure: Keras2File, tensors: [String: Tensor], defaults: Keras2Defaults) throws -> [Layer] {
        var layers: [Layer] = []
        var weightless: [String] = [], embeddings: [String] = []
        for layerName in structure.layerNames {
            let units = structure.units[layerName] ?? []
            if units.isEmpty, !layerName.hasPrefix("input") {
                // What a layer without weights does is not recorded: it ends a stack of recurrent layers.
                weightless.append(layerName)
                layers.append(Layer(entry: KerasLayerEntry(name: layerName, className: "?", group: "layers.keras2_other", recurrent: nil, inbound: nil)))
            }
            for unit in units {
                let entry = KerasLayerEntry(name: unit.prefix, className: "?", group: "layers.keras2_other", recurrent: nil, inbound: nil)
                guard unit.weights.contains(where: { Keras2File.role($0.name) == "recurrent_kernel" }) else {
                    if unit.weights.contains(where: { Keras2File.role($0.name) == "embeddings" }) { embeddings.append(unit.prefix) }
                    layers.append(Layer(entry: entry))
                    continue
                }
                let bidirectional = unit.weights.contains { Keras2File.direction($0.name) == 1 }
                // The kind from the recurrent kernel's shape (units, G·units); KerasImporter checks every shape again.
                let byRole = Dictionary(unit.weights.map { (Keras2File.role($0.name), tensors[$0.tensor]) }, uniquingKeysWith: { first, _ in first })
                guard let recurrent = byRole["recurrent_kernel"] ?? nil, recurrent.shape.count == 2, recurrent.shape[0] > 0,
                      recurrent.shape[1] % recurrent.shape[0] == 0, let mode = RNNMode(gateCount: recurrent.shape[1] / recurrent.shape[0]) else {
                    throw ConversionError.refusedLayer(file: structure.path, layer: unit.prefix, className: nil, reasons: [.recurrentKernelNotGates])
                }
                let bias = byRole["bias"] ?? nil
                var spec = Keras2Recurrent(mode: mode, units: recurrent.shape[0], useBias: bias != nil)
                if mode != .rnn {
                    spec.activation = "tanh"
                    spec.recurrentActivation = defaults.recurrentActivation
                }
                if mode == .gru {
                    spec.resetAfter = bias.map { $0.shape.count == 2 } ?? defaults.resetAfter
                    spec.resetAfterAssumed = bias == nil
                }
                spec.bidirectional = bidirectional
                spec.mergeMode = bidirectional ? "concat" : nil
                spec.assumedFrom = defaults.origin
                if let masking = weightless.last(where: { $0.hasPrefix("masking") }) {
                    spec.maskedBy = "'\(masking)' (a layer without weights which by its name is a Masking layer; a weights file does not record it)"
                }
                let className = bidirectional ? "Bidirectional(\(KerasLayout.layerClass(mode)))" : KerasLayout.layerClass(mode)
                let unrecorded = weightless.isEmpty && embeddings.isEmpty ? nil
                    : ModuleNote.unrecordedBefore(layer: unit.prefix, weightless: weightless, embeddings: embeddings)
                layers.append(Layer(entry: entry, found: Found(name: unit.prefix, className: className, spec: spec, weights: unit.weights),
                                    note: unrecorded))
                weightless = []
                embeddings = []
            }
        }
        return layers
    }
}
