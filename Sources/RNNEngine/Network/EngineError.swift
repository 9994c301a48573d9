import RNNLayouts
import TensorFiles

/// Bad input to the engine, found before any computation: a module that
/// cannot run, or an input, initial state or lengths that do not fit it.
///
/// Every case names the argument concerned (`argument`) and says what was
/// expected. RNNKit prefixes the message with the file the argument came from.
public enum EngineError: BadInputError, Equatable {
    /// The module does not pass `ModuleValidation` (missing, misshaped,
    /// non-float or unexpected tensors, options that do not fit its mode, an
    /// activation it cannot take), every problem found.
    case invalidModule(module: String, problems: [ModuleProblem])
    /// An option that does not fit this input (sequences of different lengths for a
    /// `go_backwards` module, for instance); an activation the module cannot take is
    /// `invalidModule`.
    case unsupportedOption(String)
    /// The input's dtype is not float32/float64, or not the network's compute type.
    case inputDType(found: DType, expected: String)
    /// The input does not have 3 dimensions (or 2 for an unbatched sequence).
    case inputRank(shape: [Int], expected: String)
    /// The input's last dimension is not the module's `input_size`.
    case featureSize(shape: [Int], found: Int, expected: Int)
    /// The input has no time steps or no sequences.
    case emptyInput(shape: [Int])
    /// An initial state (`h0` or `c0`) with the wrong shape.
    case stateShape(name: String, shape: [Int], expected: [Int], reason: String)
    /// An initial state whose dtype is not floating point.
    case stateDType(name: String, found: DType)
    /// `c0` given to a module that has no cell state.
    case cellStateNotApplicable(mode: RNNMode)
    /// A lengths tensor that does not hold integers.
    case lengthsNotIntegers(found: DType)
    /// A lengths tensor that is not one-dimensional.
    case lengthsShape(shape: [Int])
    /// As many lengths as sequences are needed.
    case lengthsCount(found: Int, batch: Int)
    /// A length outside `1…T`.
    case lengthOutOfRange(index: Int, value: Int, steps: Int)
    /// A length outside `0…T` where lengths give a mask (a sequence may be masked whole).
    case maskLengthOutOfRange(index: Int, value: Int, steps: Int)
    /// The forward pass would need more working memory than the machine has
    /// (or more rows than BLAS indexes).
    case tooLarge(String)

    /// The arguments of a forward pass an error can concern.
    public enum Argument: Sendable, Equatable {
        /// The module's weights.
        case module
        /// The input sequence.
        case input
        /// The initial hidden state.
        case h0
        /// The initial LSTM cell state.
        case c0
        /// The sequence lengths.
        case lengths
        /// An option (activation, kernels): no file is concerned.
        case options
    }

    /// The argument concerned, for a caller that read it from a file to name that file.
    public var argument: Argument {
        switch self {
        case .invalidModule: return .module
        case .unsupportedOption: return .options
        case .inputDType, .inputRank, .featureSize, .emptyInput, .tooLarge: return .input
        case .stateShape(let name, _, _, _), .stateDType(let name, _): return name == "c0" ? .c0 : .h0
        case .cellStateNotApplicable: return .c0
        case .lengthsNotIntegers, .lengthsShape, .lengthsCount, .lengthOutOfRange, .maskLengthOutOfRange: return .lengths
        }
    }

    /// The message shown to the user.
    public var description: String {
        switch self {
        case .invalidModule(let module, let problems):
            return "module '\(ModulePath(module))' cannot run: " + problems.map(\.description).joined(separator: "; ")
        case .unsupportedOption(let why):
            return why
        case .inputDType(let found, let expected):
            return "input has dtype \(found.rawValue); expected \(expected)"
        case .inputRank(let shape, let expected):
            return "input has shape \(shapeText(shape)); expected \(expected)"
        case .featureSize(let shape, let found, let expected):
            return "input has shape \(shapeText(shape)): its last dimension (features) is \(found), "
                + "but the module's input_size is \(expected)"
        case .emptyInput(let shape):
            return "input has shape \(shapeText(shape)): it needs at least one time step and one sequence"
        case .stateShape(let name, let shape, let expected, let reason):
            return "\(name) has shape \(shapeText(shape)); expected \(shapeText(expected)) (\(reason))"
        case .stateDType(let name, let found):
            return "\(name) has dtype \(found.rawValue); expected floating point"
        case .cellStateNotApplicable(let mode):
            return "c0 was given, but \(mode.withArticle) has no cell state (only LSTM takes c0)"
        case .lengthsNotIntegers(let found):
            return "lengths have dtype \(found.rawValue); expected integers (int64 or int32)"
        case .lengthsShape(let shape):
            return "lengths have shape \(shapeText(shape)); expected one length per sequence, shape (B,)"
        case .lengthsCount(let found, let batch):
            return "\(found) lengths for a batch of \(batch) sequences; expected one length per sequence"
        case .lengthOutOfRange(let index, let value, let steps):
            return "lengths[\(index)] is \(value); every length must be in 1…\(steps) (the input's time steps)"
        case .maskLengthOutOfRange(let index, let value, let steps):
            return "lengths[\(index)] = \(value) is outside 0…\(steps) (the number of time steps)"
        case .tooLarge(let why):
            return why
        }
    }
}
