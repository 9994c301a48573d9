import Foundation
import RNNLayouts
import TensorFiles

/// A forward pass described by files, as `rnnkit run` and `rnnkit verify`
/// take it: a weight file, the module in it, and `.npy` files for the input,
/// lengths and initial states.
public struct RunRequest: Sendable {
    /// The weight file (any container `TensorFile.open` reads, or whatever
    /// `openWeights` opens).
    public var weights: String
    /// The module to run; nil when the file holds exactly one.
    public var module: String?
    /// Renames applied to the weight file's tensor names before inference.
    public var renames: [Rename]
    /// The input, (T, B, F) or (B, T, F) with `batchFirst`.
    public var input: String
    /// Each sequence's length (integers, shape (B,)).
    public var lengths: String?
    /// Initial hidden state.
    public var h0: String?
    /// Initial LSTM cell state.
    public var c0: String?
    /// Whether input and output put the batch first; nil takes what the
    /// weight file records (a Keras model is batch-major), else false.
    public var batchFirst: Bool?
    /// The activation of an Elman RNN; nil takes what the weight file
    /// records (an ONNX `RNN` node's activation), else tanh.
    public var nonlinearity: Nonlinearity?
    /// Opens the weight file. The default reads tensor containers
    /// (`TensorFile.open`); `rnnkit` passes a reader that also opens ONNX
    /// and Keras files (RNNEngine cannot depend on that module).
    public var openWeights: @Sendable (String) throws -> WeightSource
    /// Threads and kernels of the forward pass.
    public var execution: ExecutionOptions = .automatic
    /// Receives what the request decided on its own (which module it chose
    /// by the input's feature size), for the CLI to print on stderr.
    public var report: @Sendable (String) -> Void = { _ in }

    /// Creates a request.
    public init(weights: String, module: String? = nil, renames: [Rename] = [], input: String,
                lengths: String? = nil, h0: String? = nil, c0: String? = nil,
                batchFirst: Bool? = nil, nonlinearity: Nonlinearity? = nil,
                openWeights: @escaping @Sendable (String) throws -> WeightSource = WeightSource.container) {
        self.weights = weights
        self.module = module
        self.renames = renames
        self.input = input
        self.lengths = lengths
        self.h0 = h0
        self.c0 = c0
        self.batchFirst = batchFirst
        self.nonlinearity = nonlinearity
        self.openWeights = openWeights
    }

    /// Every file the request reads (so that an output never replaces one).
    public var inputFiles: [String] { [weights, input] + [lengths, h0, c0].compactMap { $0 } }

    /// The module the request names, found in its weight file after
    /// renaming, with the settings the file records for it.
    /// With `features` (the input's last dimension) and no module named, a
    /// file with several modules runs the only one that reads that many
    /// features, and `report` says so.
    public func loadModule(features: Int? = nil) throws -> (module: RNNModule, settings: RunSettings) {
        let source = try openWeights(weights)
        do {
            let tensors = try Rename.apply(renames, to: source.tensors)
            let (module, choice) = try Inspector.inspect(tensors).selectModule(named: module, features: features)
            if let choice { report("\(weights): \(choice)") }
            let settings = source.settings[module.name] ?? RunSettings()
            var recorded = module
            if let variant = settings.variant { recorded.architecture.variant = variant }
            recorded.peepholes = settings.peepholes
            return (recorded, settings)
        } catch let error as BadInputError {
            throw FileInputError(file: weights, underlying: error)
        }
    }

