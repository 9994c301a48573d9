import Foundation
import RNNConvert
import RNNEngine
import RNNLayouts
import TensorFiles

/// One recurrent module (an `nn.RNN`, `nn.GRU`, `nn.LSTM` or one of their
/// cells) read from any file rnnkit reads, ready to run and to convert.
///
/// ```swift
/// let encoder = try RNNModel(contentsOf: url, module: "encoder.lstm")
/// let y = try encoder.forward(input: try Tensor(contentsOf: xURL))
/// try encoder.write(to: URL(fileURLWithPath: "encoder.onnx"))
/// ```
///
/// A model is a value: it holds the module's weights, read when it was
/// opened, and the engine's prepared copy of them (float32 at opening, which
/// checks them; float64 on the first float64 input); it may be shared
/// between threads.
public struct RNNModel: Sendable {
    /// The file the model was read from.
    public let url: URL
    /// The module's name in the file, as PyTorch's `state_dict` spells its
    /// prefix (`encoder.lstm`); `""` for a module at the root.
    public let name: String
    /// What the module is: mode, sizes, layers, directions, projection, bias, dtype.
    public let architecture: RNNArchitecture
    /// The activation an Elman RNN runs with: the one passed to the
    /// initializer, else what the file records (an ONNX `RNN` node, a Keras
    /// `SimpleRNN` model); nil when neither says (a PyTorch state dict, a
    /// Keras `.weights.h5`), and then ``forward`` and ``write(to:overwrite:batchFirst:dtype:)``
    /// refuse it rather than guess. Always tanh for GRU and LSTM.
    public let nonlinearity: Nonlinearity?
    /// Whether the file records batch-major input (a Keras model does); nil
    /// when it records nothing (PyTorch state dicts never do).
    public let recordedBatchFirst: Bool?
    /// The file's format, as recognised from its bytes (`.safetensors`,
    /// `.npyDirectory`, `.onnx`, `.keras2Model`, …).
    public let format: FileFormat
    /// What the file's reader assumed or could not know about this module
    /// (for instance that a Keras weights file alone records no activation).
    public let notes: [ModuleNote]

    let module: RNNModule
    let renames: [Rename]
    /// What the file records about the module beyond its weights: the mask
    /// it applies to the module's input (a Keras `Masking` or
    /// `Embedding(mask_zero=True)` before it), a stored initial state and
    /// lengths (ONNX), whether its input layout is unknown; used by ``forward``.
    let hints: ModuleHints
    /// Whether the model was opened to run (and write) a module that the
    /// file's framework computes below float32 in full precision.
    let fullPrecision: Bool
    /// Whether the model was opened to run (and write) a module whose file
    /// names code rnnkit cannot run with PyTorch's forward.
    let assumePyTorchForward: Bool
    private let networks: NetworkCache

    /// The layer the file's framework computes below float32 (a Keras dtype
    /// policy `mixed_float16`, …); nil when none. Unless the model was opened
    /// with `fullPrecision`, ``forward`` and ``write(to:overwrite:batchFirst:dtype:)`` refuse such a module.
    public var reducedPrecision: ReducedPrecision? { hints.reducedPrecision }

    /// Code the file names for the module that rnnkit cannot run (a PyTorch
    /// class of its own such as a subclass of `nn.LSTM`, hooks); nil when
    /// none. Unless the model was opened with `assumePyTorchForward`,
    /// ``forward`` and ``write(to:overwrite:batchFirst:dtype:)`` refuse such a module.
    public var unrunCode: UnrunModuleCode? { hints.unrunCode }

    /// `name`, or `(root)` for the root module, as messages show it.
    public var displayName: String { module.displayName }

