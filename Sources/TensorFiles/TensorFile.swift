import Foundation

/// The tensors of one file, in file order, with the container they came from.
public struct TensorFile: Sendable {
    /// The path as given.
    public var path: String
    /// The format, as `FormatSniffer` recognised it from the bytes (a Keras
    /// HDF5 file is `.kerasWeights`, … although its datasets are listed raw).
    public var format: FileFormat
    /// The tensors in the order the file lists them.
    public var tensors: [NamedTensor]
    /// Free-form string metadata the container carries (safetensors
    /// `__metadata__`, for instance).
    public var metadata: [String: String]
    /// Entries of the file that are not tensors (a checkpoint's `epoch`,
    /// `optimizer`, …), by name, with a short description of each.
    public var otherItems: [(name: String, summary: String)]
    /// What the file records about its modules besides weights (a pickled
    /// `nn.LSTM`'s `batch_first`, …), by module name (`""` for the root).
    public var moduleSettings: [String: RecordedModuleSettings] = [:]
    /// PyTorch files: code the file names for a module holding recurrent
    /// weights that rnnkit cannot run (a class of its own, hooks), by module
    /// name (`""` for the root); see `UnrunModuleCode`.
    public var unrunCode: [String: UnrunModuleCode] = [:]

    /// Creates a tensor file description.
    public init(
        path: String, format: FileFormat, tensors: [NamedTensor],
        metadata: [String: String] = [:], otherItems: [(name: String, summary: String)] = []
    ) {
        self.path = path
        self.format = format
        self.tensors = tensors
        self.metadata = metadata
        self.otherItems = otherItems
    }

    /// The tensor with exactly this name, if any.
    public func tensor(named name: String) -> Tensor? {
        tensors.first { $0.name == name }?.tensor
    }

    /// float16 or bfloat16 when the recurrent module `module` (`""`: the root)
    /// holds its `weight_hh_l0` (`weight_hh` for a cell) in it: a saved module
    /// object (pickled, TorchScript, `.pt2`) computes in its weights' dtype,
    /// where a state dict's dtype is only how it is stored. Nil otherwise.
    func halfPrecisionDType(ofModule module: String) -> DType? {
        let path = ModulePath(module)
        let dtype = (tensor(named: path.qualify("weight_hh_l0")) ?? tensor(named: path.qualify("weight_hh")))?.dtype
        return dtype == .float16 || dtype == .bfloat16 ? dtype : nil
    }

    /// Opens `path`, recognising its format from its bytes (never the name,
    /// `FormatSniffer`): a directory is read as a folder of `.npy` files.
    ///
    /// - Throws: `TensorFileError`: the sniffer's errors, `.notTensorContainer`
    ///   for an ONNX model or a `.keras` archive, or the reader's.
    public static func open(_ path: String) throws -> TensorFile {
        try open(FormatSniffer.sniff(path))
    }

    /// Opens a file the sniffer has recognised, with its reader.
    public static func open(_ sniffed: SniffedFile) throws -> TensorFile {
        let path = sniffed.path
        switch sniffed.format {
        case .npy: return try NPYReader.read(path: path)
        case .npyDirectory: return try NPYDirectoryReader.read(path: path)
        case .npz: return try NPZReader.read(path: path)
        case .safetensors: return try SafetensorsReader.read(path: path)
        case .pytorch, .pytorchLegacy, .torchScript: return try TorchCheckpointReader.read(path: path)
        case .pytorchExport: return try ExportedProgramArchive.read(path: path)
        case .shardedCheckpoint: return try ShardedCheckpoint.read(path: path)
        case .hdf5, .kerasWeights, .keras2Model, .keras2Weights:
            var file = try sniffed.described ?? HDF5Reader.read(path: path)
            file.format = sniffed.format
            return file
        case .onnx, .keras:
            throw TensorFileError(file: path, .notTensorContainer(sniffed.format))
        }
    }
}
