import RNNLayouts
import TensorFiles

/// A note and what it is about: a module's display name (`(root)`), or a file.
public struct ModuleNoteEntry: Sendable, Equatable {
    /// The module (or file) the note is about.
    public var module: String
    /// The note.
    public var note: ModuleNote

    /// Creates an entry.
    public init(module: String, note: ModuleNote) {
        self.module = module
        self.note = note
    }
}

/// What a model file's reader says about one module beyond its weights:
/// something stored that `run` uses by default, something not stored that
/// was assumed. `inspect`, `run` and `convert` print these; the text lives
/// in `message(naming:)`, and the CLI names the options by their flags.
public enum ModuleNote: Sendable, Equatable, CustomStringConvertible {
    /// The layout of the module's input is unknown: the graph computes its
    /// input by `stoppedAt` (nil: nodes rnnkit does not follow).
    case layoutUnknown(stoppedAt: String?)
    /// The file stores an initial state of `shape` (`states`: h0, c0), the
    /// default of a run.
    case storedState(shape: [Int], states: [String])
    /// The ONNX input `role` of `node` is computed from the graph input
    /// `input`: a run gives it through `option`, else zeros or full lengths.
    case runtimeInput(role: String, node: String, input: String, option: RequestOption)
    /// The file stores these sequence lengths, the default of a run.
    case storedLengths([Int])
    /// The file stores the tensor `name` of `shape`, the default of `option`.
    case storedTensor(name: String, shape: [Int], option: RequestOption)
    /// Keras: a layer's activations were assumed (`origin`: the defaults
    /// of which Keras version), as `activations` lists them.
    case activationsAssumed(layer: String, origin: String, activations: String)
    /// Keras: the SimpleRNN activation is not in a weights file (`layer`
    /// when the file names it): tanh unless the nonlinearity is given.
    case simpleRNNActivation(layer: String?, file: String)
    /// Keras: a `.weights.h5` file does not record Masking and other layers
    /// without weights; a masked input's lengths make a run match.
    case weightlessLayersUnrecorded
    /// The file masks the module's input as `mask` says.
    case inputMask(InputMask)
    /// Any other fact the reader recorded or assumed (names no option).
    case read(String)

    /// The note, each option named by `name`.
    public func message(naming name: (RequestOption) -> String) -> String {
        switch self {
        case .layoutUnknown(let stoppedAt):
            return "the layout of the module's input is unknown (its X is computed by \(stoppedAt ?? "nodes rnnkit does not follow")); "
                + "run needs \(name(.batchFirst)) or \(name(.sequenceFirst))"
        case .storedState(let shape, let states):
            return "the file stores an initial state \(shapeText(shape)) (\(states.joined(separator: ", "))); "
                + "run uses it unless \(states.map { name($0 == "c0" ? .c0 : .h0) }.joined(separator: "/")) \(states.count == 1 ? "is" : "are") given"
        case .runtimeInput(let role, let node, let input, let option):
            return "\(role) of \(node) is computed from the graph input '\(input)'; "
                + "run uses \(name(option)) when given, else \(option == .lengths ? "full lengths" : "zeros")"
        case .storedLengths(let lengths):
            return "the file stores sequence lengths \(lengths); run uses them unless \(name(.lengths)) is given"
        case .storedTensor(let tensor, let shape, let option):
            return "the file stores '\(tensor)' \(shapeText(shape)); run uses it as the default \(name(option))"
        case .activationsAssumed(let layer, let origin, let activations):
            return "layer '\(layer)': activations assumed from \(origin) (\(activations))"
        case .simpleRNNActivation(let layer, let file):
            return (layer.map { "layer '\($0)': " } ?? "") + "the SimpleRNN activation (tanh or relu) is not stored in \(file): "
                + "tanh unless \(name(.nonlinearity)) says otherwise"
        case .weightlessLayersUnrecorded:
            return "a .weights.h5 file does not record the layers without weights (Masking, Dropout): if the model masks its "
                + "input, run with \(name(.lengths)) for trailing padding (then masked steps output zeros, as PyTorch writes them, where Keras "
                + "repeats the previous output unless the layer is Bidirectional)"
        case .inputMask(let mask):
            return mask.summary(naming: name)
        case .read(let text):
            return text
        }
    }

    /// The note with each option named in words.
    public var description: String { message(naming: { "the \($0.phrase) option" }) }
}
