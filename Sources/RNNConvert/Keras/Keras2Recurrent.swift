import Foundation
import RNNLayouts

/// A recurrent layer of a Keras 2 / tf.keras file as the file describes it
/// (its config, or for a weights file alone the weights and the defaults of
/// the Keras version that wrote it): every setting that decides what it
/// computes, whether or not PyTorch's cells compute it. `refusals` say what
/// rnnkit cannot run yet.
struct Keras2Recurrent: Equatable {
    /// LSTM, GRU or RNN (SimpleRNN).
    var mode: RNNMode
    /// `units`, `use_bias`: nil when only the weights can tell.
    var units: Int?
    var useBias: Bool?
    /// `activation` (`tanh`, `relu`, …); nil when unknown (a weights file's SimpleRNN).
    var activation: String?
    /// LSTM/GRU `recurrent_activation` (`sigmoid`, `hard_sigmoid`); nil for SimpleRNN or when unknown.
    var recurrentActivation: String?
    /// GRU `reset_after`; nil when the weights must tell (a bias of 2 rows is reset_after=True).
    var resetAfter: Bool?
    /// Whether `resetAfter` is the version's default rather than what the config or the bias shape says.
    var resetAfterAssumed: Bool = false
    /// `go_backwards` of the (forward) layer.
    var goBackwards: Bool = false
    /// `return_sequences` (true when unknown: the module's output is every step).
    var returnSequences: Bool = true
    /// tf.keras `time_major`: input `(time, batch, features)`.
    var timeMajor: Bool = false
    /// Wrapped in `Bidirectional`.
    var bidirectional: Bool = false
    /// `Bidirectional`'s `merge_mode` (`concat`, `sum`, `mul`, `ave`, `null`); nil when unknown.
    var mergeMode: String?
    /// `CuDNNLSTM` / `CuDNNGRU`: their class, whose bias layout is not read yet.
    var cudnnLayer: String?
    /// Config keys whose meaning rnnkit does not know (refused: they might change what the layer computes).
    var unknownKeys: [String] = []
    /// Whether `Bidirectional`'s `backward_layer` has other settings than its forward layer.
    var backwardDiffers: Bool = false
    /// The layer upstream that gives this layer a mask (`Masking`, `Embedding(mask_zero=True)`),
    /// as "'name' (Masking(mask_value=0.0))", or nil.
    var maskedBy: String?
    /// Where the activations came from when the file does not store them
    /// ("Keras 2.2.4's defaults"), or nil when the config states them.
    var assumedFrom: String?

    /// What rnnkit cannot run, each named (empty: nothing). Cells beyond
    /// PyTorch's that rnnkit runs (hard_sigmoid, relu and sigmoid activations,
    /// `reset_after=False`, `go_backwards`, `merge_mode` sum/mul/ave) are not
    /// refused: `variant` carries them.
    var refusals: [LayerRefusal] {
        var reasons: [LayerRefusal] = []
        if let activation, KerasVariant.activation(named: activation) == nil {
            reasons.append(.activation(.activation, name: activation, assumedFrom: assumedFrom, keras2: true))
        }
        if mode != .rnn {
            if let recurrentActivation, KerasVariant.activation(named: recurrentActivation) == nil {
                reasons.append(.activation(.recurrentActivation, name: recurrentActivation, assumedFrom: assumedFrom, keras2: true))
            } else if recurrentActivation == nil {
                reasons.append(.recurrentActivationUnknown)
            }
        }
        if mode == .gru, resetAfter == nil { reasons.append(.resetAfterUnknown) }
        if goBackwards, bidirectional { reasons.append(.goBackwardsInBidirectional) }
        if bidirectional, let mergeMode, DirectionMerge(rawValue: mergeMode) == nil { reasons.append(.mergeMode(mergeMode)) }
        if backwardDiffers { reasons.append(.backwardDiffers) }
        if timeMajor { reasons.append(.timeMajor) }
        if let cudnnLayer { reasons.append(.cudnn(layer: cudnnLayer, mode: mode)) }
        if !unknownKeys.isEmpty { reasons.append(.unknownKeys(unknownKeys)) }
        if let maskedBy { reasons.append(.maskedUpstream(layer: maskedBy)) }
        return reasons
    }

