import TensorFiles

/// One thing wrong with a recurrent module: a tensor that is missing,
/// misshaped, of the wrong dtype or out of place, a size or cell option that
/// does not fit its mode, or an activation asked of it that it cannot take.
///
/// `ModuleValidation.problems(of:nonlinearity:)` finds them; `inspect` lists
/// them, the engine refuses to run a module that has any
/// (`EngineError.invalidModule`), and the exporters refuse to write one
/// (`ModuleValidationError`). The wording lives here only: `description` is
/// `tensor: message` for a tensor's problem, the message alone otherwise,
/// shapes printed as PyTorch prints `torch.Size` (`(4, 5)`).
public enum ModuleProblem: Equatable, Sendable, CustomStringConvertible {
    /// A tensor the architecture needs is absent: its full name, the shape it
    /// should have and why, and the evidence that the module needs it.
    case missingTensor(tensor: String, expected: [Int], reason: ShapeReason, evidence: MissingEvidence)
    /// A tensor has `shape` instead of `expected`, with why `expected`, and
    /// what the actual shape suggests (nil when nothing does).
    case misshapedTensor(tensor: String, shape: [Int], expected: [Int], reason: ShapeReason, hint: ShapeHint?)
    /// A tensor that has no place in the module.
    case unexpectedTensor(tensor: String, why: UnexpectedReason)
    /// A tensor the file holds under one of the module's names but rnnkit
    /// cannot read (`why`: the reader's words, such as a dtype or storage it
    /// does not read): the module would compute without it.
    case unreadableTensor(tensor: String, why: String)
    /// A tensor whose dtype is not floating point.
    case notFloatingPoint(tensor: String, dtype: DType)
    /// A float tensor whose dtype differs from the rest of `module`'s (`moduleDType`).
    case mixedDType(tensor: String, dtype: DType, module: ModulePath, moduleDType: DType)
    /// `hidden_size` below 1.
    case hiddenSizeTooSmall(Int)
    /// `proj_size` on a GRU or an RNN.
    case projectionNotLSTM(projSize: Int, mode: RNNMode)
    /// `proj_size` not below `hidden_size`.
    case projectionTooLarge(projSize: Int, hiddenSize: Int)
    /// A gate or output activation (`CellVariant`) on a mode that has no such slot.
    case activationNotApplicable(mode: RNNMode, gate: GateActivation, output: GateActivation)
    /// A cell option that belongs to another mode.
    case optionNotApplicable(VariantOption, mode: RNNMode)
    /// A cell clip that is not a positive finite number.
    case invalidClip(Float)
    /// A HardSigmoid activation with a non-finite alpha or beta.
    case nonFiniteHardSigmoid(alpha: Float, beta: Float)
    /// A one-direction reading order on a bidirectional module.
    case directionOnBidirectional(RecurrenceDirection)
    /// A merge mode other than concatenation on a one-direction module.
    case mergeWithoutTwoDirections(DirectionMerge)
    /// An LSTM with peepholes lacks those of `layer` (`reverse` nil for a one-direction module).
    case missingPeepholes(layer: Int, reverse: Bool?, expected: Int)
    /// Peephole weights of `layer` shaped `shape` instead of `(expected,)`.
    case misshapedPeepholes(layer: Int, reverse: Bool?, shape: [Int], expected: Int)
    /// Peephole weights of `layer` that are not floating point.
    case peepholesNotFloatingPoint(layer: Int, reverse: Bool?, dtype: DType)
    /// Peephole weights for a state slice the module does not have (or a module without peepholes).
    case unexpectedPeepholes(slice: Int, mode: RNNMode, peepholes: Bool, slices: Int)
    /// An activation asked of a GRU or LSTM, whose activations are fixed.
    case nonlinearityNotApplicable(Nonlinearity, mode: RNNMode)
    /// An activation asked of an RNN whose file records another one.
    case nonlinearityContradictsActivation(Nonlinearity, recorded: GateActivation)

    /// Whether the problem is the nonlinearity asked of the module (an
    /// option of the request, not something in the file).
    public var concernsNonlinearity: Bool {
        switch self {
        case .nonlinearityNotApplicable, .nonlinearityContradictsActivation: return true
        default: return false
        }
    }