    /// Reads the module `module` from the file at `url`.
    ///
    /// - Parameters:
    ///   - url: a weight file rnnkit reads, recognised by its bytes: NPY, NPZ,
    ///     HDF5, safetensors, a PyTorch checkpoint (`.pt`), a folder of `.npy`
    ///     files, an ONNX model, a Keras 3 `.keras` or `.weights.h5` file.
    ///   - module: the module's name (`"encoder.lstm"`; `""` or `"(root)"` for
    ///     the root); nil when the file holds exactly one recurrent module.
    ///   - renames: `OLD=NEW` renames applied to the file's tensor names first,
    ///     for files that do not use PyTorch's names.
    ///   - nonlinearity: an Elman RNN's activation when the file does not
    ///     record it (a PyTorch state dict never does); nil takes the file's.
    ///   - fullPrecision: run and write a module that the file's framework
    ///     computes below float32 (``reducedPrecision``) for float32/float64
    ///     all the same; its numbers then differ from the framework's by the rounding.
    ///   - assumePyTorchForward: run and write a module whose file names code
    ///     rnnkit cannot run (``unrunCode``: a PyTorch class of its own, hooks)
    ///     with PyTorch's forward for its weights.
    /// - Throws: `TensorFileError` when the file cannot be read; a
    ///   `BadInputError` naming the file when it holds no such module, several
    ///   modules and no `module` was given, or a module whose weights do not
    ///   fit together.
    public init(contentsOf url: URL, module: String? = nil, renames: [Rename] = [],
                nonlinearity: Nonlinearity? = nil, fullPrecision: Bool = false, assumePyTorchForward: Bool = false) throws {
        let path = url.path
        var source = try ModelSource.open(path)
        try source.refuseShard()
        let selected: RNNModule
        do {
            try source.rename(renames)
            selected = try Inspector.inspect(source.tensors, unreadable: source.unreadable).selectModule(named: module)
        } catch let error as BadInputError {
            throw FileInputError(file: path, underlying: error)
        }
        let hints = source.hints[selected.name]
        // The cell the file records (ONNX/Keras variants, peepholes), not PyTorch's.
        let recorded = source.recorded(selected)
        self.url = url
        self.name = selected.name
        self.architecture = recorded.architecture
        self.nonlinearity = (hints ?? ModuleHints()).nonlinearity(given: nonlinearity, mode: recorded.architecture.mode)
        self.recordedBatchFirst = hints?.batchFirst
        self.format = source.format
        self.notes = hints?.notes ?? []
        self.module = recorded
        self.renames = renames
        self.hints = hints ?? ModuleHints()
        self.fullPrecision = fullPrecision
        self.assumePyTorchForward = assumePyTorchForward
        self.networks = NetworkCache()
        // Checks the weights and the activation now, so that a bad file fails here
        // (with either activation when it is not known yet: the weights are the same).
        do {
            if let known = self.nonlinearity {
                _ = try network(for: .float32, nonlinearity: known)
            } else {
                _ = try RNNNetwork(module: recorded, nonlinearity: .tanh, computeType: .float32)
            }
        } catch let error as EngineError {
            throw FileInputError(file: path, underlying: error)
        }
    }

