import Pickle

/// A file that could not be read or written, with where and why.
///
/// Every reader and writer in `TensorFiles` throws only this type. The
/// `description` is the message the CLI prints: it names the file, the tensor
/// and the byte offset when they are known, and says what was expected.
public struct TensorFileError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong.
    public enum Reason: Equatable, Sendable {
        /// The path does not exist.
        case notFound
        /// The operating system refused to open, examine, map or list the
        /// path: the call that failed and its `errno`.
        case unreadable(ReadOperation, errno: Int32)
        /// A file was expected but the path is a folder, a FIFO, a device, ….
        case wrongKind(FileKind)
        /// A folder read as a folder of `.npy` files holds none.
        case noNPYFiles
        /// A file in a folder rnnkit was given is a symbolic link to `target`,
        /// outside that folder (`RealPath`).
        case leadsOutsideFolder(target: String)
        /// The file has no bytes at all.
        case empty
        /// The path was removed or names another file than the one being
        /// read (`MappedFile.reopen`): nothing of the other file is read.
        case changedWhileReading
        /// The file became shorter than its map while being read (another
        /// program truncated or rewrote it): `InputFaults`.
        case shrankWhileReading
        /// The file matches no format rnnkit knows (`FormatSniffer`); its
        /// first bytes (at most 8) for the message.
        case unknownFormat(leadingBytes: [UInt8])
        /// A model format whose tensors only a model reader lists (an ONNX
        /// model, a `.keras` archive) was opened as a tensor container.
        case notTensorContainer(FileFormat)
        /// A format `TensorFileWriter` does not write (checkpoints; models,
        /// which a conversion writes).
        case notWritten(FileFormat)
        /// An output path whose suffix names no format rnnkit writes
        /// (`FileFormat.forOutputPath`): the suffix without its dot.
        case unknownSuffix(String)
        /// The output named is `-`, which commands elsewhere take for
        /// standard output; rnnkit writes files only (`./-` names a file or folder `-`).
        case standardOutput
        /// The file ends before a structure it promises: `needed` bytes were
        /// required at the error's offset, `available` remain.
        case truncated(needed: Int, available: Int)
        /// The file does not start with the signature of `expected`.
        case badMagic(expected: FileFormat)
        /// A header declares `length` bytes, more than the format's `limit`.
        case headerTooLong(length: UInt64, limit: Int)
        /// An NPY header is refused.
        case npyHeader(NPYHeaderProblem)
        /// A safetensors header is refused.
        case safetensorsHeader(SafetensorsHeaderProblem)
        /// An element type that is not read, stored or converted.
        case unsupportedDType(DTypeProblem)
        /// shape × itemsize does not equal the bytes stored for the tensor.
        case sizeMismatch(expected: Int, actual: Int)
        /// A shape with negative, overflowing or absurd dimensions.
        case badShape(ShapeProblem)
        /// Two tensors with the same name.
        case duplicateName(String)
        /// A name a writer's format cannot hold.
        case badName(TensorNameProblem)
        /// One tensor was expected; the file holds these (none, or several).
        case notOneTensor([String])
        /// The zip layer (NPZ, `.keras`, `.pt`) refused the archive or a member.
        case zip(ZipProblem)
        /// libhdf5 failed, rnnkit's checks refused an HDF5 file, or the child
        /// reading or writing it failed.
        case hdf5(HDF5Problem)
        /// The `Pickle` reader refused a checkpoint's pickle (`source` says which).
        case unpickling(PickleError, source: PickleSource)
        /// A PyTorch tensor's storage or view does not fit the file.
        case torchStorage(TorchStorageProblem)
        /// A PyTorch checkpoint's container (zip members, legacy header) is refused.
        case torchFormat(TorchFormatProblem)
        /// A pickle was read but does not hold what a checkpoint holds.
        case torchPickle(TorchPickleProblem)
        /// An exported program archive (`.pt2`) is refused.
        case exportedProgram(ExportedProgramProblem)
        /// A shard index is refused.
        case shardIndex(ShardIndexProblem)
        /// The file's name says it is shard `index` of `count`: its modules
        /// may continue in another shard (`ShardedCheckpoint`).
        case shard(index: Int, count: Int)
        /// An output could not be written (created, filled, published).
        case unwritable(OutputProblem)
        /// The output path exists and replacing it was not asked for
        /// (`RequestOption.force` allows it).
        case outputExists
        /// The output path cannot be written: it would overwrite an input,
        /// or is something rnnkit does not replace.
        case refusedOverwrite(OverwriteRefusal)
    }

    /// Which pickle of a checkpoint an error concerns.
    public enum PickleSource: Equatable, Sendable {
        /// The zip member holding it (`archive/data.pkl`).
        case member(String)
        /// One of a legacy checkpoint's pickles (`header`, `data`).
        case legacy(String)

        /// `archive/data.pkl byte 12`, or `data pickle` (the file offset says where).
        func describe(offset: Int) -> String {
            switch self {
            case .member(let member): return "\(member) byte \(offset)"
            case .legacy(let what): return "\(what) pickle"
            }
        }
    }

    /// The file (or directory) concerned, as the user named it.
    public var file: String
    /// The tensor concerned, if any.
    public var tensor: String?
    /// Byte offset in the file where the problem is, if known.
    public var offset: Int?
    /// What went wrong.
    public var reason: Reason

    /// Creates an error.
    public init(file: String, tensor: String? = nil, offset: Int? = nil, _ reason: Reason) {
        self.file = file
        self.tensor = tensor
        self.offset = offset
        self.reason = reason
    }

    /// The message shown to the user.
    public var description: String {
        var parts = [file]
        if let tensor { parts.append("tensor '\(tensor)'") }
        if let offset { parts.append("at byte \(offset)") }
        return parts.joined(separator: ": ") + ": " + reasonText
    }

    /// The reason alone, without file, tensor or offset.
    public var reasonText: String {
        switch reason {
        case .notFound: return "no such file or directory"
        case .unreadable(let operation, let code):
            let why = systemMessage(code)
            switch operation {
            case .open, .status: return "cannot read: \(why)"
            case .map: return "cannot read: mmap failed: \(why)"
            case .list: return "cannot read: cannot list the directory: \(why)"
            }
        case .wrongKind(.directory): return "is a directory, expected a file"
        case .wrongKind(let kind): return "is not a regular file (\(kind))"
        case .noNPYFiles: return "is a directory without .npy files"
        case .leadsOutsideFolder(let target): return "is a symbolic link out of its folder (to \(target)); only files inside the folder are read"
        case .empty: return "the file is empty"
        case .changedWhileReading: return "the file was removed or replaced while rnnkit was reading it"
        case .shrankWhileReading: return "the file shrank while rnnkit was reading it (another program truncated or rewrote it)"
        case .unknownFormat(let bytes):
            let head = bytes.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
            return "not a file rnnkit knows (first bytes \(head); expected NPY, NPZ, HDF5, safetensors, "
                + "a PyTorch checkpoint or TorchScript archive, an ONNX model or a Keras file)"
        case .notTensorContainer(let format):
            return "\(format.displayName): holds a model, not a list of tensors; open it as a model"
        case .notWritten(.pytorch), .notWritten(.pytorchLegacy), .notWritten(.torchScript), .notWritten(.pytorchExport),
             .notWritten(.shardedCheckpoint):
            return "rnnkit does not write PyTorch checkpoints; write safetensors (torch loads it with safetensors.torch.load_file)"
        case .notWritten(let format):
            return "\(format.displayName) holds a model, not a list of tensors: it is written by a conversion of one module"
        case .unknownSuffix(let suffix):
            return "unknown output suffix '.\(suffix)'; rnnkit writes \(FileFormat.outputSuffixList) "
                + "and directories of .npy (a path without suffix)"
        case .standardOutput:
            return "rnnkit does not write to standard output; name the output file (./- names a file or folder '-')"
        case .truncated(let needed, let available):
            return "truncated: \(needed) bytes needed, only \(available) present"
        case .badMagic(let format):
            let why = switch format {
            case .npy: "expected \\x93NUMPY"
            case .hdf5: "not an HDF5 file (no HDF5 signature)"
            case .pytorchLegacy: "not a legacy PyTorch checkpoint"
            default: "not \(format.displayName)"
            }
            return "bad magic: \(why)"
        case .headerTooLong(let length, let limit): return "bad header: header length \(length) exceeds the \(limit)-byte limit"
        case .npyHeader(let problem): return "bad header: \(problem)"
        case .safetensorsHeader(let problem): return "bad header: \(problem)"
        case .unsupportedDType(let problem): return "unsupported dtype: \(problem)"
        case .sizeMismatch(let expected, let actual):
            return "shape × dtype size is \(expected) bytes but \(actual) bytes are stored"
        case .badShape(let problem): return "bad shape: \(problem)"
        case .duplicateName(let name): return "duplicate tensor name '\(name)'"
        case .badName(let problem): return problem.description
        case .notOneTensor(let names):
            return "expected a single array, found \(names.count) (\(names.prefix(5).joined(separator: ", ")))"
        case .zip(let problem): return "zip archive: \(problem)"
        case .hdf5(let problem): return "HDF5: \(problem)"
        case .unpickling(let error, let source):
            let text = switch error.reason {
            case .refusedGlobal(let global): TorchAllowList.refusal(global)
            case .refusedCall(let global): TorchAllowList.callRefusal(global)
            default: error.reasonText
            }
            return "pickle: \(source.describe(offset: error.offset)): \(text)"
        case .torchPickle(let problem): return "pickle: \(problem)"
        case .torchStorage(let problem): return problem.description
        case .torchFormat(let problem): return problem.description
        case .exportedProgram(let problem): return problem.description
        case .shardIndex(let problem): return "shard index: \(problem)"
        case .shard(let index, let count):
            return "its name says it is shard \(index) of \(count) of a sharded checkpoint, so a module may continue in "
                + "another shard; give rnnkit the index (model.safetensors.index.json, pytorch_model.bin.index.json), "
                + "which it reads with its shards"
        case .unwritable(let problem): return problem.description
        case .outputExists: return "already exists"
        case .refusedOverwrite(let refusal): return refusal.description
        }
    }
}

