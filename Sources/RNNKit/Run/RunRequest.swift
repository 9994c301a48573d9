import Foundation
import RNNConvert
import RNNEngine
import RNNLayouts
import TensorFiles

/// A forward pass described by files, as `rnnkit run` and `rnnkit verify`
/// take it: a weight file (any file `ModelSource` opens: containers, ONNX,
/// Keras), the module in it, and `.npy` files for the input, lengths and
/// initial states. Every error names the file its argument came from.
package struct RunRequest: Sendable {
    /// The weight file.
    package var weights: String
    /// The module to run; nil when the file holds exactly one.
    package var module: String?
    /// Renames applied to the weight file's tensor names before inference.
    package var renames: [Rename]
    /// The input, (T, B, F) or (B, T, F) with `batchFirst`.
    package var input: String
    /// Each sequence's length (integers, shape (B,)).
    package var lengths: String?
    /// Initial hidden state.
    package var h0: String?
    /// Initial LSTM cell state.
    package var c0: String?
    /// Whether input and output put the batch first; nil takes what the
    /// weight file records (a Keras model is batch-major), else false.
    package var batchFirst: Bool?
    /// The activation of an Elman RNN; nil takes what the weight file
    /// records (an ONNX `RNN` node's activation), else tanh.
    package var nonlinearity: Nonlinearity?
    /// Threads and kernels of the forward pass.
    package var execution: ExecutionOptions = .automatic
    /// Run a module that its framework computes below float32 (a Keras
    /// dtype policy `mixed_float16`, …) in the input's dtype all the same;
    /// when false such a module is refused (`StoredInputError.reducedPrecision`).
    package var fullPrecision = false
    /// Run a PyTorch module whose file names code rnnkit cannot run (a class
    /// of its own, hooks) with PyTorch's forward; when false such a module is
    /// refused (`StoredInputError.unrunCode`).
    package var assumePyTorchForward = false
    /// Receives what the request decided on its own (which module of the
    /// weight file it chose by the input's feature size), for the CLI to print on stderr.
    package var reportChoice: @Sendable (_ file: String, ModuleChoice) -> Void = { _, _ in }
    /// Receives what the file's reader assumed about how the module computes
    /// (`ModuleHints.assumptions`), for the CLI to print on stderr.
    package var reportAssumption: @Sendable (ModuleNoteEntry) -> Void = { _ in }

    /// Creates a request.
    package init(weights: String, module: String? = nil, renames: [Rename] = [], input: String,
                 lengths: String? = nil, h0: String? = nil, c0: String? = nil,
                 batchFirst: Bool? = nil, nonlinearity: Nonlinearity? = nil) {
        self.weights = weights
        self.module = module
        self.renames = renames
        self.input = input
        self.lengths = lengths
        self.h0 = h0
        self.c0 = c0
        self.batchFirst = batchFirst
        self.nonlinearity = nonlinearity
    }

    /// Every file the request reads (so that an output never replaces one).
    package var inputFiles: [String] { [weights, input] + [lengths, h0, c0].compactMap { $0 } }

    /// The module the request names, found in its weight file after
    /// renaming, with what the file records about it.
    /// With `features` (the input's last dimension) and no module named, a
    /// file with several modules runs the only one that reads that many
    /// features, and `reportChoice` says so.
    package func loadModule(features: Int? = nil) throws -> (module: RNNModule, hints: ModuleHints) {
        var source = try ModelSource.open(weights)
        try source.refuseShard()
        do {
            try source.rename(renames)
            let tensors = source.tensors
            let (module, choice) = try Inspector.inspect(tensors, unreadable: source.unreadable).selectModule(named: module, features: features)
            if let choice { reportChoice(weights, choice) }
            // The cell the file records (variant, peepholes), not PyTorch's.
            return (source.recorded(module), source.hints[module.name] ?? ModuleHints())
        } catch let error as BadInputError {
            throw FileInputError(file: weights, underlying: error)
        }
    }

    /// The file an argument of the forward pass came from: its own file, or
    /// the weight file for a default the weight file stores.
    private func file(of argument: EngineError.Argument) -> String? {
        switch argument {
        case .input: return input
        case .lengths: return lengths ?? weights
        case .h0: return h0 ?? weights
        case .c0: return c0 ?? weights
        case .module: return weights
        case .options: return nil
        }
    }

    /// Reads every file, checks them against the module and runs it, computing
    /// in the input's dtype.
    ///
    /// - Throws: `FileInputError` naming the file whose content does not fit;
    ///   `TensorFileError` for a file that cannot be read.
    package func execute() throws -> (module: RNNModule, output: RNNOutput) {
        try executing { network, pass in
            try network.forward(input: pass.input, lengths: pass.lengths, h0: pass.h0, c0: pass.c0, batchFirst: pass.batchFirst,
                                mask: pass.mask, options: execution)
        }
    }

    /// Like `execute()`, passing the output to `receiver` as it is computed
    /// (`OutputReceiver`) instead of returning it.
    ///
    /// - Throws: as `execute()`; the receiver's errors.
    package func execute(sendingOutputTo receiver: OutputReceiver) throws -> (module: RNNModule, output: RNNSentOutput) {
        try executing { network, pass in
            try network.forward(input: pass.input, lengths: pass.lengths, h0: pass.h0, c0: pass.c0, batchFirst: pass.batchFirst,
                                mask: pass.mask, options: execution, sendingOutputTo: receiver)
        }
    }

    /// The arguments of the forward pass a request makes, read from its files.
    private struct Pass {
        let input: Tensor
        let lengths: [Int]?
        let h0: Tensor?
        let c0: Tensor?
        let batchFirst: Bool
        let mask: InputMask?
    }

    /// Reads every file, checks them against the module and runs `body` with
    /// the network and the pass's arguments, naming the file an engine error concerns.
    private func executing<T>(_ body: (RNNNetwork, Pass) throws -> T) throws -> (module: RNNModule, output: T) {
        let input = try Tensor(contentsOfFile: self.input)
        if input.dtype == .float32 && execution.kernels != .reference && execution.gemm == .onednn {
            BLAS.prepareOneDNNInBackground()  // its kernels are generated while the weights are read
        }
        defer { BLAS.waitForOneDNN() }  // a refusal below must not end the process while oneDNN generates code
        let (module, recorded) = try loadModule(features: input.shape.last)
        for assumption in recorded.assumptions { reportAssumption(ModuleNoteEntry(.file(weights), note: assumption)) }
        try located { try recorded.checkRunnable(fullPrecision: fullPrecision, assumePyTorchForward: assumePyTorchForward) }
        if self.batchFirst == nil, recorded.layoutUnknown {
            throw FileInputError(file: weights, underlying: StoredInputError.layoutUnknown(module: module.path))
        }
        let batchFirst = self.batchFirst ?? recorded.batchFirst ?? false
        let given = (
            h0: try self.h0.map { try Tensor(contentsOfFile: $0) },
            c0: try self.c0.map { try Tensor(contentsOfFile: $0) },
            lengths: try self.lengths.map { path in try located { try RNNNetwork.lengths(from: try Tensor(contentsOfFile: path)) } })
        // What the file stores, where the request gives nothing.
        let batch: Int? = input.shape.count == 3 ? input.shape[batchFirst ? 0 : 1] : nil
        let (h0, c0, lengths) = try located { try recorded.filling(h0: given.h0, c0: given.c0, lengths: given.lengths, batch: batch) }
        // A stored state or lengths the run uses: said, since a tensor of that name may be one the model's forward ignores.
        for note in recorded.storedDefaultsUsed(h0: given.h0 == nil, c0: given.c0 == nil, lengths: given.lengths == nil) {
            reportAssumption(ModuleNoteEntry(.file(weights), note: note))
        }
        guard let computeType = ComputeType(dtype: input.dtype) else {
            throw FileInputError(file: self.input, underlying: EngineError.inputDType(found: input.dtype, expected: nil))
        }
        return try located {
            guard let nonlinearity = recorded.nonlinearity(given: self.nonlinearity, mode: module.architecture.mode) else {
                // What is wrong with the weights themselves is said first.
                let problems = ModuleValidation.problems(of: module)
                if !problems.isEmpty { throw EngineError.invalidModule(module: module.path, problems: problems) }
                throw StoredInputError.nonlinearityUnknown(module: module.path)
            }
            let network = try RNNNetwork(module: module, nonlinearity: nonlinearity, computeType: computeType)
            return (module, try body(network, Pass(input: input, lengths: lengths, h0: h0, c0: c0, batchFirst: batchFirst,
                                                   mask: recorded.inputMask)))
        }
    }

    /// Runs `body`, naming the file of the argument an engine error concerns
    /// (a refusal about what the weight file stores names the weight file).
    private func located<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as EngineError {
            guard let file = file(of: error.argument) else { throw error }
            throw FileInputError(file: file, underlying: error)
        } catch let error as StoredInputError {
            throw FileInputError(file: weights, underlying: error)
        }
    }
}