    /// Reads every file, checks them against the module and runs it, computing
    /// in the input's dtype.
    ///
    /// - Throws: `FileInputError` naming the file whose content does not fit;
    ///   `TensorFileError` for a file that cannot be read.
    public func execute() throws -> (module: RNNModule, output: RNNOutput) {
        let input = try Self.singleTensor(self.input)
        let (module, recorded) = try loadModule(features: input.shape.last)
        for assumption in recorded.assumptions { report("\(weights): \(assumption)") }
        let nonlinearity = self.nonlinearity ?? recorded.nonlinearity ?? .tanh
        if self.batchFirst == nil, recorded.layoutUnknown {
            throw FileInputError(file: weights, underlying: StoredInputError(
                "the file does not tell whether '\(module.displayName)' takes batch-major input; pass --batch-first or --no-batch-first"))
        }
        let batchFirst = self.batchFirst ?? recorded.batchFirst ?? false
        var lengths = try self.lengths.map { path in
            try located(path) { try RNNNetwork.lengths(from: try Self.singleTensor(path)) }
        }
        var h0 = try self.h0.map(Self.singleTensor)
        var c0 = try self.c0.map(Self.singleTensor)
        // What the file stores, where the request gives nothing.
        let batch: Int? = input.shape.count == 3 ? input.shape[batchFirst ? 0 : 1] : nil
        if h0 == nil, let stored = recorded.stored.h0 { h0 = try recorded.stored.state(stored, name: "h0", batch: batch, weights: weights) }
        if c0 == nil, let stored = recorded.stored.c0 { c0 = try recorded.stored.state(stored, name: "c0", batch: batch, weights: weights) }
        if lengths == nil, let stored = recorded.stored.lengths {
            guard stored.count == (batch ?? 1) else {
                throw FileInputError(file: weights, underlying: StoredInputError(
                    "the file stores \(stored.count) sequence lengths, but the input has a batch of \(batch ?? 1); pass --lengths"))
            }
            lengths = stored
        }
        guard let computeType = ComputeType(dtype: input.dtype) else {
            throw FileInputError(file: self.input, underlying: EngineError.inputDType(
                found: input.dtype, expected: "float32 or float64 (the engine computes in the input's dtype)"))
        }
        let network = try located(weights) {
            try RNNNetwork(module: module, nonlinearity: nonlinearity, computeType: computeType)
        }
        do {
            if let mask = recorded.inputMask {
                return (module, try maskedForward(network, mask: mask, input: input, lengths: lengths, h0: h0, c0: c0, batchFirst: batchFirst))
            }
            let output = try network.forward(input: input, lengths: lengths, h0: h0, c0: c0, batchFirst: batchFirst,
                                             options: execution)
            return (module, output)
        } catch let error as EngineError {
            let file: String? = switch error.subject {
            case "input": self.input
            // Stored defaults come from the weight file.
            case "lengths": self.lengths ?? weights
            case "h0": self.h0 ?? weights
            case "c0": self.c0 ?? weights
            case "module": weights
            default: nil
            }
            guard let file else { throw error }
            throw FileInputError(file: file, underlying: error)
        }
    }

    /// Runs a module the file masks as Keras does (`MaskedForward`): the mask
    /// from the input (`Masking`) or from `--lengths` (a mask made upstream).
    private func maskedForward(_ network: RNNNetwork, mask: InputMask, input: Tensor, lengths: [Int]?, h0: Tensor?, c0: Tensor?,
                               batchFirst: Bool) throws -> RNNOutput {
        let kept: [[Bool]]
        switch mask.source {
        case .refused(let reason):
            throw FileInputError(file: weights, underlying: EngineError.unsupportedOption(reason))
        case .maskValue(let value):
            if lengths != nil {
                throw FileInputError(file: weights, underlying: EngineError.unsupportedOption(
                    "the \(mask.layer) computes the mask from the input; --lengths would be a second mask: leave it out"))
            }
            kept = try MaskedForward.keptSteps(input: input, maskValue: value, batchFirst: batchFirst)
        case .lengths:
            guard let lengths else {
                throw FileInputError(file: weights, underlying: EngineError.unsupportedOption(
                    "the \(mask.layer) masks this module's input with a mask rnnkit cannot compute from it; give --lengths "
                        + "(each sequence's number of unmasked steps, which must come first) and rnnkit skips the rest as Keras does"))
            }
            do {
                kept = try MaskedForward.keptSteps(lengths: lengths, input: input, batchFirst: batchFirst)
            } catch let error as EngineError {
                throw FileInputError(file: self.lengths ?? weights, underlying: error)
            }
        }
        return try MaskedForward.forward(network, input: input, kept: kept, h0: h0, c0: c0, batchFirst: batchFirst,
                                         zeroOutput: mask.zeroOutput, options: execution)
    }

    /// The one array stored at `path` (a `.npy`, or a container holding a single tensor).
    public static func singleTensor(_ path: String) throws -> Tensor {
        let file = try TensorFile.open(path)
        guard file.tensors.count == 1 else {
            throw TensorFileError(file: path, .invalid(
                "expected a single array, found \(file.tensors.count) (\(file.tensors.prefix(5).map(\.name).joined(separator: ", ")))"))
        }
        return try file.tensors[0].tensor.loaded()
    }

    private func located<T>(_ file: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as EngineError where error.subject != "options" {
            throw FileInputError(file: file, underlying: error)
        }
    }
}

/// How a module runs, as far as its file records it (ONNX and Keras files
/// do; PyTorch state dicts do not).
public struct RunSettings: Sendable, Equatable {
    /// The activation of an Elman RNN, if recorded.
    public var nonlinearity: Nonlinearity?
    /// Whether the model takes batch-major input, if recorded.
    public var batchFirst: Bool?
    /// The mask the model applies to the module's input (Keras), if any.
    public var inputMask: InputMask?
    /// The cell's options beyond PyTorch's (`CellVariant`), if the file records any.
    public var variant: CellVariant?
    /// LSTM peephole weights by state slice (`RNNModule.peepholes`).
    public var peepholes = PeepholeWeights()
    /// What the file's reader assumed about how the module computes (a Keras 2
    /// weights file's activations, taken from its version's defaults): `run`
    /// prints each as a note, since another assumption gives other numbers.
    public var assumptions: [String] = []
    /// The initial state and lengths the file stores (the defaults of
    /// `--h0`, `--c0`, `--lengths`).
    public var stored = StoredInputs()
    /// The file cannot tell whether the input is batch-major: a request must
    /// say (`batchFirst` non-nil) or is refused.
    public var layoutUnknown = false

