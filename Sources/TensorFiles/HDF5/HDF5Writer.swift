import Foundation

/// Writes HDF5 files through libhdf5: groups (empty ones too), datasets and
/// string attributes, laid out the way h5py writes them, so that h5py and
/// Keras read the result. Object paths use `/` (`layers/lstm/vars/0`);
/// missing parent groups are created.
///
/// The writer records the steps; `close()` carries them out in a forked
/// child (`HDF5Isolation.write`), so that libhdf5 failing on a full disk or
/// the file-size limit (where it has crashed) ends the child, not rnnkit.
///
/// Use `HDF5Writer.write(to:_:)`, which writes atomically (see
/// `AtomicOutput`):
///
/// ```swift
/// try HDF5Writer.write(to: "model.weights.h5") { file in
///     try file.createGroup("layers/lstm/vars")
///     try file.setAttribute("name", "lstm", on: "layers/lstm/vars")
///     try file.writeDataset("layers/lstm/cell/vars/0", kernel)
/// }
/// ```
public final class HDF5Writer {
    /// The path the writer creates (a temporary one inside `write(to:_:)`).
    public let path: String
    /// The path named in errors.
    private let target: String
    private var steps: [HDF5Isolation.WriteStep] = []
    private var closed = false
    private let userblock: Int
    /// After `close()` with a user block: the CRC-32 and length of the file
    /// after it, computed while the child wrote it (nil when it could not tell).
    public private(set) var checksumAfterUserBlock: StoredZipWriter.KnownChecksum?

    /// Prepares a new HDF5 file at `path`, which must not exist; the file is
    /// created by `close()`. Prefer `write(to:_:)`. `target` names the file
    /// in errors (default `path`). `userblock` bytes (0, or a power of two
    /// ≥ 512) at the start of the file are left to the caller, the HDF5 data
    /// following them: `StoredZipWriter.wrap` puts a zip archive's headers
    /// there, so the file becomes a `.keras` archive without being copied.
    public init(creating path: String, target: String? = nil, userblock: Int = 0) throws {
        precondition(userblock == 0 || (userblock >= 512 && userblock & (userblock - 1) == 0), "a user block is a power of two ≥ 512")
        self.path = path
        self.target = target ?? path
        self.userblock = userblock
        var status = stat()
        if lstat(path, &status) == 0 {
            throw TensorFileError(file: self.target, .outputExists)
        }
    }

    /// Creates the file `target` atomically: `body` fills a writer on a
    /// temporary file, which replaces `target` only once it is complete and
    /// closed (an existing file only with `force`).
    public static func write(to target: String, force: Bool = false, _ body: (HDF5Writer) throws -> Void) throws {
        try AtomicOutput.write(to: target, force: force) { temporary in
            let writer = try HDF5Writer(creating: temporary, target: target)
            try body(writer)
            try writer.close()
        }
    }

    /// Writes `tensors` to `path` atomically, a name `a.b.c` becoming the
    /// dataset `c` in the group `a/b` (what `HDF5Reader` turns back into
    /// `a.b.c`); `metadata` becomes string attributes of the root group.
    /// bfloat16 is refused (h5py and numpy have no such type).
    public static func write(
        _ tensors: [NamedTensor], to path: String, metadata: [String: String] = [:], force: Bool = false
    ) throws {
        try WriterChecks.uniqueNames(tensors, file: path)
        try WriterChecks.refuseBFloat16(tensors, container: .hdf5, file: path)
        let paths = try objectPaths(tensors, file: path)
        try write(to: path, force: force) { writer in
            for (named, objectPath) in zip(tensors, paths) { try writer.writeDataset(objectPath, named.tensor) }
            for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { try writer.setAttribute(key, value) }
        }
    }

    /// Creates the group `groupPath` and any missing parents; an existing group is left as it is.
    public func createGroup(_ groupPath: String) throws {
        try add(.group(groupPath))
    }

    /// Writes `tensor` as the dataset `datasetPath` (contiguous, little-endian;
    /// float16 as IEEE half, bool as h5py's boolean enum).
    /// A pending float32 → float16 conversion (`convertedWhenWritten`) is
    /// converted by the writing child a band of rows at a time, never whole.
    public func writeDataset(_ datasetPath: String, _ tensor: Tensor) throws {
        try WriterChecks.refuseBFloat16([NamedTensor(name: datasetPath, tensor: tensor)], container: .hdf5, file: target)
        if let source = tensor.conversionSource, let rows = tensor.shape.first, rows > 0, tensor.elementCount > 0,
           source.dtype == .float32, tensor.dtype == .float16 {
            try writeDataset(datasetPath, converting: source, to: tensor.dtype, shape: tensor.shape)
            return
        }
        try add(.dataset(datasetPath, tensor.dtype, tensor.shape, try tensor.data()))
    }

