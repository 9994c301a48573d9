import Foundation

/// Reads `.npy` files: one tensor per file.
///
/// The file is memory-mapped; a little-endian C-ordered array is returned as a
/// zero-copy view, other layouts are converted when the data is requested.
public enum NPYReader {
    /// Reads the single array of the file at `path`. The tensor's name is the
    /// file name without `.npy`.
    public static func read(path: String) throws -> TensorFile {
        let map = try MappedFile(path: path)
        let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        let tensor = try tensor(in: map, name: name)
        return TensorFile(path: path, format: .npy, tensors: [NamedTensor(name: name, tensor: tensor)])
    }

    /// The array stored in a mapped `.npy` file.
    public static func tensor(in map: MappedFile, name: String? = nil) throws -> Tensor {
        if map.count == 0 { throw TensorFileError(file: map.path, .empty) }
        let header = try NPYHeader.parse(map.bytes, file: map.path)
        let size = try payloadSize(header, available: map.count, file: map.path, name: name)
        let payload = try map.data(header.dataOffset, size, tensor: name)
        return tensor(header: header, payload: payload)
    }

    /// The array stored in `bytes` (an NPZ member, for instance). `file` names
    /// the container in errors.
    public static func tensor(from bytes: Data, file: String, name: String? = nil) throws -> Tensor {
        if bytes.isEmpty { throw TensorFileError(file: file, tensor: name, .empty) }
        let header = try bytes.withUnsafeBytes { try NPYHeader.parse($0, file: file) }
        let size = try payloadSize(header, available: bytes.count, file: file, name: name)
        let start = bytes.startIndex + header.dataOffset
        let payload = bytes.subdata(in: start ..< start + size)
        return tensor(header: header, payload: payload)
    }

    static func payloadSize(_ header: NPYHeader, available: Int, file: String, name: String?) throws -> Int {
        guard let size = checkedByteCount(header.shape, header.dtype) else {
            throw TensorFileError(file: file, tensor: name, offset: header.dataOffset, .badShape(.overflows(header.shape, itemSize: nil)))
        }
        let present = available - header.dataOffset
        guard size <= present else {
            throw TensorFileError(file: file, tensor: name, offset: header.dataOffset, .truncated(needed: size, available: present))
        }
        if present > size {
            throw TensorFileError(file: file, tensor: name, offset: header.dataOffset + size,
                                  .sizeMismatch(expected: size, actual: present))
        }
        return size
    }

    /// A tensor over `payload`, the data bytes exactly as the header
    /// describes them: C-ordered little-endian data is used as it is, other
    /// layouts are converted when the data is requested.
    static func tensor(header: NPYHeader, payload: Data) -> Tensor {
        guard needsConversion(header) else {
            // `payloadSize` already matched the byte count to the shape.
            return (try? Tensor(dtype: header.dtype, shape: header.shape, data: payload))
                ?? Tensor(dtype: header.dtype, shape: header.shape, loader: { payload })
        }
        return Tensor(dtype: header.dtype, shape: header.shape) { cOrderBytes(header: header, payload: payload) }
    }

    /// Whether the stored layout differs from little-endian C order.
    static func needsConversion(_ header: NPYHeader) -> Bool {
        header.bigEndian || (header.fortranOrder && header.shape.count > 1)
    }

    /// `payload` rearranged into little-endian C order.
    static func cOrderBytes(header: NPYHeader, payload: Data) -> Data {
        guard needsConversion(header) else { return payload }
        let strides = header.fortranOrder
            ? StridedCopy.columnMajorStrides(header.shape)
            : StridedCopy.rowMajorStrides(header.shape)
        return payload.withUnsafeBytes { raw in
            StridedCopy.gather(raw, itemSize: header.dtype.itemSize, shape: header.shape,
                               strides: strides, offset: 0, swapBytes: header.bigEndian)
        }
    }
}
