import Foundation
import RNNLayouts

/// The Keras 3 spelling of the cell options beyond PyTorch's (`CellVariant`):
/// `activation`, `recurrent_activation` (`hard_sigmoid` is Keras 3's,
/// x/6 + 0.5), GRU `reset_after`, `go_backwards`, `Bidirectional(merge_mode)`.
enum KerasVariant {
    /// The activation a Keras config names; nil for one rnnkit does not run.
    /// `hardSigmoid` is what `hard_sigmoid` means in the file's Keras version:
    /// Keras 3's x/6 + 0.5, or Keras 2's 0.2x + 0.5.
    static func activation(named name: String, hardSigmoid: GateActivation = .keras3HardSigmoid) -> GateActivation? {
        switch name {
        case "tanh": .tanh
        case "sigmoid": .sigmoid
        case "relu": .relu
        case "hard_sigmoid": hardSigmoid
        default: nil
        }
    }

    /// The Keras 3 name of `activation`; nil when Keras 3 has none (a
    /// HardSigmoid other than x/6 + 0.5, such as Keras 2's 0.2x + 0.5).
    static func name(of activation: GateActivation) -> String? {
        switch activation {
        case .tanh: "tanh"
        case .sigmoid: "sigmoid"
        case .relu: "relu"
        case .hardSigmoid: activation == .keras3HardSigmoid ? "hard_sigmoid" : nil
        }
    }

    /// The variant a recurrent layer's config describes (`go_backwards`
    /// included); throws `refuse(why)` for an activation rnnkit does not run.
    static func variant(mode: RNNMode, config: [String: Any], activation: String, recurrentActivation: String,
                        hardSigmoid: GateActivation = .keras3HardSigmoid, refuse: (LayerRefusal) -> Error) throws -> CellVariant {
        guard let candidate = self.activation(named: activation, hardSigmoid: hardSigmoid) else {
            throw refuse(.activation(.activation, name: activation, assumedFrom: nil, keras2: hardSigmoid == .keras2HardSigmoid))
        }
        var variant = CellVariant()
        switch mode {
        case .rnn:
            // tanh and relu are PyTorch's nonlinearity (ModuleHints.nonlinearity); others are a variant.
            if candidate != .relu { variant.candidate = candidate }
        case .lstm, .gru:
            guard let gate = self.activation(named: recurrentActivation, hardSigmoid: hardSigmoid) else {
                throw refuse(.activation(.recurrentActivation, name: recurrentActivation, assumedFrom: nil,
                                         keras2: hardSigmoid == .keras2HardSigmoid))
            }
            variant.gate = gate
            variant.candidate = candidate
            if mode == .lstm { variant.output = candidate }
        }
        if mode == .gru, config["reset_after"] as? Bool == false { variant.linearBeforeReset = false }
        if config["go_backwards"] as? Bool == true { variant.direction = .backwards }
        return variant
    }

    /// `Bidirectional`'s `merge_mode`; throws `refuse(why)` for `None` (two
    /// outputs) or a mode rnnkit does not know.
    static func merge(_ value: Any?, refuse: (LayerRefusal) -> Error) throws -> DirectionMerge {
        if let merge = (value as? String).flatMap(DirectionMerge.init(rawValue:)) { return merge }
        throw refuse(.mergeMode(value as? String))
    }

    /// Why `module`'s variant cannot be written as Keras 3 layers, or nil.
    static func unsupportedReason(_ architecture: RNNArchitecture) -> String? {
        let v = architecture.variant
        guard !v.isPyTorch else { return nil }
        let pytorch = architecture.mode.pytorchClass(architecture.kind)
        if v.peepholes { return "peepholes: keras.layers.LSTM has none (nor has PyTorch's \(pytorch)); convert to .onnx, which keeps them" }
        if v.clip != nil { return "clip: Keras's cells do not clip their gates; convert to .onnx, which keeps it" }
        if v.inputForget { return "input_forget (f = 1 − i): keras.layers.LSTM has its own forget gate; convert to .onnx" }
        if v.direction == .reverse {
            return "a one-direction module reading backwards with outputs at their own steps (ONNX direction=\"reverse\"): "
                + "Keras's go_backwards returns them in reading order; convert to .onnx"
        }
        for activation in [v.gate, v.candidate, v.output] where name(of: activation) == nil {
            return "activation \(activation.text) has no Keras 3 name (Keras 3's hard_sigmoid is x/6 + 0.5); convert to .onnx, which keeps it"
        }
        if architecture.mode == .lstm, v.candidate != v.output {
            return "candidate activation \(v.candidate.text) and output activation \(v.output.text) differ: Keras's LSTM applies its one "
                + "`activation` to both; convert to .onnx"
        }
        return nil
    }
}
