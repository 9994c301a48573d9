import Foundation
import ONNXProto
import RNNLayouts
import TensorFiles

/// What a file says about one module beyond its weights.
public struct ModuleHints: Sendable, Equatable {
    /// The activation an RNN module runs with, when the file records it
    /// (an ONNX `RNN` operator's activations).
    public var nonlinearity: Nonlinearity?
    /// Whether the model the file describes takes batch-major input.
    public var batchFirst: Bool?
    /// Where in the file the module came from (ONNX node names, Keras layer names), for messages.
    public var source: String?
    /// What the reader assumed or could not know (a Keras weights file alone
    /// records no activation, for instance), for `inspect` to show.
    public var notes: [ModuleNote]
    /// The initial state the file stores for the module (an ONNX node's
    /// constant `initial_h`/`initial_c`; `<module>.h0`/`.c0` tensors beside
    /// PyTorch names): `run`'s default `--h0`/`--c0`.
    public var storedState: StoredState?
    /// The sequence lengths the file stores (a constant ONNX `sequence_lens`;
    /// a `<module>.lengths` tensor): `run`'s default `--lengths`.
    public var lengths: [Int]?
    /// The file cannot tell whether the module's input is batch-major (an
    /// ONNX node whose `X` is computed by nodes rnnkit cannot trace):
    /// `run` needs `--batch-first` or `--no-batch-first`.
    public var layoutUnknown = false
    /// The mask the model applies to the module's input (Keras `Masking`,
    /// `Embedding(mask_zero=True)`); nil when none.
    public var inputMask: InputMask?
    /// A layer of the module (or before it) that the file's framework
    /// computes below float32 (a Keras dtype policy `mixed_float16`, …); nil when none.
    public var reducedPrecision: ReducedPrecision?
    /// Code the file names for the module that rnnkit cannot run (a PyTorch
    /// class of its own, hooks); nil when none.
    public var unrunCode: UnrunModuleCode?
    /// What the module's cell computes beyond PyTorch's (ONNX and Keras
    /// options); nil for PyTorch's cell.
    public var variant: CellVariant?
    /// LSTM peephole weights (an ONNX `P` input) by state slice, as `RNNModule.peepholes`.
    public var peepholes = PeepholeWeights()

    /// `module` with what these hints record about its cell (`variant`, `peepholes`).
    public func applied(to module: RNNModule) -> RNNModule {
        var module = module
        if let variant { module.architecture.variant = variant }
        module.peepholes = peepholes
        return module
    }

    /// The activation a module of `mode` runs with: for an Elman RNN
    /// (`nn.RNN`, `nn.RNNCell`, Keras `SimpleRNN`) `given`, else the one the
    /// file records (a recorded cell variant's own, such as sigmoid, runs as
    /// the variant says); nil when nothing says (a PyTorch state dict, a Keras
    /// `.weights.h5`: tanh and relu give different numbers, so run and convert
    /// refuse rather than guess). GRU and LSTM: `given` (relu is then refused
    /// by validation), else tanh.
    public func nonlinearity(given: Nonlinearity?, mode: RNNMode) -> Nonlinearity? {
        guard mode == .rnn else { return given ?? .tanh }
        if let known = given ?? nonlinearity { return known }
        return variant.map { $0.pytorchNonlinearity ?? .tanh }
    }

    /// Creates hints.
    public init(nonlinearity: Nonlinearity? = nil, batchFirst: Bool? = nil, source: String? = nil, notes: [ModuleNote] = []) {
        self.nonlinearity = nonlinearity
        self.batchFirst = batchFirst
        self.source = source
        self.notes = notes
    }
}

/// An initial state a file stores for one module, in PyTorch's shape
/// `(num_layers·directions, batch, hidden)`; a batch of 1 is broadcast to
/// the input's batch (as the graph that stored it does).
public struct StoredState: Sendable, Equatable {
    /// The initial hidden state.
    public var h0: Tensor?
    /// The initial LSTM cell state.
    public var c0: Tensor?

