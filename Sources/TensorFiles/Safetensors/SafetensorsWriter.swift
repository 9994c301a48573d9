import Foundation

/// Writes safetensors files: every rnnkit dtype (bfloat16 included), the
/// tensors' data in the order given, `metadata` as `__metadata__`.
public enum SafetensorsWriter {
    /// Writes `tensors` to `path` atomically (see `AtomicOutput`), each
    /// tensor's bytes streamed from its storage (`Tensor.forEachPiece`).
    public static func write(_ tensors: [NamedTensor], to path: String, metadata: [String: String] = [:], force: Bool = false) throws {
        let header = try encodeHeader(tensors, metadata: metadata, file: path)
        try AtomicOutput.write(to: path, force: force) { temporary in
            try FileSink.create(temporary, target: path) { output in
                var length = UInt64(header.count).littleEndian
                try output.append(Data(bytes: &length, count: 8))
                try output.append(header)
                for named in tensors { try output.append(named.tensor) }
            }
        }
    }

    /// The JSON header for `tensors` laid out one after another, padded with
    /// spaces to a multiple of 8 bytes (so the data section stays aligned).
    static func encodeHeader(_ tensors: [NamedTensor], metadata: [String: String], file: String) throws -> Data {
        try WriterChecks.uniqueNames(tensors, file: file)
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for named in tensors {
            guard named.name != "__metadata__", !named.name.isEmpty else {
                throw TensorFileError(file: file, tensor: named.name, .badName(.notAllowed(in: .safetensors)))
            }
            let end = offset + named.tensor.byteCount
            header[named.name] = [
                "dtype": SafetensorsHeader.code(of: named.tensor.dtype),
                "shape": named.tensor.shape,
                "data_offsets": [offset, end],
            ] as [String: Any]
            offset = end
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes])
        json.append(contentsOf: [UInt8](repeating: UInt8(ascii: " "), count: (8 - json.count % 8) % 8))
        return json
    }
}
