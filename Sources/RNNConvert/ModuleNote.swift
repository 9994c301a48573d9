import RNNLayouts
import TensorFiles

/// A note and what it is about: a module, or a file.
public struct ModuleNoteEntry: Sendable, Equatable {
    /// What a note is about.
    public enum Subject: Sendable, Equatable, CustomStringConvertible {
        /// A module of the file (shown as `encoder`, `(root)`).
        case module(ModulePath)
        /// A file, by its path (a run's weights, when the note is not one module's).
        case file(String)

        /// The module's display name, or the path.
        public var description: String {
            switch self {
            case .module(let path): return path.description
            case .file(let path): return path
            }
        }
    }

    /// The module (or file) the note is about.
    public var subject: Subject
    /// The note.
    public var note: ModuleNote

    /// Creates an entry about `subject`.
    public init(_ subject: Subject, note: ModuleNote) {
        self.subject = subject
        self.note = note
    }

    /// Creates an entry about `module`.
    public init(module: ModulePath, note: ModuleNote) {
        self.init(.module(module), note: note)
    }

    /// `subject: note`, each option named by `name`.
    public func message(naming name: (RequestOption) -> String) -> String {
        "\(subject): \(note.message(naming: name))"
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
    /// The graph computes more from the module's output than moving it into
    /// PyTorch's shapes: `operators` (an ONNX `Gemm`, another module's node):
    /// rnnkit runs the module alone, so its output is not the graph's.
    case computedAfter(operators: [String])
    /// ONNX: the weights of `node` are read from `initializers` that are
    /// also graph inputs (defaults a caller may replace): rnnkit uses the
    /// stored values, what onnxruntime computes when none are fed.
    case weightsOverridable(node: String, initializers: [String])
    /// Keras: the model computes the module's input with `layer` (a
    /// `Dense`, an `Embedding`, described): a run must be given its output,
    /// not the model's input.
    case computedBefore(layer: String)
    /// The file stores an initial state of `shape` (`states`: h0, c0), the
    /// default of a run.
    case storedState(shape: [Int], states: [String])
    /// The ONNX input `role` of `node` is computed from the graph input
    /// `input`: a run gives it through `option`, else zeros or full lengths.
    case runtimeInput(role: String, node: String, input: String, option: RequestOption)
    /// The ONNX input `role` of `node` is computed from the outputs of the
    /// recurrent node `source` (another module: an encoder's final state
    /// starting a decoder): rnnkit has no value for it, so a run needs `option`.
    case stateComputed(role: String, node: String, source: String, option: RequestOption)
    /// The file stores these sequence lengths, the default of a run.
    case storedLengths([Int])
    /// The file stores the tensor `name` of `shape`, the default of `option`.
    case storedTensor(name: String, shape: [Int], option: RequestOption)
    /// A traced module's forward takes its initial state as its argument
    /// `parameter` (the model passes it): a run uses `option` when given, else
    /// the module's default (zeros, or a state the file stores).
    case stateArgument(parameter: String, option: RequestOption)
    /// The file stores `name` of `shape` in the module or one around it,
    /// shaped like the module's initial state (a wrapper's learned `h0`):
    /// rnnkit runs the module alone and cannot tell whether the model passes
    /// it, so a run starts from zeros unless told; renamed to `stored` it is
    /// the module's stored default.
    case stateShapedTensor(name: String, shape: [Int], stored: String)
    /// Keras: a layer's activations were assumed (`origin`: the defaults
    /// of which Keras version), as `activations` lists them.
    case activationsAssumed(layer: String, origin: String, activations: String)
    /// Keras: the SimpleRNN activation is not in a weights file (`layer`
    /// when the file names it): run and convert need the nonlinearity given.
    case simpleRNNActivation(layer: String?, file: String)
    /// Keras: a `.weights.h5` file does not record Masking and other layers
    /// without weights; a masked input's lengths make a run match.
    case weightlessLayersUnrecorded
    /// The file masks the module's input as `mask` says.
    case inputMask(InputMask)
    /// The file's framework computes a layer of the module below float32;
    /// run and convert need the full-precision option.
    case reducedPrecision(ReducedPrecision)
    /// The file names code for the module that rnnkit cannot run (a class
    /// of its own, hooks); run and convert need the assume-PyTorch-forward option.
    case unrunCode(UnrunModuleCode)
    /// Where in the file the module was read (`Keras layer 'lstm'`, `LSTM node 'x'`).
    case readFrom(String)
    /// The file records the module's nonlinearity.
    case nonlinearityRecorded(Nonlinearity)
    /// The file records batch-major input (`batch_first=True`).
    case batchMajorInput
    /// Keras: `layer` has `return_sequences=False`, so Keras returns only
    /// the last step of the module's output.
    case lastStepOnly(layer: String)
    /// Keras 2: a weights file does not store a `Bidirectional` layer's
    /// `merge_mode`; concat (Keras's default) was assumed.
    case mergeModeAssumed(layer: String)
    /// Keras 2: a `save_weights` file stores no model config: the layers
    /// are read in `layer_names` order, their kinds and sizes from the weights.
    case keras2LayersFromWeights
    /// Keras 2 weights file: before `layer`, layers without weights
    /// (`weightless`) the file does not record, and `Embedding` layers
    /// (`embeddings`) that may mask padded steps.
    case unrecordedBefore(layer: String, weightless: [String], embeddings: [String])
    /// Keras 3 weights file: no model config, so `count` layers of `mode`
    /// (in `Bidirectional` when `bidirectional`) were inferred from the
    /// weight groups and shapes, with Keras's default activations.
    case layersInferred(count: Int, mode: RNNMode, bidirectional: Bool)
    /// Keras: a GRU bias of one row: built with `reset_after=False`.
    case gruResetBefore
    /// Keras: a GRU without bias does not show `reset_after`: True (the
    /// Keras 3 default) was assumed.
    case gruResetAfterAssumed
    /// Keras weights file: layers of several classes whose order is not
    /// recorded: each layer is its own module.
    case layersUnordered
    /// PyTorch: the module was pickled in training mode, where its forward
    /// drops out `dropout` of each layer's output before the next (random)
    /// until `eval()`; rnnkit computes the `eval()` output.
    case savedInTrainingMode(dropout: Double)

    /// The note, each option named by `name`.
    public func message(naming name: (RequestOption) -> String) -> String {
        switch self {
        case .computedAfter(let operators):
            return "the graph computes more from this module's output (\(operators.joined(separator: ", "))): rnnkit runs the "
                + "module alone, so its output is the module's, not the graph's"
        case .weightsOverridable(let node, let initializers):
            return "the weights of \(node) are stored in \(initializers.map { "'\($0)'" }.joined(separator: ", ")), which \(initializers.count == 1 ? "is" : "are") "
                + "also a graph input: a caller may feed other weights there; rnnkit uses the stored ones (what onnxruntime computes when none are fed)"
        case .computedBefore(let layer):
            return "the model computes this module's input with the \(layer): rnnkit takes the module alone, "
                + "so its input (what run must be given) is that layer's output, not the model's input"
        case .layoutUnknown(let stoppedAt):
            return "the layout of the module's input is unknown (its X is computed by \(stoppedAt ?? "nodes rnnkit does not follow")); "
                + "run needs \(name(.batchFirst)) or \(name(.sequenceFirst))"
        case .storedState(let shape, let states):
            return "the file stores an initial state \(shapeText(shape)) (\(states.joined(separator: ", "))); "
                + "run uses it unless \(states.map { name($0 == "c0" ? .c0 : .h0) }.joined(separator: "/")) \(states.count == 1 ? "is" : "are") given"
        case .runtimeInput(let role, let node, let input, let option):
            return "\(role) of \(node) is computed from the graph input '\(input)'; "
                + "run uses \(name(option)) when given, else \(option == .lengths ? "full lengths" : "zeros")"
        case .stateComputed(let role, let node, let source, let option):
            return "\(role) of \(node) is computed from the outputs of \(source), another module that rnnkit runs on its own; "
                + "run needs \(name(option)) (that state, as the graph computes it)"
        case .storedLengths(let lengths):
            return "the file stores sequence lengths \(lengths); run uses them unless \(name(.lengths)) is given"
        case .storedTensor(let tensor, let shape, let option):
            return "the file stores '\(tensor)' \(shapeText(shape)); run uses it as the default \(name(option))"
        case .stateArgument(let parameter, let option):
            return "its traced forward takes the initial state \(option == .c0 ? "c0" : "h0") as its argument '\(parameter)', "
                + "which the model passes it: give it to run as \(name(option)) (without it, the module's default: zeros, or a state "
                + "the file stores)"
        case .stateShapedTensor(let tensor, let shape, let stored):
            return "the file also stores '\(tensor)' \(shapeText(shape)), shaped like this module's initial state; rnnkit runs the "
                + "module alone and cannot tell whether the model passes it in, so run starts from zeros, the module's default, "
                + "unless given \(name(stored.hasSuffix("c0") ? .c0 : .h0)) (\(name(.rename)) \(tensor)=\(stored) starts from it)"
        case .activationsAssumed(let layer, let origin, let activations):
            return "layer '\(layer)': activations assumed from \(origin) (\(activations))"
        case .simpleRNNActivation(let layer, let file):
            return (layer.map { "layer '\($0)': " } ?? "") + "the SimpleRNN activation (tanh or relu) is not stored in \(file): "
                + "run and convert need \(name(.nonlinearity))"
        case .weightlessLayersUnrecorded:
            return "a .weights.h5 file does not record the layers without weights (Masking, Dropout): if the model masks its "
                + "input, run with \(name(.lengths)) for trailing padding (then masked steps output zeros, as PyTorch writes them, where Keras "
                + "repeats the previous output unless the layer is Bidirectional)"
        case .inputMask(let mask):
            return mask.summary(naming: name)
        case .unrunCode(let code):
            return "\(code.summary); rnnkit computes PyTorch's forward for the weights, so run and convert need \(name(.assumePyTorchForward))"
        case .reducedPrecision(let precision):
            return "\(precision.summary); rnnkit computes in float32 or float64, so run and convert need \(name(.fullPrecision))" 
        case .readFrom(let place):
            return "read from \(place)"
        case .nonlinearityRecorded(let nonlinearity):
            return "the file records nonlinearity='\(nonlinearity.rawValue)'"
        case .batchMajorInput:
            return "the model takes batch-major input (batch_first=True)"
        case .lastStepOnly(let layer):
            return "the Keras layer '\(layer)' has return_sequences=False: Keras returns only the last step, "
                + "which is the last step of PyTorch's output (output[:, -1] batch-first) for a forward-only layer"
        case .mergeModeAssumed(let layer):
            return "layer '\(layer)': merge_mode is not stored in a weights file: assumed \"concat\" (Keras's default)"
        case .keras2LayersFromWeights:
            return "a Keras 2 weights file (save_weights) stores no model config: the layers are read in layer_names order, "
                + "each recurrent layer's kind and sizes from its weights, read forwards (go_backwards=False), batch-major "
                + "(time_major=False, else run with \(name(.sequenceFirst))) and in float32"
        case .unrecordedBefore(let layer, let weightless, let embeddings):
            var parts: [String] = []
            if !weightless.isEmpty {
                parts.append("layers without weights before '\(layer)' (" + weightless.map { "'\($0)'" }.joined(separator: ", ")
                    + ") are not recorded in a weights file: rnnkit runs the recurrent layers alone")
            }
            if !embeddings.isEmpty {
                parts.append("the Embedding layer\(embeddings.count == 1 ? "" : "s") " + embeddings.map { "'\($0)'" }.joined(separator: ", ")
                    + " before '\(layer)' may mask padded steps (mask_zero=True), which a weights file does not record: rnnkit runs every step")
            }
            return parts.joined(separator: "; ")
        case .layersInferred(let count, let mode, let bidirectional):
            let layerClass = KerasLayout.layerClass(mode)
            var text = "a .weights.h5 file stores no model config: rnnkit inferred \(count == 1 ? "one" : "\(count)") "
                + "\(bidirectional ? "Bidirectional(\(layerClass))" : layerClass) "
                + "layer\(count == 1 ? "" : "s, stacked in name order,") from the weight groups and shapes"
            if bidirectional { text += "; directions concatenated (merge_mode=\"concat\")" }
            if mode != .rnn {
                text += "; activations tanh and sigmoid (Keras's defaults: a layer built with others, such as hard_sigmoid, computes other "
                    + "numbers; read the .keras file, which records them)"
            }
            return text + "; read forwards (go_backwards=False) and computed in float32 (a dtype policy such as mixed_float16 "
                + "is not recorded either)"
        case .gruResetBefore:
            return "the GRU bias is one row: the layer was built with reset_after=False (the reset gate before the recurrent product)"
        case .gruResetAfterAssumed:
            return "a GRU without bias does not show reset_after in its weights: assumed reset_after=True (the Keras 3 default)"
        case .layersUnordered:
            return "the file holds layers of several classes whose order it does not record: each layer is its own module"
        case .savedInTrainingMode(let dropout):
            return "saved in training mode, where PyTorch's forward drops out \(dropout) of each layer's output before the next "
                + "(random on every call) until model.eval(): rnnkit computes model.eval()'s output"
        }
    }

    /// Whether a run's numbers rest on what the note says the reader
    /// assumed, or on what the file computes beyond the module: `run` prints
    /// these beside its result, so that no assumption is silent. Notes on
    /// what the file records (a stored state, a mask, a layout) are `inspect`'s.
    public var isRunAssumption: Bool {
        switch self {
        case .computedAfter, .computedBefore, .weightsOverridable, .runtimeInput, .activationsAssumed, .weightlessLayersUnrecorded, .mergeModeAssumed,
             .keras2LayersFromWeights, .unrecordedBefore, .layersInferred, .gruResetAfterAssumed, .layersUnordered,
             .savedInTrainingMode, .stateShapedTensor, .stateArgument:
            return true
        // The mask a run computes from its input: which input that must be.
        case .inputMask(let mask):
            if case .maskValue = mask.source { return true }
            return false
        // A run without what these say is refused (the nonlinearity, the layout, the precision, the code);
        // a stored state or lengths is reported by the run that uses it (`ModuleHints.storedDefaultsUsed`).
        case .simpleRNNActivation, .layoutUnknown, .reducedPrecision, .unrunCode, .stateComputed,
             .storedState, .storedLengths, .storedTensor, .readFrom, .nonlinearityRecorded, .batchMajorInput,
             .lastStepOnly, .gruResetBefore:
            return false
        }
    }

    /// The note with each option named in words.
    public var description: String { message(naming: { "the \($0.phrase) option" }) }
}
