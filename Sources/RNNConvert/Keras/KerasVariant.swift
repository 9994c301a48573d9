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
}
