import Foundation

/// Writes `.npy` files (format 1.0, or 2.0 for very long headers; C order,
/// little-endian), readable by `numpy.load`.
public enum NPYWriter {
    /// The complete `.npy` bytes (header and data) of `tensor`.
    public static func encode(_ tensor: Tensor) throws -> Data {
        var data = try NPYHeader.encode(dtype: tensor.dtype, shape: tensor.shape)
        data.append(try tensor.data())
        return data
    }

    /// Writes `tensor` to the file `path` atomically (see `AtomicOutput`).
    /// bfloat16 has no NPY type: it is refused.
    public static func write(_ tensor: Tensor, to path: String, force: Bool = false) throws {
        try WriterChecks.refuseBFloat16([NamedTensor(name: "", tensor: tensor)], container: .npy, file: path)
        try AtomicOutput.write(to: path, force: force) { temporary in
            try FileSink.create(temporary, target: path) { output in try writeContents(tensor, output) }
        }
    }

    /// Writes a directory holding `NAME.npy` for every tensor, atomically:
    /// the directory appears complete or not at all. Names must be usable as
    /// file names (not empty, no `/`, not starting with `.`). With `force` an
    /// existing folder of `.npy` files is replaced (nothing else is).
    public static func writeDirectory(_ tensors: [NamedTensor], to path: String, force: Bool = false) throws {
        try WriterChecks.uniqueNames(tensors, file: path)
        try WriterChecks.refuseBFloat16(tensors, container: .npy, file: path)
        for named in tensors where named.name.isEmpty || named.name.contains("/") || named.name.hasPrefix(".")
            || named.name.utf8.count > 250 {
            throw TensorFileError(file: path, tensor: named.name, .badName(.notAllowed(in: .npyDirectory)))
        }
        try AtomicOutput.write(to: path, force: force) { temporary in
            guard mkdir(temporary, 0o755) == 0 else {
                throw TensorFileError(file: path, .unwritable(.createFolder(errno: errno)))
            }
            for named in tensors {
                let file = (temporary as NSString).appendingPathComponent(named.name + ".npy")
                try FileSink.create(file, target: path) { output in try writeContents(named.tensor, output) }
            }
        }
    }

    /// Appends the header, then the data (streamed, `Tensor.forEachPiece`), of `tensor`.
    private static func writeContents(_ tensor: Tensor, _ output: FileOutput) throws {
        try output.append(NPYHeader.encode(dtype: tensor.dtype, shape: tensor.shape))
        try output.append(tensor)
    }
}