extension ModuleHints {
    /// What the file's reader assumed about how the module computes, or
    /// what the file computes beyond it (`ModuleNote.isRunAssumption`: a
    /// weights file's inferred layers and default activations, a graph's
    /// head, a mask computed from the input): `run` reports each, since
    /// another assumption gives other numbers.
    package var assumptions: [ModuleNote] {
        (notes + (inputMask.map { [.inputMask($0)] } ?? [])).filter(\.isRunAssumption)
    }

    /// The notes of what the file stores that a run takes as its default
    /// (`storedState`, `storedLengths`, `storedTensor`), for the defaults the
    /// request leaves to the file (`h0`, `c0`, `lengths` true: not given).
    package func storedDefaultsUsed(h0: Bool, c0: Bool, lengths: Bool) -> [ModuleNote] {
        notes.filter { note in
            switch note {
            case .storedState(_, let states): return states.contains { $0 == "c0" ? c0 : h0 }
            case .storedLengths: return lengths
            case .storedTensor(_, _, let option): return option == .lengths ? lengths : option == .c0 ? c0 : h0
            default: return false
            }
        }
    }

    /// Refuses a module the file's framework computes below float32 unless
    /// `fullPrecision` asks for full precision (`run --full-precision`), and
    /// one whose file names code rnnkit cannot run unless
    /// `assumePyTorchForward` (`run --assume-pytorch-forward`).
    package func checkRunnable(fullPrecision: Bool, assumePyTorchForward: Bool) throws {
        if let reducedPrecision, !fullPrecision { throw StoredInputError.reducedPrecision(reducedPrecision) }
        if let unrunCode, !assumePyTorchForward { throw StoredInputError.unrunCode(unrunCode) }
    }
}

