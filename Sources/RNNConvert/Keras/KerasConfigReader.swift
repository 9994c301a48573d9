import Foundation
import RNNLayouts
import TensorFiles

/// A layer as a Keras file describes it: from `config.json`, or (for a
/// `.weights.h5` file alone) from the groups of the weights file.
struct KerasLayerEntry {
    /// The layer's name (`config.name`; the weight path when there is no config).
    var name: String
    /// The layer's class (`LSTM`, `Bidirectional`, `Dense`, …).
    var className: String
    /// The layer's group in the weights file as `HDF5Reader` names it (`layers.lstm_1`).
    var group: String
    /// What the config says of a recurrent layer; nil for other layers.
    var recurrent: Recurrent?
    /// Functional models: the layers whose outputs this layer reads; nil when
    /// the layer reads the previous one (Sequential).
    var inbound: [String]?
    /// Whether the layer is the identity at inference (`Dropout`) and so
    /// does not break a stack of recurrent layers.
    var transparent: Bool = false
    /// A recurrent layer's input mask (`Masking`, `Embedding(mask_zero=True)`
    /// upstream), `zeroOutput` still false; nil when none reaches it.
    var inputMask: InputMask?
    /// The dtype policy below float32 that reaches the layer (its own, or an
    /// earlier layer's); nil when it computes in float32 or wider.
    var precision: ReducedPrecision?
    /// The layer that computes a recurrent layer's input (`Dense layer 'dense'`);
    /// nil when it reads the model's input (`KerasInputFlow`).
    var computedBefore: String?

    /// The settings of a recurrent layer that decide how it maps to PyTorch.
    struct Recurrent {
        var mode: RNNMode
        var bidirectional: Bool
        /// `units`, `use_bias`, `activation`: nil when the file does not say.
        var units: Int?
        var useBias: Bool?
        var activation: String?
        /// Whether the layer returns every step (needed below another layer).
        var returnSequences: Bool
        /// Whether masked steps output zeros (`zero_output_for_mask`, which
        /// `Bidirectional` sets to its `return_sequences`).
        var zeroOutputForMask: Bool = false
        /// What the cell computes beyond PyTorch's (activations, `reset_after`,
        /// `go_backwards`, `merge_mode`).
        var variant = CellVariant.pytorch
    }
}

/// Reads a Keras 3 `config.json` (`Sequential` or `Functional`, nested models
/// included) into layer entries, refusing recurrent layers PyTorch cannot
/// express before any weight is read.
enum KerasConfigReader {
    /// Layers that compute the identity at inference and hold no weights.
    static let transparentClasses = Set(KerasConfigKeys.upstreamLayers.filter { $0.value == .identity }.keys)

    /// The largest `config.json` read (its inflated size, checked before
    /// inflating): a model's config is kilobytes, and a small archive could
    /// otherwise inflate gigabytes into memory.
    static let maximumSize = 64 << 20

    /// The layers of the model in the archive's `config.json` member,
    /// refusing one larger than `maximumSize` before inflating it.
    /// `hardSigmoid` is what `hard_sigmoid` means in the Keras version that
    /// wrote the file (tf_keras writes `.keras` files too, with Keras 2's).
    static func layers(in archive: ZipArchive, member: ZipMember, file: String,
                       hardSigmoid: GateActivation = .keras3HardSigmoid) throws -> [KerasLayerEntry] {
        guard member.size <= maximumSize else {
            throw refused(file, .configTooLarge(size: member.size, limit: maximumSize))
        }
        return try layers(try archive.contents(of: member), file: file, hardSigmoid: hardSigmoid)
    }

