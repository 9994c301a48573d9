import Foundation

extension NPZWriter {
    /// Writes an `.npz` of stored members (as `numpy.savez`) atomically
    /// (`AtomicOutput`) while its content is still being made: `body` adds
    /// the members to the `NPZStream` it is given, a member's bytes as they
    /// become known (a forward pass's output, chunk by chunk), and the disk
    /// writes them meanwhile. The file is published only when `body`
    /// returns (what it returns is returned); when it throws, or on a
    /// signal, no file is left.
    public static func stream<T>(to path: String, force: Bool = false, _ body: (NPZStream) throws -> T) throws -> T {
        try AtomicOutput.write(to: path, force: force) { temporary in
            try FileSink.create(temporary, target: path) { output in
                let stream = NPZStream(output: output, file: path)
                let value = try body(stream)
                try stream.finish()
                return value
            }
        }
    }
}

/// An `.npz` being written by `NPZWriter.stream`: members one after
/// another, each whole (`add`) or piece by piece (`begin`, `append`, `end`;
/// a member still open when the next begins, or when the stream ends, is
/// ended then, and must have all its bytes).
public final class NPZStream {
    private let output: FileOutput
    private var zip: StoredZipWriter
    private let file: String
    private var names = Set<String>()
    /// Whether a member `begin` started has not ended yet.
    private var open = false

    fileprivate init(output: FileOutput, file: String) {
        self.output = output
        zip = StoredZipWriter(output: output)
        self.file = file
    }

    /// Starts the member `name.npy` holding a `dtype` array of `shape`,
    /// whose bytes (C order, little-endian) `append` sends next.
    /// Names must be unique and not empty; bfloat16 (which NPY cannot hold) is refused.
    public func begin(_ name: String, dtype: DType, shape: [Int]) throws {
        if name.isEmpty { throw TensorFileError(file: file, tensor: name, .badName(.notAllowed(in: .npz))) }
        guard names.insert(name).inserted else { throw TensorFileError(file: file, tensor: name, .duplicateName(name)) }
        if dtype == .bfloat16 { throw TensorFileError(file: file, tensor: name, .unsupportedDType(.notStorable(.bfloat16, in: .npz))) }
        var bytes = dtype.itemSize
        for dimension in shape {
            let product = bytes.multipliedReportingOverflow(by: dimension)
            guard dimension >= 0, !product.overflow else {
                throw TensorFileError(file: file, tensor: name, .badShape(.refused(shape, itemSize: dtype.itemSize)))
            }
            bytes = product.partialValue
        }
        let header = try NPYHeader.encode(dtype: dtype, shape: shape)
        if open { try end() }
        try zip.begin(name + ".npy", size: UInt64(header.count) + UInt64(bytes))
        open = true
        try header.withUnsafeBytes { try zip.append($0) }
    }

    /// The next bytes of the member `begin` started; the disk starts writing them.
    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        try zip.append(bytes)
        output.startWriteback()
    }

    /// Ends the member `begin` started; throws when it did not get all its bytes.
    public func end() throws {
        guard open else { return }
        open = false
        try zip.end()
    }

    /// Adds `named` whole.
    public func add(_ named: NamedTensor) throws {
        try begin(named.name, dtype: named.tensor.dtype, shape: named.tensor.shape)
        try named.tensor.forEachPiece { try zip.append($0) }
        try end()
    }

    fileprivate func finish() throws {
        try end()
        try zip.finish()
    }
}