    /// What the layer computes beyond PyTorch's cell (Keras 2's hard_sigmoid is
    /// 0.2x + 0.5; `reset_after=False`, `go_backwards`, `merge_mode`), for a
    /// layer `refusals` let through.
    var variant: CellVariant {
        var config: [String: Any] = ["go_backwards": goBackwards && !bidirectional]
        if let resetAfter { config["reset_after"] = resetAfter }
        var variant = (try? KerasVariant.variant(
            mode: mode, config: config, activation: activation ?? "tanh", recurrentActivation: recurrentActivation ?? "sigmoid",
            hardSigmoid: .keras2HardSigmoid, refuse: { ConversionError.refusedLayer(file: "", layer: "", className: nil, reasons: [$0]) })) ?? .pytorch
        if bidirectional, let merge = mergeMode.flatMap(DirectionMerge.init(rawValue:)) { variant.merge = merge }
        return variant
    }

    /// The settings of `KerasConfigReader` for a layer `refusals` let through.
    var entry: KerasLayerEntry.Recurrent {
        KerasLayerEntry.Recurrent(mode: mode, bidirectional: bidirectional, units: units, useBias: useBias,
                                  activation: activation ?? (mode == .rnn ? nil : "tanh"), returnSequences: returnSequences,
                                  variant: variant)
    }

    /// The recurrent settings of a config layer (`LSTM`, `GRU`, `SimpleRNN`,
    /// `CuDNNLSTM`, `CuDNNGRU`, `RNN` around `LSTMCell`/`GRUCell`/`SimpleRNNCell`,
    /// or `Bidirectional` around one); nil for other layers.
    /// Missing keys take the defaults of `defaults`.
    static func fromConfig(_ className: String, _ config: [String: Any], defaults: Keras2Defaults) -> Keras2Recurrent? {
        if className == "RNN" {
            // Other cells are no layer rnnkit reads.
            guard let (layerClass, merged) = KerasConfigReader.spelledLayer(ofRNN: config) else { return nil }
            return fromConfig(layerClass, merged, defaults: defaults)
        }
        if className == "Bidirectional" {
            guard let inner = config["layer"] as? [String: Any], let innerClass = inner["class_name"] as? String,
                  let innerConfig = inner["config"] as? [String: Any],
                  var spec = fromConfig(innerClass, innerConfig, defaults: defaults) else { return nil }
            if let backward = config["backward_layer"] as? [String: Any], let backwardConfig = backward["config"] as? [String: Any] {
                // Keras runs the backward layer with go_backwards flipped; compare the rest.
                var other = fromConfig(backward["class_name"] as? String ?? "", backwardConfig, defaults: defaults)
                other?.goBackwards = spec.goBackwards
                spec.backwardDiffers = other != spec
            }
            spec.unknownKeys += config.keys.filter { !bidirectionalKeys.contains($0) }.sorted()
            spec.bidirectional = true
            spec.mergeMode = config.keys.contains("merge_mode") ? (config["merge_mode"] as? String ?? "null") : "concat"
            return spec
        }
        // CuDNN layers compute the standard cells (CuDNNGRU: reset_after=True), with fixed activations,
        // but keep input and recurrent biases apart (LSTM 8·units, GRU 6·units): refused until read.
        let cudnn = ["CuDNNLSTM": RNNMode.lstm, "CuDNNGRU": .gru][className]
        guard let mode = cudnn ?? KerasLayout.mode(ofLayerClass: className) else { return nil }
        var spec = Keras2Recurrent(mode: mode)
        if cudnn != nil { spec.cudnnLayer = className }
        spec.unknownKeys = config.keys.filter { !recurrentKeys.contains($0) }.sorted()
        spec.units = config["units"] as? Int
        spec.useBias = cudnn != nil ? true : (config["use_bias"] as? Bool ?? true)
        spec.activation = cudnn != nil ? "tanh" : (config["activation"].map(describe) ?? "tanh")
        if mode != .rnn {
            spec.recurrentActivation = cudnn != nil ? "sigmoid" : (config["recurrent_activation"].map(describe) ?? defaults.recurrentActivation)
            if config["recurrent_activation"] == nil, cudnn == nil { spec.assumedFrom = defaults.origin }
        }
        if mode == .gru {
            spec.resetAfter = cudnn != nil ? true : (config["reset_after"] as? Bool ?? defaults.resetAfter)
            spec.resetAfterAssumed = cudnn == nil && config["reset_after"] == nil
        }
        spec.goBackwards = config["go_backwards"] as? Bool ?? false
        spec.returnSequences = config["return_sequences"] as? Bool ?? false
        spec.timeMajor = config["time_major"] as? Bool ?? false
        return spec
    }