/// Multiplies dimensions with overflow checks, returning nil on overflow or a
/// negative dimension. Used by every reader before it trusts a header.
///
/// The product of the non-zero dimensions must fit too, even when another
/// dimension is zero: strides and partial products over a zero-size array
/// (`[0, 2^62, 2^62]`) would otherwise overflow wherever they are computed.
public func checkedElementCount(_ shape: [Int]) -> Int? {
    checkedProduct(shape, 1)
}

/// `checkedElementCount(shape) × itemSize`, nil on overflow (the same rule:
/// the non-zero dimensions' product times the item size must fit).
public func checkedByteCount(_ shape: [Int], _ dtype: DType) -> Int? {
    checkedProduct(shape, dtype.itemSize)
}

private func checkedProduct(_ shape: [Int], _ start: Int) -> Int? {
    var count = start
    var hasZero = false
    for dimension in shape {
        guard dimension >= 0 else { return nil }
        if dimension == 0 { hasZero = true; continue }
        let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
        if overflow { return nil }
        count = product
    }
    return hasZero ? 0 : count
}

extension Int {
    /// `self × other`, `Int.max` on overflow: for limits and budgets, never
    /// for sizes (those must be exact or refused).
    public func multipliedClamped(by other: Int) -> Int {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? .max : product
    }

    /// `self + other`, `Int.max` on overflow: for limits and budgets.
    public func addingClamped(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}