    /// Runs the module on `input`, computing in the input's dtype (float32 or
    /// float64), exactly as PyTorch's `module(input, hx)` would.
    ///
    /// - Parameters:
    ///   - input: `(T, B, inputSize)`, `(B, T, inputSize)` when batch-first,
    ///     or `(T, inputSize)` for one unbatched sequence.
    ///   - lengths: each sequence's length, any order (PyTorch's
    ///     `pack_padded_sequence(…, enforce_sorted: false)`); the output is
    ///     zero past each length. nil: every sequence is `T` long. For a
    ///     module a Keras file masks upstream (`Embedding(mask_zero=True)`),
    ///     the mask: each sequence's unmasked steps, which come first.
    ///   - h0: initial hidden state, `(numLayers·directions, B, projSize or
    ///     hiddenSize)`, any float dtype; nil means the state the file stores
    ///     (an ONNX node's constant `initial_h`, broadcast from a batch of 1),
    ///     else zeros. `lengths` likewise defaults to the lengths the file stores.
    ///   - c0: initial LSTM cell state, `(numLayers·directions, B,
    ///     hiddenSize)`; nil means the stored one, else zeros.
    ///   - batchFirst: whether `input` and `output` put the batch first (the
    ///     states never do); nil takes ``recordedBatchFirst``, else false. A
    ///     file whose input layout cannot be traced (some ONNX graphs) needs it.
    ///   - execution: threads and kernels (results agree within the parity
    ///     tolerance whatever they are).
    /// - Returns: `output`, `hN` and, for an LSTM, `cN`, in PyTorch's shapes.
    ///
    /// A module the file masks (a Keras `Masking` or `Embedding(mask_zero=True)`
    /// before it) runs as Keras runs it: masked steps are skipped.
    ///
    /// - Throws: `EngineError` for an input that does not fit, before any
    ///   work; `StoredInputError` when the file's mask needs `lengths`, or
    ///   computes the mask from the input and `lengths` were given too, and
    ///   (`.reducedPrecision`) when the file's framework computes the module
    ///   below float32 and the model was not opened with `fullPrecision`,
    ///   (`.unrunCode`) when the file names code for it that rnnkit cannot
    ///   run and the model was not opened with `assumePyTorchForward`,
    ///   (`.nonlinearityUnknown`) for an Elman RNN whose ``nonlinearity`` is nil.
    public func forward(input: Tensor, lengths: [Int]? = nil, h0: Tensor? = nil, c0: Tensor? = nil,
                        batchFirst: Bool? = nil, execution: ExecutionOptions = .automatic) throws -> RNNOutput {
        try passing(input: input, lengths: lengths, h0: h0, c0: c0, batchFirst: batchFirst) { network, pass in
            try network.forward(input: input, lengths: pass.lengths, h0: pass.h0, c0: pass.c0,
                                batchFirst: pass.batchFirst, mask: hints.inputMask, options: execution)
        }
    }

    /// Runs the module like ``forward(input:lengths:h0:c0:batchFirst:execution:)``,
    /// passing `output` to `receiver` as the pass finishes it (`OutputReceiver`:
    /// chunk by chunk where the last layer's rows are final early) instead of
    /// returning it, so that a long output need not be all in memory.
    ///
    /// - Returns: the output's shape and dtype, `hN` and, for an LSTM, `cN`.
    /// - Throws: as `forward`; the receiver's first error, after the pass.
    public func forward(input: Tensor, lengths: [Int]? = nil, h0: Tensor? = nil, c0: Tensor? = nil,
                        batchFirst: Bool? = nil, execution: ExecutionOptions = .automatic,
                        sendingOutputTo receiver: OutputReceiver) throws -> RNNSentOutput {
        try passing(input: input, lengths: lengths, h0: h0, c0: c0, batchFirst: batchFirst) { network, pass in
            try network.forward(input: input, lengths: pass.lengths, h0: pass.h0, c0: pass.c0,
                                batchFirst: pass.batchFirst, mask: hints.inputMask, options: execution,
                                sendingOutputTo: receiver)
        }
    }