    /// The full name of the tensor concerned; nil for a problem of the whole module.
    public var tensor: String? {
        switch self {
        case .missingTensor(let tensor, _, _, _), .misshapedTensor(let tensor, _, _, _, _), .unexpectedTensor(let tensor, _),
             .unreadableTensor(let tensor, _), .notFloatingPoint(let tensor, _), .mixedDType(let tensor, _, _, _):
            return tensor
        default:
            return nil
        }
    }

    /// `tensor: message`, or the message alone.
    public var description: String { tensor.map { "\($0): \(message)" } ?? message }

    /// What is wrong and what was expected, without the tensor's name.
    public var message: String {
        switch self {
        case .missingTensor(_, let expected, let reason, let evidence):
            return "missing; expected shape \(shapeText(expected)): \(reason); \(evidence)"
        case .misshapedTensor(_, let shape, let expected, let reason, let hint):
            return "shape \(shapeText(shape)), expected \(shapeText(expected)): \(reason)" + (hint.map { "; \($0)" } ?? "")
        case .unexpectedTensor(_, let why):
            return "\(why)"
        case .unreadableTensor(_, let why):
            return "in the file, but rnnkit cannot read it (\(why)); the module would compute without it, so it is not run "
                + "or converted: save the tensor as a float array"
        case .notFloatingPoint(_, let dtype):
            return "dtype \(dtype.rawValue): recurrent weights must be floating point (float16, bfloat16, float32 or float64)"
        case .mixedDType(_, let dtype, let module, let moduleDType):
            let display = module.isRoot ? "the root module" : "module '\(module)'"
            return "dtype \(dtype.rawValue), but the rest of \(display) is \(moduleDType.rawValue): "
                + "a PyTorch module holds one dtype (module.to(torch.\(moduleDType.rawValue)) makes them agree)"
        case .hiddenSizeTooSmall(let size):
            return "hidden_size is \(size); expected at least 1"
        case .projectionNotLSTM(let projSize, let mode):
            return "proj_size \(projSize) (weight_hr) exists only for LSTM, not \(mode.rawValue)"
        case .projectionTooLarge(let projSize, let hiddenSize):
            return "proj_size \(projSize) must be smaller than hidden_size \(hiddenSize)"
        case .activationNotApplicable(let mode, let gate, let output):
            return mode == .gru
                ? "a GRU has activations f and g only; output activation \(output.text) does not apply"
                : "an RNN has one activation (g); gate activation \(gate.text) / output activation \(output.text) do not apply"
        case .optionNotApplicable(let option, let mode):
            return "\(option.text) \(option == .peepholes ? "apply" : "applies") to \(option.mode.rawValue) only, not \(mode.rawValue)"
        case .invalidClip(let clip):
            return "clip \(clip) must be a positive finite number"
        case .nonFiniteHardSigmoid(let alpha, let beta):
            return "HardSigmoid alpha \(alpha), beta \(beta) must be finite"
        case .directionOnBidirectional(let direction):
            return "direction \(direction.rawValue) applies to a one-direction module; this one is bidirectional"
        case .mergeWithoutTwoDirections(let merge):
            return "merge_mode \(merge.rawValue) needs two directions"
        case .missingPeepholes(let layer, let reverse, let expected):
            return "the peephole weights of \(Self.place(layer, reverse)) are missing; expected (3·hidden_size) = (\(expected),)"
        case .misshapedPeepholes(let layer, let reverse, let shape, let expected):
            return "the peephole weights of \(Self.place(layer, reverse)) have shape \(shapeText(shape)); "
                + "expected (3·hidden_size) = (\(expected),)"
        case .peepholesNotFloatingPoint(let layer, let reverse, let dtype):
            return "the peephole weights of \(Self.place(layer, reverse)) are \(dtype.rawValue), not floating point"
        case .unexpectedPeepholes(let slice, let mode, let peepholes, let slices):
            return "peephole weights for state slice \(slice) do not belong to this \(mode.rawValue) "
                + "(peepholes \(peepholes ? "on" : "off"), \(slices) slice(s))"
        case .nonlinearityNotApplicable(let nonlinearity, let mode):
            return "nonlinearity \(nonlinearity.rawValue) applies to RNN modules only; \(mode.withArticle)'s activations are fixed"
        case .nonlinearityContradictsActivation(let nonlinearity, let recorded):
            return "nonlinearity \(nonlinearity.rawValue) contradicts the activation \(recorded.text) the file records"
        }
    }

