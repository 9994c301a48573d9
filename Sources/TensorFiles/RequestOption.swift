/// An option of a request (a run, a conversion, an inspection) that an
/// error or a note refers to: what is missing, what contradicts the file,
/// or what would resolve a refusal.
///
/// The library never spells a command-line flag; the CLI maps each option
/// to its flag (`--force`, `--lengths`, …) where it prints the message.
public enum RequestOption: String, Sendable, Codable, CaseIterable {
    /// Replace an existing output.
    case force
    /// The module to use, when the file holds several.
    case module
    /// Renaming the file's tensors before reading them.
    case rename
    /// Batch-major input and output.
    case batchFirst
    /// Sequence-major input and output (the counterpart of `batchFirst`).
    case sequenceFirst
    /// The initial hidden state.
    case h0
    /// The initial cell state (LSTM).
    case c0
    /// Each sequence's length.
    case lengths
    /// The shape of the input, given instead of an input tensor.
    case inputShape
    /// The RNN activation (tanh or relu).
    case nonlinearity
    /// The element type to write.
    case dtype
    /// Writing a masked module's weights without its mask.
    case dropMask
    /// Computing (or converting) a module its framework computes below
    /// float32 (a Keras dtype policy `mixed_float16`) in float32/float64.
    case fullPrecision
    /// Running (or converting) a PyTorch module whose file names code rnnkit
    /// cannot run (a class of its own, hooks) with PyTorch's forward.
    case assumePyTorchForward
    /// Reading the values of a file's tensors to look for NaN/Inf.
    case checkValues
    /// Not reading the values (the counterpart of `checkValues`).
    case skipValueCheck

    /// The option in words, for messages read outside the CLI.
    public var phrase: String {
        switch self {
        case .force: return "overwrite"
        case .module: return "module"
        case .rename: return "rename"
        case .batchFirst: return "batch-first"
        case .sequenceFirst: return "sequence-first"
        case .h0: return "h0"
        case .c0: return "c0"
        case .lengths: return "lengths"
        case .inputShape: return "input shape"
        case .nonlinearity: return "nonlinearity"
        case .dtype: return "dtype"
        case .dropMask: return "drop-mask"
        case .fullPrecision: return "full-precision"
        case .assumePyTorchForward: return "assume-PyTorch-forward"
        case .checkValues: return "check-values"
        case .skipValueCheck: return "skip-value-check"
        }
    }
}

/// An error whose message refers to options of the request (what is
/// missing, what contradicts the file, what would resolve it). The message
/// lives in one place, `message(naming:)`; `description` names each option
/// in words, and the CLI passes its flags instead.
public protocol OptionNamingError: BadInputError {
    /// The message, each option named by `name`.
    func message(naming name: (RequestOption) -> String) -> String
}

extension OptionNamingError {
    /// The message with each option named in words ("the overwrite option").
    public var description: String { message(naming: { "the \($0.phrase) option" }) }
}