    /// Creates settings; nil means not recorded.
    public init(nonlinearity: Nonlinearity? = nil, batchFirst: Bool? = nil, inputMask: InputMask? = nil) {
        self.nonlinearity = nonlinearity
        self.batchFirst = batchFirst
        self.inputMask = inputMask
    }
}

/// What a weight file stores for one module's run besides its weights: an
/// initial state `(num_layers·directions, batch, hidden)` (batch 1 is
/// broadcast to the input's batch) and each sequence's length.
public struct StoredInputs: Sendable, Equatable {
    /// Stored initial hidden state.
    public var h0: Tensor?
    /// Stored initial LSTM cell state.
    public var c0: Tensor?
    /// Stored lengths, one per batch entry.
    public var lengths: [Int]?

    /// Creates stored inputs; nil means not stored.
    public init(h0: Tensor? = nil, c0: Tensor? = nil, lengths: [Int]? = nil) {
        self.h0 = h0
        self.c0 = c0
        self.lengths = lengths
    }

    public static func == (a: StoredInputs, b: StoredInputs) -> Bool {
        func same(_ x: Tensor?, _ y: Tensor?) -> Bool {
            guard let x, let y else { return x == nil && y == nil }
            return x.dtype == y.dtype && x.shape == y.shape && (try? x.data()) == (try? y.data())
        }
        return same(a.h0, b.h0) && same(a.c0, b.c0) && a.lengths == b.lengths
    }

    /// `state` for an input of `batch` sequences (nil: unbatched): as
    /// stored, broadcast from a stored batch of 1, or refused.
    func state(_ state: Tensor, name: String, batch: Int?, weights: String) throws -> Tensor {
        let stored = state.shape[1]
        guard let batch else {
            guard stored == 1 else {
                throw FileInputError(file: weights, underlying: StoredInputError(
                    "the file stores \(name) for a batch of \(stored), but the input is one unbatched sequence; pass --\(name)"))
            }
            return try Tensor(dtype: state.dtype, shape: [state.shape[0], state.shape[2]], data: state.data())
        }
        if stored == batch { return state }
        guard stored == 1 else {
            throw FileInputError(file: weights, underlying: StoredInputError(
                "the file stores \(name) for a batch of \(stored), but the input has a batch of \(batch); pass --\(name) with the state to use"))
        }
        let data = try state.data()
        let row = data.count / max(1, state.shape[0])
        var broadcast = Data(capacity: data.count * batch)
        for index in 0 ..< state.shape[0] {
            let slice = data[data.startIndex + index * row ..< data.startIndex + (index + 1) * row]
            for _ in 0 ..< batch { broadcast.append(slice) }
        }
        return try Tensor(dtype: state.dtype, shape: [state.shape[0], batch, state.shape[2]], data: broadcast)
    }
}

/// A weight file opened for running: PyTorch-named tensors and, per module
/// name, the settings the file records.
public struct WeightSource: Sendable {
    /// The tensors, with PyTorch names.
    public var tensors: [NamedTensor]
    /// Recorded settings per module name (`""` for the root).
    public var settings: [String: RunSettings]

    /// Creates a weight source.
    public init(tensors: [NamedTensor], settings: [String: RunSettings] = [:]) {
        self.tensors = tensors
        self.settings = settings
    }

    /// Opens a tensor container with `TensorFile.open` (which records no settings).
    @Sendable public static func container(_ path: String) throws -> WeightSource {
        WeightSource(tensors: try TensorFile.open(path).tensors)
    }
}

/// A bad-input error together with the file it concerns: the message is
/// `file: message`.
public struct FileInputError: BadInputError {
    /// The file concerned, as the user named it.
    public var file: String
    /// What is wrong with it.
    public var underlying: any BadInputError

    /// Creates an error.
    public init(file: String, underlying: any BadInputError) {
        self.file = file
        self.underlying = underlying
    }

    /// `file: message`.
    public var description: String { "\(file): \(underlying)" }
}

/// A request that does not fit what its weight file stores (a stored state
/// or lengths for another batch, a layout the file cannot tell).
public struct StoredInputError: BadInputError {
    /// What does not fit and which flag decides it.
    public var message: String

    /// Creates an error.
    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