    /// Creates a stored state.
    public init(h0: Tensor?, c0: Tensor?) {
        self.h0 = h0
        self.c0 = c0
    }

    public static func == (a: StoredState, b: StoredState) -> Bool {
        func same(_ x: Tensor?, _ y: Tensor?) -> Bool {
            guard let x, let y else { return x == nil && y == nil }
            return x.dtype == y.dtype && x.shape == y.shape && (try? x.data()) == (try? y.data())
        }
        return same(a.h0, b.h0) && same(a.c0, b.c0)
    }
}

/// Any file rnnkit takes as a model: a tensor container with PyTorch names
/// (NPY, NPZ, HDF5, safetensors, PyTorch checkpoint, a directory of `.npy`)
/// or a model in another layout (ONNX, Keras 3 `.keras` and `.weights.h5`,
/// Keras 2 / tf.keras HDF5 files)
/// read back into PyTorch names.
///
/// This is the one entry point `inspect`, `run`, `verify` and `convert` use
/// to open their input.
public struct ModelSource: Sendable {
    /// The path as given.
    public var path: String
    /// The format `FormatSniffer` recognised (`.npz`, `.onnx`, `.keras2Model`, …).
    public var format: FileFormat
    /// The tensors with PyTorch names, in file order (module by module for ONNX).
    public var tensors: [NamedTensor]
    /// Per module name (`""` for the root): what the file records besides weights.
    public var hints: [String: ModuleHints]
    /// Free-form metadata (safetensors `__metadata__`, ONNX `metadata_props` and producer).
    public var metadata: [String: String]
    /// Entries of a container that are not tensors (`TensorFile.otherItems`).
    public var otherItems: [(name: String, summary: String)] = []

    /// Whether the file's name says it is one shard of several (a safetensors
    /// or PyTorch file named `model-00001-of-00003.safetensors`): its modules
    /// may continue in another shard.
    public var isShard: Bool {
        [.safetensors, .pytorch, .pytorchLegacy].contains(format) && ShardedCheckpoint.shardNumber(of: path) != nil
    }

    /// Refuses to run or convert one shard of several (`isShard`): the index
    /// names every shard, so only it gives whole modules.
    ///
    /// - Throws: `TensorFileError` `.shard(index:count:)`.
    public func refuseShard() throws {
        if isShard, let (index, count) = ShardedCheckpoint.shardNumber(of: path) {
            throw TensorFileError(file: path, .shard(index: index, count: count))
        }
    }

    /// The entries among `otherItems` named like a recurrent parameter: held
    /// by the file, not read (`Inspector.inspect(_:unreadable:)` makes each
    /// its module's problem).
    public var unreadable: [UnreadableTensor] { UnreadableTensor.among(otherItems) }

    /// Creates a model source.
    public init(path: String, format: FileFormat, tensors: [NamedTensor], hints: [String: ModuleHints] = [:], metadata: [String: String] = [:]) {
        self.path = path
        self.format = format
        self.tensors = tensors
        self.hints = hints
        self.metadata = metadata
    }

    /// `module` with the cell options the file records for it (`ModuleHints.applied(to:)`).
    public func recorded(_ module: RNNModule) -> RNNModule {
        hints[module.name]?.applied(to: module) ?? module
    }

