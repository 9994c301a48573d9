/// An activation a gate slot of a recurrent cell applies, as ONNX names them
/// (`activations` / `activation_alpha` / `activation_beta`) and Keras spells
/// them (`recurrent_activation="hard_sigmoid"`).
public enum GateActivation: Hashable, Sendable {
    /// `σ(x) = 1 / (1 + e^−x)`.
    case sigmoid
    /// `tanh(x)`.
    case tanh
    /// `max(0, x)`.
    case relu
    /// `clip(alpha·x + beta, 0, 1)`: ONNX `HardSigmoid` (defaults 0.2, 0.5),
    /// Keras 2's `hard_sigmoid` (0.2, 0.5), Keras 3's `hard_sigmoid` (1/6, 0.5).
    case hardSigmoid(alpha: Float, beta: Float)

    /// Keras 3's `hard_sigmoid`: `relu6(x + 3) / 6`.
    public static let keras3HardSigmoid = GateActivation.hardSigmoid(alpha: 1.0 / 6.0, beta: 0.5)
    /// Keras 2's `hard_sigmoid` (and ONNX `HardSigmoid`'s default): `clip(0.2x + 0.5, 0, 1)`.
    public static let keras2HardSigmoid = GateActivation.hardSigmoid(alpha: 0.2, beta: 0.5)

    /// The ONNX operator name (`Sigmoid`, `HardSigmoid`).
    public var onnxName: String {
        switch self {
        case .sigmoid: "Sigmoid"
        case .tanh: "Tanh"
        case .relu: "Relu"
        case .hardSigmoid: "HardSigmoid"
        }
    }

    /// As an equation writes it: `σ`, `tanh`, `relu`, `hard_sigmoid(0.2x + 0.5)`.
    public var text: String {
        switch self {
        case .sigmoid: "σ"
        case .tanh: "tanh"
        case .relu: "relu"
        case .hardSigmoid(let alpha, let beta):
            alpha == Self.keras3HardSigmoid.alpha ? "hard_sigmoid(x/6 + \(beta))" : "hard_sigmoid(\(alpha)x + \(beta))"
        }
    }

    /// This activation applied to the expression `pre`, as an equation
    /// writes it: `σ(pre)`, `clip(0.3·(pre) + 0.4, 0, 1)`, `clip((pre)/6 + 0.5, 0, 1)`.
    public func applied(to pre: String) -> String {
        switch self {
        case .sigmoid: "σ(\(pre))"
        case .tanh: "tanh(\(pre))"
        case .relu: "relu(\(pre))"
        case .hardSigmoid(let alpha, let beta):
            self == Self.keras3HardSigmoid ? "clip((\(pre))/6 + \(beta), 0, 1)" : "clip(\(alpha)·(\(pre)) + \(beta), 0, 1)"
        }
    }

    /// `alpha` of `HardSigmoid`, nil for the others.
    public var alpha: Float? {
        if case .hardSigmoid(let alpha, _) = self { return alpha }
        return nil
    }

    /// `beta` of `HardSigmoid`, nil for the others.
    public var beta: Float? {
        if case .hardSigmoid(_, let beta) = self { return beta }
        return nil
    }
}

/// Which way a one-direction module reads its sequence.
public enum RecurrenceDirection: String, Hashable, Sendable {
    /// From the first step to the last (PyTorch's forward direction).
    case forward
    /// From the last step to the first, each output at its own step (ONNX
    /// `direction="reverse"`, the reverse half of PyTorch's bidirectional layer).
    case reverse
    /// From the last step to the first, outputs in the order computed, so
    /// `output[0]` belongs to the last step (Keras `go_backwards=True`).
    case backwards
}

/// How a bidirectional layer combines its directions' outputs (Keras
/// `Bidirectional(merge_mode=…)`); PyTorch concatenates.
public enum DirectionMerge: String, Hashable, Sendable, CaseIterable {
    /// `[forward, backward]` on the feature axis (PyTorch, ONNX, Keras's default).
    case concat
    /// `forward + backward`.
    case sum
    /// `forward ⊙ backward`.
    case mul
    /// `(forward + backward) / 2`.
    case ave
}

/// What a cell computes beyond PyTorch's `nn.RNN` / `nn.GRU` / `nn.LSTM`:
/// the options ONNX and Keras cells have. The default value is PyTorch's
/// cell; every other value runs on the engine's reference path and cannot be
/// written with PyTorch names.
///
/// Activation slots follow ONNX: `f` the gates (LSTM `i, f, o`; GRU `r, z`),
/// `g` the candidate (LSTM `g`, GRU `n`, the RNN activation), `h` the LSTM's
/// output activation of `c'`. Keras calls `f` `recurrent_activation` and
/// `g`, `h` `activation`.
public struct CellVariant: Hashable, Sendable {
    /// `f`: the gate activation (PyTorch: σ).
    public var gate: GateActivation
    /// `g`: the candidate activation (PyTorch: tanh; an RNN's nonlinearity).
    public var candidate: GateActivation
    /// `h`: an LSTM's activation of `c'` in `h' = o ⊙ h(c')` (PyTorch: tanh).
    public var output: GateActivation
    /// GRU: whether the reset gate multiplies `W_hn h + b_hn` (PyTorch; ONNX
    /// `linear_before_reset=1`; Keras `reset_after=True`) or `h` before the
    /// product (false: `n = g(W_in x + b_in + W_hn (r ⊙ h) + b_hn)`).
    public var linearBeforeReset: Bool
    /// LSTM: whether `i, f` see `P ⊙ c` and `o` sees `P ⊙ c'` (ONNX `P`).
    public var peepholes: Bool
    /// Every gate pre-activation is clipped to `[−clip, clip]` (ONNX `clip`,
    /// as onnxruntime applies it); nil for none.
    public var clip: Float?
    /// LSTM: the forget gate is `1 − i` (ONNX `input_forget=1`).
    public var inputForget: Bool
    /// Which way a one-direction module reads its input.
    public var direction: RecurrenceDirection
    /// How a bidirectional module combines its directions.
    public var merge: DirectionMerge

    /// Creates a variant; every default is PyTorch's.
    public init(gate: GateActivation = .sigmoid, candidate: GateActivation = .tanh, output: GateActivation = .tanh,
                linearBeforeReset: Bool = true, peepholes: Bool = false, clip: Float? = nil, inputForget: Bool = false,
                direction: RecurrenceDirection = .forward, merge: DirectionMerge = .concat) {
        self.gate = gate
        self.candidate = candidate
        self.output = output
        self.linearBeforeReset = linearBeforeReset
        self.peepholes = peepholes
        self.clip = clip
        self.inputForget = inputForget
        self.direction = direction
        self.merge = merge
    }

    /// PyTorch's cell.
    public static let pytorch = CellVariant()

    /// Whether this is PyTorch's cell.
    public var isPyTorch: Bool { self == .pytorch }

    /// The RNN nonlinearity PyTorch's `nn.RNN` would run for this variant's
    /// candidate activation, when it is tanh or relu (nil otherwise).
    public var pytorchNonlinearity: Nonlinearity? {
        switch candidate {
        case .tanh: .tanh
        case .relu: .relu
        default: nil
        }
    }
}

extension CellVariant {
    /// This variant with another merge mode.
    public func with(merge: DirectionMerge) -> CellVariant {
        var copy = self
        copy.merge = merge
        return copy
    }
}
