import RNNLayouts
import TensorFiles

/// Something a module computes that a target format cannot hold: an LSTM
/// projection (neither ONNX nor Keras has one), a cell option Keras cannot
/// express (peepholes, clip, …), a direction layout ONNX cannot express.
/// Each case carries the feature concerned; the wording lives in
/// `description` alone. `ConversionError.targetCannotHold` refuses with one.
///
/// The PyTorch-name containers hold PyTorch's cell and nothing beyond it;
/// a module they cannot hold is `ConversionError.cellNotPyTorch`.
public enum TargetLimitation: Equatable, Sendable, CustomStringConvertible {
    /// An LSTM projection (`proj_size`, `weight_hr`): neither the ONNX LSTM
    /// operator nor `keras.layers.LSTM` has one.
    case projection(projSize: Int)
    /// Peephole connections, which `keras.layers.LSTM` has none of; `kind`
    /// names PyTorch's class (which has none either).
    case peepholes(kind: ModuleKind)
    /// Gate pre-activations clipped to `[−clip, clip]`, which Keras's cells do not do.
    case clip(Float)
    /// An LSTM whose forget gate is `1 − i` (ONNX `input_forget`), which Keras's has not.
    case inputForget
    /// A one-direction module reading backwards with outputs at their own
    /// steps (ONNX `direction="reverse"`), which Keras's `go_backwards` does not do.
    case reverseDirection
    /// An activation Keras 3 has no name for (a HardSigmoid other than x/6 + 0.5).
    case activation(GateActivation)
    /// An LSTM whose candidate and output activations differ; Keras's LSTM applies one to both.
    case distinctOutputActivation(candidate: GateActivation, output: GateActivation)
    /// Bidirectional outputs combined by `merge` other than concatenation,
    /// which ONNX's recurrent operators do not do.
    case directionMerge(DirectionMerge)
    /// Keras's `go_backwards=True` (outputs in reading order), which ONNX's
    /// `direction="reverse"` does not do.
    case goBackwards

    /// What the target lacks, and the format that keeps the feature (if any).
    public var description: String {
        switch self {
        case .projection(let projSize):
            return "an LSTM with proj_size=\(projSize) projects its state (weight_hr), which neither the ONNX LSTM operator nor "
                + "keras.layers.LSTM does, and rnnkit does not write a different network under the same name"
        case .peepholes(let kind):
            return "peepholes: keras.layers.LSTM has none (nor has PyTorch's \(RNNMode.lstm.pytorchClass(kind))); "
                + "convert to .onnx, which keeps them"
        case .clip(let clip):
            return "clip \(clip): Keras's cells do not clip their gates; convert to .onnx, which keeps it"
        case .inputForget:
            return "input_forget (f = 1 − i): keras.layers.LSTM has its own forget gate; convert to .onnx"
        case .reverseDirection:
            return "a one-direction module reading backwards with outputs at their own steps (ONNX direction=\"reverse\"): "
                + "Keras's go_backwards returns them in reading order; convert to .onnx"
        case .activation(let activation):
            return "activation \(activation.text) has no Keras 3 name (Keras 3's hard_sigmoid is x/6 + 0.5); "
                + "convert to .onnx, which keeps it"
        case .distinctOutputActivation(let candidate, let output):
            return "candidate activation \(candidate.text) and output activation \(output.text) differ: Keras's LSTM applies "
                + "its one `activation` to both; convert to .onnx"
        case .directionMerge(let merge):
            return "directions merged by \(merge.rawValue) (Keras merge_mode=\"\(merge.rawValue)\"): ONNX's recurrent operators "
                + "output both directions apart, and rnnkit writes one operator per layer; convert to .keras, which keeps it"
        case .goBackwards:
            return "go_backwards=True (outputs in reading order): ONNX direction=\"reverse\" outputs each step at its own "
                + "position; convert to .keras"
        }
    }
}

extension RNNArchitecture {
    /// What `target` cannot hold of a module of this architecture, in the
    /// order the exporter refuses them; empty when it can hold all of it
    /// (and always for the PyTorch-name containers, see `TargetLimitation`).
    public func limitations(in target: FileFormat) -> [TargetLimitation] {
        var found: [TargetLimitation] = []
        switch target {
        case .onnx:
            if projSize > 0 { found.append(.projection(projSize: projSize)) }
            if bidirectional, variant.merge != .concat { found.append(.directionMerge(variant.merge)) }
            if variant.direction == .backwards { found.append(.goBackwards) }
        case .keras, .kerasWeights:
            if projSize > 0 { found.append(.projection(projSize: projSize)) }
            found += kerasVariantLimitations
        default:
            break
        }
        return found
    }

    /// Whether `target` holds every feature of a module of this architecture.
    public func fits(_ target: FileFormat) -> Bool {
        limitations(in: target).isEmpty
    }

    /// The cell options Keras 3's layers cannot express.
    private var kerasVariantLimitations: [TargetLimitation] {
        let v = variant
        guard !v.isPyTorch else { return [] }
        var found: [TargetLimitation] = []
        if v.peepholes { found.append(.peepholes(kind: kind)) }
        if let clip = v.clip { found.append(.clip(clip)) }
        if v.inputForget { found.append(.inputForget) }
        if v.direction == .reverse { found.append(.reverseDirection) }
        if let activation = [v.gate, v.candidate, v.output].first(where: { KerasVariant.name(of: $0) == nil }) {
            found.append(.activation(activation))
        }
        if mode == .lstm, v.candidate != v.output {
            found.append(.distinctOutputActivation(candidate: v.candidate, output: v.output))
        }
        return found
    }
}
