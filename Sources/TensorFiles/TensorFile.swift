import Foundation

/// The container formats `TensorFiles` reads.
public enum ContainerFormat: String, Sendable, CaseIterable {
    /// A single `.npy` array or a directory of them.
    case npy
    /// A zip of `.npy` members (`numpy.savez`, `savez_compressed`).
    case npz
    /// An HDF5 file (h5py, Keras weights, MATLAB v7.3, …).
    case hdf5
    /// A safetensors file.
    case safetensors
    /// A PyTorch checkpoint written by `torch.save` (zip or legacy).
    case pytorch
}

/// The tensors of one file, in file order, with the container they came from.
public struct TensorFile: Sendable {
    /// The path as given.
    public var path: String
    /// The container format, as detected from the bytes.
    public var format: ContainerFormat
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

    /// Creates a tensor file description.
    public init(
        path: String, format: ContainerFormat, tensors: [NamedTensor],
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

    /// Opens `path`, detecting the container from its bytes (never the name):
    /// a directory is read as a folder of `.npy` files.
    public static func open(_ path: String) throws -> TensorFile {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TensorFileError(file: path, .notFound)
        }
        if isDirectory.boolValue {
            return try NPYDirectoryReader.read(path: path)
        }
        let format = try detect(path)
        switch format {
        case .npy: return try NPYReader.read(path: path)
        case .npz: return try NPZReader.read(path: path)
        case .hdf5: return try HDF5Reader.read(path: path)
        case .safetensors: return try SafetensorsReader.read(path: path)
        case .pytorch: return try TorchCheckpointReader.read(path: path)
        }
    }

    /// Detects the container format of the file at `path` from its first bytes.
    public static func detect(_ path: String) throws -> ContainerFormat {
        let map = try MappedFile(path: path)
        guard let format = try ContainerSniffer.format(of: map) else {
            if map.count == 0 { throw TensorFileError(file: path, .empty) }
            let head = map.bytes.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
            throw TensorFileError(
                file: path, offset: 0,
                .unknownFormat("first bytes \(head); expected NPY, NPZ, HDF5, safetensors or a PyTorch checkpoint"))
        }
        return format
    }
}

/// Recognises containers by their leading bytes.
public enum ContainerSniffer {
    static let hdf5Signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
    static let zipSignature: [UInt8] = [0x50, 0x4B]

    /// The format of a mapped file, or nil when no signature matches.
    public static func format(of map: MappedFile) throws -> ContainerFormat? {
        let bytes = map.bytes
        if bytes.starts(with: NPYHeader.magic) { return .npy }
        // Zip before HDF5: rnnkit's `.keras` archive holds its HDF5 weights
        // behind a user block made of the zip's headers (StoredZipWriter.wrap).
        if bytes.starts(with: zipSignature), bytes.count >= 4,
           (bytes[2] == 3 && bytes[3] == 4) || (bytes[2] == 5 && bytes[3] == 6) {
            return try TorchZipFormat.looksLikeArchive(path: map.path) ? .pytorch : .npz
        }
        if isHDF5(bytes) { return .hdf5 }
        if TorchLegacyFormat.hasMagic(bytes) { return .pytorch }
        if SafetensorsHeader.looksLikeSafetensors(bytes) { return .safetensors }
        return nil
    }

    /// HDF5 puts its superblock at 0, 512, 1024, 2048, … (after a user block).
    static func isHDF5(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset + 8 <= bytes.count {
            if Array(bytes[offset ..< offset + 8]) == hdf5Signature { return true }
            offset = offset == 0 ? 512 : offset * 2
        }
        return false
    }
}