    /// The network for `input`'s dtype and the pass's arguments, the file's
    /// stored ones filling in what the caller leaves nil, given to `body`.
    private func passing<T>(input: Tensor, lengths: [Int]?, h0: Tensor?, c0: Tensor?, batchFirst: Bool?,
                            _ body: (RNNNetwork, (lengths: [Int]?, h0: Tensor?, c0: Tensor?, batchFirst: Bool)) throws -> T) throws -> T {
        guard let computeType = ComputeType(dtype: input.dtype) else {
            throw EngineError.inputDType(found: input.dtype, expected: nil)
        }
        do {
            try hints.checkRunnable(fullPrecision: fullPrecision, assumePyTorchForward: assumePyTorchForward)
        } catch let error as StoredInputError {
            throw FileInputError(file: url.path, underlying: error)
        }
        if batchFirst == nil, hints.layoutUnknown {
            throw FileInputError(file: url.path, underlying: StoredInputError.layoutUnknown(module: ModulePath(name)))
        }
        guard let nonlinearity else {
            throw FileInputError(file: url.path, underlying: StoredInputError.nonlinearityUnknown(module: ModulePath(name)))
        }
        let batchFirst = batchFirst ?? recordedBatchFirst ?? false
        let batch: Int? = input.shape.count == 3 ? input.shape[batchFirst ? 0 : 1] : nil
        let filled: (h0: Tensor?, c0: Tensor?, lengths: [Int]?)
        do {
            filled = try hints.filling(h0: h0, c0: c0, lengths: lengths, batch: batch)
        } catch let error as StoredInputError {
            throw FileInputError(file: url.path, underlying: error)
        }
        return try body(network(for: computeType, nonlinearity: nonlinearity), (filled.lengths, filled.h0, filled.c0, batchFirst))
    }

    /// Writes the module to `url`, as `rnnkit convert` would; the suffix
    /// chooses the target:
    ///
    /// - `.onnx`: one ONNX model (opset 17) running the module with the
    ///   standard LSTM/GRU/RNN operator;
    /// - `.keras`: a Keras 3 model; `.weights.h5`: its weights alone;
    /// - `.safetensors`, `.npz`, `.h5`, or a path without suffix (a folder of
    ///   `.npy` files): the module's tensors with PyTorch's names.
    ///
    /// The weights are read again from ``url`` (with the same renames); the
    /// output is written atomically, and the model's own file is never replaced.
    ///
    /// - Parameters:
    ///   - url: the file to write.
    ///   - overwrite: whether an existing file at `url` may be replaced.
    ///   - batchFirst: ONNX only: the graph's input and output are batch-major.
    ///   - dtype: the element type to write (float32, float16, bfloat16,
    ///     float64); nil keeps the weights' own.
    /// - Throws: `TensorFileError` with reason `.unknownSuffix` for a suffix
    ///   rnnkit does not write; `ConversionError` when the target cannot hold
    ///   the module (an LSTM with a projection in ONNX or Keras, an Elman RNN
    ///   whose ``nonlinearity`` is nil in ONNX or Keras), before any file is
    ///   created; `TensorFileError` when writing fails.
    /// - Returns: what was written (target, tensors, bytes, notes on how to
    ///   run the output); callers that need none of it may ignore it.
    @discardableResult
    public func write(to url: URL, overwrite: Bool = false, batchFirst: Bool = false, dtype: DType? = nil) throws -> ConversionResult {
        let target = try FileFormat.forOutputPath(url.path)
        let graph: Set<FileFormat> = [.onnx, .keras, .kerasWeights]
        let runsModule = graph.contains(target)
        var request = ConversionRequest(
            input: self.url.path, output: url.path, module: name,
            nonlinearity: runsModule && architecture.mode == .rnn ? nonlinearity : nil,
            dtype: dtype, renames: renames, force: overwrite, batchFirst: target == .onnx && batchFirst)
        request.fullPrecision = fullPrecision
        request.assumePyTorchForward = assumePyTorchForward
        return try Converter.convert(request)
    }

    private func network(for computeType: ComputeType, nonlinearity: Nonlinearity) throws -> RNNNetwork {
        try networks.network(for: computeType) {
            try RNNNetwork(module: module, nonlinearity: nonlinearity, computeType: computeType)
        }
    }
}

/// The prepared networks of one model, one per compute type, made on first use.
private final class NetworkCache: @unchecked Sendable {
    private let lock = NSLock()
    private var networks: [ComputeType: RNNNetwork] = [:]

    func network(for computeType: ComputeType, make: () throws -> RNNNetwork) throws -> RNNNetwork {
        lock.lock()
        defer { lock.unlock() }
        if let network = networks[computeType] { return network }
        let network = try make()
        networks[computeType] = network
        return network
    }
}