    /// The layers of the model in `json`; `file` names the archive in errors.
    static func layers(_ json: Data, file: String, hardSigmoid: GateActivation = .keras3HardSigmoid) throws -> [KerasLayerEntry] {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: json)
        } catch {
            let reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            throw refused(file, .configNotJSON(reason))
        }
        guard let root = parsed as? [String: Any] else {
            throw refused(file, .configNotObject)
        }
        var masks = KerasMaskFlow()
        var precision = KerasPrecisionFlow()
        var values = KerasInputFlow()
        return try layers(ofModel: root, group: "", file: file, hardSigmoid: hardSigmoid, input: .none, computed: nil, masks: &masks,
                          precision: &precision, values: &values)
    }

    private static func refused(_ file: String, _ problem: ModelFileProblem) -> ConversionError {
        .modelFile(file: file, tensor: "config.json", problem)
    }

    /// The layers of one model object (`{"class_name": "Sequential", "config": {"layers": […]}}`).
    /// `input` is the mask state of the model's input (of the outer layer
    /// feeding a nested model), `computed` the layer that computed it.
    private static func layers(ofModel model: [String: Any], group: String, file: String, hardSigmoid: GateActivation,
                               input: KerasMaskFlow.State,
                               computed: String?, masks: inout KerasMaskFlow, precision: inout KerasPrecisionFlow,
                               values: inout KerasInputFlow) throws -> [KerasLayerEntry] {
        let className = model["class_name"] as? String ?? "?"
        guard let config = model["config"] as? [String: Any], let list = config["layers"] as? [[String: Any]] else {
            throw refused(file, .noLayersList(className: className))
        }
        let classes = list.map { $0["class_name"] as? String ?? "" }
        // Sequential.layers leaves out its InputLayer; its own counter makes the difference moot.
        let paths = KerasRecurrentLayer.weightPaths(forClasses: classes)
        var entries: [KerasLayerEntry] = []
        var previous = input  // Sequential: the state of the previous layer's output
        var previousComputed = computed
        for (layer, path) in zip(list, paths) {
            let layerClass = layer["class_name"] as? String ?? ""
            let layerConfig = layer["config"] as? [String: Any] ?? [:]
            let name = layerConfig["name"] as? String ?? path
            let layerGroup = (group.isEmpty ? "" : group + ".") + "layers." + path
            let call = inbound(layer)
            let inbound = call?.names
            let incoming = inbound?.first.map { masks.states[$0] ?? input } ?? previous
            let incomingComputed = values.incoming(inbound: inbound?.first, previous: previousComputed)
            let reduced = precision.reaching(layerConfig, className: layerClass, name: name)
            if layerClass == "InputLayer" {
                masks.states[name] = input
                previous = input
                values.record(name, as: computed)
                previousComputed = computed
                continue
            }
            if ["Sequential", "Functional", "Model"].contains(layerClass), layer["config"] is [String: Any],
               (layerConfig["layers"] as? [Any]) != nil {
                let nested = try self.layers(ofModel: layer, group: layerGroup, file: file, hardSigmoid: hardSigmoid, input: incoming,
                                             computed: incomingComputed,
                                             masks: &masks, precision: &precision, values: &values)
                entries += nested
                previous = masks.output(ofModel: nested, named: name)
                previousComputed = nested.last.map { values.computed[$0.name] ?? nil } ?? incomingComputed
                values.record(name, as: previousComputed)
                continue
            }
            var entry = KerasLayerEntry(name: name, className: layerClass, group: layerGroup, recurrent: nil,
                                        inbound: inbound, transparent: transparentClasses.contains(layerClass))
            entry.precision = reduced
            entry.recurrent = try recurrent(layerClass, layerConfig, name: name, file: file, hardSigmoid: hardSigmoid)
            if entry.recurrent != nil {
                entry.inputMask = masks.inputMask(of: entry, incoming: incoming, inboundCount: inbound?.count ?? 1,
                                                  maskArgument: call?.mask ?? false)
                entry.computedBefore = incomingComputed
            }
            let others = (inbound ?? []).dropFirst().map { masks.states[$0] ?? input }
            previous = masks.output(of: entry, config: layerConfig, incoming: incoming, others: others)
            previousComputed = values.output(of: name, className: layerClass, incoming: incomingComputed)
            entries.append(entry)
        }
        return entries
    }

    /// Functional models: the names of the layers in a layer's first inbound
    /// node, its arguments in order (the `mask` keyword left out: Keras 3
    /// writes the mask it handed on there), and whether it has a mask argument.
    /// Keras 3 writes `{"args": […], "kwargs": {…}}` with `keras_history`
    /// entries; Keras 2 a list of `[layer, node, tensor, kwargs]`.
    private static func inbound(_ layer: [String: Any]) -> (names: [String], mask: Bool)? {
        guard let nodes = layer["inbound_nodes"] as? [Any], let node = nodes.first else { return nil }
        // tf_keras's `.keras` files keep Keras 2's form, one `[layer, node, tensor, kwargs]` per argument
        // (an initial state among them).
        if let tensors = node as? [Any], !tensors.isEmpty, tensors.allSatisfy({ ($0 as? [Any])?.first is String }) {
            return (tensors.compactMap { ($0 as? [Any])?.first as? String }, false)
        }
        var names: [String] = []
        func collect(_ value: Any) {
            if let dictionary = value as? [String: Any] {
                if let config = dictionary["config"] as? [String: Any], let history = config["keras_history"] as? [Any],
                   let producer = history.first as? String {
                    names.append(producer)
                    return
                }
                dictionary.keys.sorted().forEach { collect(dictionary[$0]!) }
            } else if let array = value as? [Any] {
                array.forEach(collect)
            }
        }
        guard let call = node as? [String: Any], call["args"] != nil || call["kwargs"] != nil else {
            collect(node)
            return (names, false)
        }
        collect(call["args"] ?? [])
        var keywords = call["kwargs"] as? [String: Any] ?? [:]
        let mask = keywords.removeValue(forKey: "mask").map { !($0 is NSNull) } ?? false
        collect(keywords)
        return (names, mask)
    }

    /// The recurrent settings of a layer, nil when it is not LSTM/GRU/SimpleRNN
    /// (or `Bidirectional` around one); throws for settings PyTorch cannot express.
    private static func recurrent(_ className: String, _ config: [String: Any], name: String, file: String,
                                  hardSigmoid: GateActivation) throws -> KerasLayerEntry.Recurrent? {
        func refuse(_ why: LayerRefusal) -> ConversionError {
            ConversionError.refusedLayer(file: file, layer: name, className: className, reasons: [why])
        }
        if className == "RNN" {
            guard let (layerClass, merged) = spelledLayer(ofRNN: config) else {
                let cell = config["cell"] as? [String: Any]
                throw refuse(.rnnCell((cell?["class_name"] as? String) ?? config["cell"].map(describe) ?? "no cell"))
            }
            return try recurrent(layerClass, merged, name: name, file: file, hardSigmoid: hardSigmoid)
        }
        // tf_keras's `.keras` files may hold its CuDNN layers, which the `.h5` reader refuses alike.
        if let mode = ["CuDNNLSTM": RNNMode.lstm, "CuDNNGRU": .gru][className] { throw refuse(.cudnn(layer: className, mode: mode)) }
        if let why = KerasConfigKeys.unacceptedKey(className, config) { throw refuse(why) }
        if className == "Bidirectional" {
            guard let inner = config["layer"] as? [String: Any], let innerClass = inner["class_name"] as? String,
                  let innerConfig = inner["config"] as? [String: Any],
                  var spec = try recurrent(innerClass, innerConfig.merging(["go_backwards": false]) { $1 }, name: name, file: file,
                                           hardSigmoid: hardSigmoid)
            else { return nil }
            // tf_keras runs such a forward layer backwards and its backward copy forwards (Keras 3 cannot build it).
            if innerConfig["go_backwards"] as? Bool == true { throw refuse(.goBackwardsInBidirectional) }
            spec.variant.merge = try KerasVariant.merge(config["merge_mode"], refuse: refuse)
            if let backward = config["backward_layer"] as? [String: Any], let backwardConfig = backward["config"] as? [String: Any] {
                let other = try recurrent(backward["class_name"] as? String ?? "", backwardConfig.merging(["go_backwards": false]) { $1 },
                                          name: name, file: file, hardSigmoid: hardSigmoid)
                guard let other, other.mode == spec.mode, other.units == spec.units, other.useBias == spec.useBias,
                      other.activation == spec.activation, other.variant == spec.variant.with(merge: .concat) else {
                    throw refuse(.backwardDiffers)
                }
            }
            spec.bidirectional = true
            spec.zeroOutputForMask = spec.returnSequences  // Bidirectional forces it on both directions
            return spec
        }
        guard let mode = KerasLayout.mode(ofLayerClass: className) else { return nil }
        let activation = config["activation"].map(describe) ?? "tanh"
        let recurrentActivation = config["recurrent_activation"].map(describe) ?? "sigmoid"
        let variant = try KerasVariant.variant(mode: mode, config: config, activation: activation,
                                               recurrentActivation: recurrentActivation, hardSigmoid: hardSigmoid, refuse: refuse)
        return KerasLayerEntry.Recurrent(
            mode: mode, bidirectional: false, units: config["units"] as? Int, useBias: config["use_bias"] as? Bool ?? true,
            activation: activation, returnSequences: config["return_sequences"] as? Bool ?? false,
            zeroOutputForMask: config["zero_output_for_mask"] as? Bool ?? false, variant: variant)
    }

    /// The layer an `RNN` layer's config spells (Keras 3 and Keras 2):
    /// `RNN(LSTMCell(…), go_backwards=…)` is `LSTM(…, go_backwards=…)`, the
    /// cell's keys and the layer's together; nil for any other cell.
    static func spelledLayer(ofRNN config: [String: Any]) -> (className: String, config: [String: Any])? {
        guard let cell = config["cell"] as? [String: Any], let cellConfig = cell["config"] as? [String: Any],
              let layerClass = (cell["class_name"] as? String).flatMap(KerasLayout.layerClass(ofCellClass:)) else { return nil }
        return (layerClass, cellConfig.merging(config.filter { $0.key != "cell" }) { $1 })
    }

    /// An activation as the config spells it (`"tanh"`, or a serialized object).
    private static func describe(_ value: Any) -> String {
        if let text = value as? String { return text }
        if let object = value as? [String: Any] {
            return (object["config"] as? String) ?? (object["class_name"] as? String) ?? "\(object)"
        }
        return "\(value)"
    }
}