/// A request that does not fit what its weight file stores (a stored state
/// or lengths for another batch, a layout or mask the file cannot tell).
/// The messages say what is missing; the CLI adds the flag that gives it.
public enum StoredInputError: BadInputError, Equatable {
    /// The file cannot tell whether the module's input is batch-major; the
    /// caller must say.
    case layoutUnknown(module: ModulePath)
    /// The module is an Elman RNN and the file does not record its
    /// nonlinearity (a PyTorch state dict, a Keras `.weights.h5`); the caller must say.
    case nonlinearityUnknown(module: ModulePath)
    /// The file stores `stored` sequence lengths for an input of `batch` sequences.
    case lengthsBatch(stored: Int, batch: Int)
    /// The file stores `state` (`h0`, `c0`) for a batch of `stored`; the
    /// input has `batch` sequences (nil: one unbatched sequence).
    case stateBatch(state: String, stored: Int, batch: Int?)
    /// The graph computes the module's initial `state` (`h0`, `c0`) from the
    /// outputs of the recurrent node `source`, and none was given.
    case stateComputed(state: String, source: String)
    /// The file masks the module's input in a way rnnkit does not compute (`reason` says how).
    case maskRefused(reason: MaskRefusal)
    /// The file's framework computes the module below float32 (`precision`),
    /// and full precision was not asked for.
    case reducedPrecision(ReducedPrecision)
    /// The file names code for the module that rnnkit cannot run (a PyTorch
    /// class of its own, hooks), and PyTorch's forward was not assumed.
    case unrunCode(UnrunModuleCode)
    /// Lengths were given for a module whose mask `layer` computes from the input.
    case secondMask(layer: String)
    /// The mask of `layer` cannot be computed from the input: the lengths are needed.
    case maskNeedsLengths(layer: String)

    /// What does not fit.
    public var description: String {
        switch self {
        case .layoutUnknown(let module):
            return "the file does not tell whether '\(module)' takes batch-major input"
        case .nonlinearityUnknown(let module):
            return "'\(module)' is an Elman RNN, and the file does not record its nonlinearity, tanh or relu (they give different numbers)"
        case .lengthsBatch(let stored, let batch):
            return "the file stores \(stored) sequence lengths, but the input has a batch of \(batch)"
        case .stateBatch(let state, let stored, nil):
            return "the file stores \(state) for a batch of \(stored), but the input is one unbatched sequence"
        case .stateBatch(let state, let stored, let batch?):
            return "the file stores \(state) for a batch of \(stored), but the input has a batch of \(batch)"
        case .stateComputed(let state, let source):
            return "the graph computes this module's initial \(state) from the outputs of \(source) (another module); "
                + "rnnkit runs the module alone and has no value for it"
        case .maskRefused(let reason):
            return reason.description
        case .reducedPrecision(let precision):
            let framework = precision.framework == .pytorch ? "PyTorch's" : "Keras's"
            return "\(precision.summary); rnnkit computes in float32 or float64, so its numbers would differ from \(framework) by the rounding"
        case .unrunCode(let code):
            return "\(code.summary); rnnkit computes PyTorch's forward for the weights, not the module's own"
        case .secondMask(let layer):
            return "the \(layer) computes the mask from the input; lengths would be a second mask"
        case .maskNeedsLengths(let layer):
            return "the \(layer) masks this module's input with a mask rnnkit cannot compute from it; it needs each "
                + "sequence's number of unmasked steps (which must come first), and rnnkit skips the rest as Keras does"
        }
    }
}