    /// Opens `path`, recognising its format from its bytes, never its name
    /// (`FormatSniffer`), and reading it with that format's reader: tensor
    /// containers as they are, ONNX and Keras models back into PyTorch names.
    ///
    /// - Throws: `TensorFileError` when the file is unreadable or matches no
    ///   format; `ConversionError` when a model holds recurrent layers
    ///   PyTorch cannot express.
    public static func open(_ path: String) throws -> ModelSource {
        let sniffed = try FormatSniffer.sniff(path)
        switch sniffed.format {
        case .onnx:
            return try readONNX(path)
        case .keras:
            let result = try KerasImporter.readArchive(try ZipArchive(path: path), path: path)
            return ModelSource(path: path, format: .keras, tensors: result.tensors, hints: result.hints, metadata: result.metadata)
        case .kerasWeights:
            let result = try KerasImporter.readWeights(try TensorFile.open(sniffed))
            return ModelSource(path: path, format: .kerasWeights, tensors: result.tensors, hints: result.hints, metadata: result.metadata)
        case .keras2Model, .keras2Weights:
            guard let listing = sniffed.keras2 else { preconditionFailure("the sniffer names a Keras 2 format with its listing") }
            let result = try Keras2Importer.read(listing)
            return ModelSource(path: path, format: sniffed.format, tensors: result.tensors, hints: result.hints, metadata: result.metadata)
        case .npy, .npyDirectory, .npz, .hdf5, .safetensors, .pytorch, .pytorchLegacy, .torchScript, .pytorchExport, .shardedCheckpoint:
            let file = try TensorFile.open(sniffed)
            var source = ModelSource(path: path, format: file.format, tensors: file.tensors, metadata: file.metadata)
            source.otherItems = file.otherItems
            source.hints = file.moduleSettings.mapValues {
                var hints = ModuleHints(nonlinearity: $0.nonlinearity.flatMap(Nonlinearity.init(rawValue:)), batchFirst: $0.batchFirst,
                                        source: $0.source)
                hints.layoutUnknown = $0.layoutUnknown
                if let dtype = $0.computeDType {
                    hints.reducedPrecision = ReducedPrecision(layer: $0.className, policy: $0.source, compute: dtype, framework: .pytorch)
                }
                if let dropout = $0.savedTrainingDropout { hints.notes.append(.savedInTrainingMode(dropout: dropout)) }
                for (state, input) in $0.stateInputs.sorted(by: { $0.key < $1.key }) {
                    hints.notes.append(.runtimeInput(role: "the initial state \(state)", node: $0.source, input: input,
                                                     option: state == "c0" ? .c0 : .h0))
                }
                for (state, parameter) in $0.stateArguments.sorted(by: { $0.key < $1.key }) {
                    hints.notes.append(.stateArgument(parameter: parameter, option: state == "c0" ? .c0 : .h0))
                }
                return hints
            }
            for (name, code) in file.unrunCode { source.hints[name, default: ModuleHints()].unrunCode = code }
            if source.isShard, let (index, count) = ShardedCheckpoint.shardNumber(of: path) {
                source.otherItems.append(("shard \(index) of \(count)", "the file's name says so: a module may continue in another "
                    + "shard, so run and convert need the index (model.safetensors.index.json), which rnnkit reads with its shards"))
            }
            source.readStoredTensors()
            source.noteStateShapedTensors()
            return source
        }
    }

    /// The ONNX model at `path`.
    private static func readONNX(_ path: String) throws -> ModelSource {
        let map = try MappedFile(path: path)
        let data = try map.data(0, map.count)
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: data)
        } catch {
            throw ConversionError.modelFile(file: path, tensor: nil, .onnxUndecodable("\(error)"))
        }
        let result = try ONNXImporter.read(model, file: path)
        var source = ModelSource(path: path, format: .onnx, tensors: result.tensors, hints: result.hints, metadata: result.metadata)
        // The files beside the model its tensors were read from (ONNX external data), for `inspect` to show.
        var locations: [String: Int] = [:]
        for initializer in model.graph.initializer where initializer.dataLocation == .external {
            if let location = initializer.externalData.first(where: { $0.key == "location" })?.value { locations[location, default: 0] += 1 }
        }
        source.otherItems = locations.sorted { $0.key < $1.key }.map { location, count in
            (location, "external data of \(count) initializer\(count == 1 ? "" : "s"), read from beside the model")
        }
        return source
    }
}