    /// The keys of a recurrent layer's config in Keras 2.0–2.3, tf.keras and
    /// tf_keras whose effect rnnkit reads or which do not change inference
    /// (initializers, regularizers, constraints, dropout, `unroll`, `implementation`;
    /// `stateful` and `return_state` change what is kept, not the outputs of one call).
    static let recurrentKeys: Set<String> = [
        "name", "trainable", "dtype", "batch_input_shape", "batch_size", "input_dim", "input_length",
        "units", "activation", "recurrent_activation", "use_bias", "unit_forget_bias", "reset_after",
        "return_sequences", "return_state", "go_backwards", "stateful", "unroll", "time_major", "implementation",
        "kernel_initializer", "recurrent_initializer", "bias_initializer",
        "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer",
        "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout",
    ]
    /// The keys of a `Bidirectional` config.
    static let bidirectionalKeys: Set<String> = ["name", "trainable", "dtype", "batch_input_shape", "batch_size", "layer", "backward_layer", "merge_mode"]

    /// An activation as the config spells it (`"tanh"`, or a serialized object).
    private static func describe(_ value: Any) -> String {
        if let text = value as? String { return text }
        if let object = value as? [String: Any] {
            return (object["config"] as? String) ?? (object["class_name"] as? String) ?? "\(object)"
        }
        return "\(value)"
    }
}

/// What a Keras 2 version used when a layer's config (or the whole config,
/// in a weights file) does not say: Keras 2.0–2.2 and tf.keras in TensorFlow
/// 1.x `recurrent_activation="hard_sigmoid"` and GRU `reset_after=False`;
/// Keras 2.3 and tf.keras / tf_keras in TensorFlow 2 `sigmoid` (GRU
/// `reset_after=True` in TensorFlow 2's layers).
struct Keras2Defaults: Equatable {
    /// The LSTM/GRU recurrent activation, or nil when the version does not tell.
    var recurrentActivation: String?
    /// The GRU `reset_after` default, or nil when the version does not tell.
    var resetAfter: Bool?
    /// "Keras 2.2.4's defaults", for messages and notes.
    var origin: String

    /// The defaults of the version in the file's `keras_version` attribute.
    /// `cellScoped` says whether the weight names have TensorFlow 2's cell
    /// scope (`lstm/lstm_cell/kernel:0`), which tells tf.keras 2 (`2.2.4-tf`
    /// in TensorFlow 2.0) from tf.keras 1.x.
    static func of(version: String?, cellScoped: Bool) -> Keras2Defaults {
        guard let version else {
            return Keras2Defaults(recurrentActivation: nil, resetAfter: nil, origin: "no keras_version in the file")
        }
        let origin = "Keras \(version)'s defaults"
        let numbers = version.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard numbers.count == 2, numbers[0] == 2 else { return Keras2Defaults(recurrentActivation: nil, resetAfter: nil, origin: origin) }
        if version.hasSuffix("-tf") {
            // tf.keras: TensorFlow 2's layers scope weights under their cell and default to sigmoid.
            return cellScoped ? Keras2Defaults(recurrentActivation: "sigmoid", resetAfter: true, origin: origin)
                : Keras2Defaults(recurrentActivation: "hard_sigmoid", resetAfter: false, origin: origin)
        }
        switch numbers[1] {
        case ..<3: return Keras2Defaults(recurrentActivation: "hard_sigmoid", resetAfter: false, origin: origin)
        case 3: return Keras2Defaults(recurrentActivation: "sigmoid", resetAfter: nil, origin: origin)
        default: return Keras2Defaults(recurrentActivation: "sigmoid", resetAfter: true, origin: origin)
        }
    }
}