    /// `layer 0`, `layer 1 reverse`.
    private static func place(_ layer: Int, _ reverse: Bool?) -> String {
        "layer \(layer)" + (reverse.map { $0 ? " reverse" : " forward" } ?? "")
    }

    /// A `CellVariant` option that belongs to one mode.
    public enum VariantOption: Equatable, Sendable {
        /// `linear_before_reset=0` (GRU).
        case resetBeforeLinear
        /// `input_forget` (LSTM).
        case inputForget
        /// Peephole connections (LSTM).
        case peepholes

        /// The option as ONNX spells it.
        public var text: String {
            switch self {
            case .resetBeforeLinear: "linear_before_reset=0"
            case .inputForget: "input_forget"
            case .peepholes: "peepholes"
            }
        }

        /// The mode it belongs to.
        public var mode: RNNMode { self == .resetBeforeLinear ? .gru : .lstm }
    }
}

/// Why a parameter has the shape PyTorch gives it: which quantities of the
/// architecture fix its dimensions (`RNNArchitecture.shapeReason(of:)`).
/// `ModuleProblem` words it, in `description`.
public enum ShapeReason: Equatable, Sendable, CustomStringConvertible {
    /// `weight_ih`, `weight_hh`: `(rows, columns)`.
    case matrix(rows: Quantity, columns: Quantity)
    /// `bias_ih`, `bias_hh`: one value per row of `weight_ih`, `rows` of them.
    case biasPerRow(Quantity)
    /// `weight_hr` `(proj_size, hidden_size)`: projects the state down.
    case projection(hiddenSize: Int, projSize: Int)

    /// A quantity of the architecture that fixes one dimension.
    public enum Quantity: Equatable, Sendable {
        /// `gates · hidden_size`: the mode's gate blocks, each `hiddenSize` rows.
        case gates(RNNMode, hiddenSize: Int)
        /// Layer 0's input features.
        case inputSize(Int)
        /// What layer `layer` outputs, which the next layer reads: its
        /// directions' `stateSize`-wide states, concatenated (or combined by
        /// `merge`, nil for concatenation).
        case layerOutput(layer: Int, directions: Int, stateSize: Int, merge: DirectionMerge?)
        /// `hidden_size`: the width of `h` without a projection.
        case hiddenSize(Int)
        /// `proj_size`: the width of a projected `h`.
        case projSize(Int)
    }

    /// `rows = 4 gate blocks (i, f, g, o) × hidden_size 8; columns = input_size 5`.
    public var description: String {
        switch self {
        case .matrix(let rows, let columns):
            return "rows = \(Self.text(rows)); columns = \(Self.text(columns))"
        case .biasPerRow(let rows):
            return "one bias per row of weight_ih: \(Self.text(rows))"
        case .projection(let hiddenSize, let projSize):
            return "projects hidden_size \(hiddenSize) down to proj_size \(projSize)"
        }
    }

    private static func text(_ quantity: Quantity) -> String {
        switch quantity {
        case .gates(let mode, let hiddenSize):
            let count = mode.gateCount
            return "\(count) gate block\(count == 1 ? "" : "s") (\(mode.gateNames.joined(separator: ", "))) × hidden_size \(hiddenSize)"
        case .inputSize(let size):
            return "input_size \(size)"
        case .layerOutput(let layer, let directions, let stateSize, let merge):
            let width = merge == nil ? directions * stateSize : stateSize
            return "layer \(layer)'s output width \(width) (\(directions) direction\(directions == 1 ? "" : "s") × \(stateSize)"
                + (merge.map { ", merged by \($0.rawValue))" } ?? ")")
        case .hiddenSize(let size):
            return "hidden_size \(size)"
        case .projSize(let size):
            return "proj_size \(size)"
        }
    }
}

extension RNNMode {
    /// `an RNN`, `a GRU`, `an LSTM`.
    public var withArticle: String { self == .gru ? "a GRU" : "an \(rawValue)" }
}