    /// Writes `source` converted to `dtype` (float32 → float16, which
    /// `Tensor.convert` does without allocating: safe in the forked child)
    /// as rows of `shape`.
    private func writeDataset(_ datasetPath: String, converting source: Tensor, to dtype: DType, shape: [Int]) throws {
        let bytes = try source.data()
        guard bytes.count == source.byteCount else {
            throw TensorFileError(file: target, tensor: datasetPath, .sizeMismatch(expected: source.byteCount, actual: bytes.count))
        }
        let rowElements = source.elementCount / shape[0]
        let from = source.dtype
        try writeDataset(datasetPath, dtype: dtype, shape: shape) { first, count, buffer in
            bytes.withUnsafeBytes { raw in
                let input = UnsafeRawBufferPointer(
                    rebasing: raw[first * rowElements * from.itemSize ..< (first + count) * rowElements * from.itemSize])
                return (try? Tensor.convert(input, from: from, into: buffer, as: dtype, count: count * rowElements)) != nil
            }
        }
    }

    /// Writes the dataset `datasetPath` of `dtype` and `shape` (rank ≥ 1)
    /// whose rows along the first dimension `fill` produces: `fill(first,
    /// count, buffer)` writes rows `first ..< first + count` (C order) into
    /// `buffer` and returns whether it could. It is called in the child that
    /// writes the file, for bands of at most `bandBytes` (at least one row),
    /// so a dataset laid out differently from its source (Keras's transposed
    /// kernels) is never whole in memory; it must only compute from memory
    /// set up beforehand.
    public func writeDataset(
        _ datasetPath: String, dtype: DType, shape: [Int], bandBytes: Int = 1 << 20,
        rows fill: @escaping (_ first: Int, _ count: Int, UnsafeMutableRawBufferPointer) -> Bool
    ) throws {
        guard let rows = shape.first, rows > 0, let bytes = checkedByteCount(shape, dtype) else {
            let hasRows = (shape.first ?? 0) > 0
            throw TensorFileError(file: target, tensor: datasetPath, .badShape(hasRows ? .refused(shape, itemSize: dtype.itemSize) : .noRows(shape)))
        }
        if dtype == .bfloat16 {
            throw TensorFileError(file: target, tensor: datasetPath, .unsupportedDType(.notStorable(.bfloat16, in: .hdf5)))
        }
        try add(.filledDataset(datasetPath, dtype, shape, HDF5Isolation.RowFiller(rowBytes: bytes / rows, bandBytes: bandBytes, fill: fill)))
    }

    /// Sets the string attribute `name` of the group or dataset `object`
    /// (default: the root group), as h5py stores a Python `str`.
    public func setAttribute(_ name: String, _ value: String, on object: String = "/") throws {
        try add(.string(object, name, value))
    }

    /// Sets the attribute `name` of `object` to an array of fixed-length byte
    /// strings, as h5py stores a numpy `S` array (Keras 2's `layer_names`).
    public func setAttribute(_ name: String, strings values: [String], on object: String = "/") throws {
        try add(.strings(object, name, values))
    }

    /// Writes the file: a child process creates it and carries out every
    /// step. Further calls fail.
    public func close() throws {
        try checkOpen()
        closed = true
        checksumAfterUserBlock = try HDF5Library.locked {
            try HDF5Isolation.write(steps, to: path, target: target, userblock: userblock)
        }
        steps = []
    }

    /// The HDF5 object paths for tensor names: `.` separates groups.
    static func objectPaths(_ tensors: [NamedTensor], file: String) throws -> [String] {
        let paths = try tensors.map { named -> String in
            let parts = named.name.split(separator: ".", omittingEmptySubsequences: false)
            guard !parts.contains(where: { $0.isEmpty }), !named.name.contains("/") else {
                throw TensorFileError(file: file, tensor: named.name, .badName(.notAllowed(in: .hdf5)))
            }
            return parts.joined(separator: "/")
        }
        let datasets = Set(paths)
        for path in paths {
            var prefix = Substring(path)
            while let slash = prefix.lastIndex(of: "/") {
                prefix = prefix[..<slash]
                if datasets.contains(String(prefix)) {
                    throw TensorFileError(file: file, tensor: prefix.replacingOccurrences(of: "/", with: "."),
                                          .badName(.alsoAGroup(of: path.replacingOccurrences(of: "/", with: "."))))
                }
            }
        }
        return paths
    }

    private func add(_ step: HDF5Isolation.WriteStep) throws {
        try checkOpen()
        steps.append(step)
    }

    private func checkOpen() throws {
        guard !closed else { throw TensorFileError(file: target, .hdf5(.writerClosed)) }
    }
}
