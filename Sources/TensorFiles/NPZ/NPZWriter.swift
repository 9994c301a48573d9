import Foundation
import ZIPFoundation

/// Writes `.npz` files like `numpy.savez` (stored members) or
/// `numpy.savez_compressed` (deflated members): one `NAME.npy` member per
/// tensor, ZIP64 when the archive needs it. Stored archives are written by
/// `StoredZipWriter` straight from the tensors' bytes; deflated ones by
/// ZIPFoundation.
///
/// `rnnkit run` writes its outputs (`output`, `h_n`, `c_n`) with it, and
/// `numpy.load` reads the result.
public enum NPZWriter {
    /// Writes `tensors` to `path` atomically (see `AtomicOutput`); deflates
    /// the members when `compressed`. Names must be unique and not empty;
    /// bfloat16 (which NPY cannot hold) is refused.
    public static func write(_ tensors: [NamedTensor], to path: String, compressed: Bool = false, force: Bool = false) throws {
        try WriterChecks.uniqueNames(tensors, file: path)
        try WriterChecks.refuseBFloat16(tensors, container: .npz, file: path)
        if let unnamed = tensors.first(where: { $0.name.isEmpty }) {
            throw TensorFileError(file: path, tensor: unnamed.name, .badName(.notAllowed(in: .npz)))
        }
        if !compressed {
            // Stored members: streamed from each tensor's bytes (often a memory
            // map), CRC-32 by zlib computed piece by piece while writing.
            try AtomicOutput.write(to: path, force: force) { temporary in
                try FileSink.create(temporary, target: path) { output in
                    var zip = StoredZipWriter(output: output)
                    for named in tensors {
                        let header = try NPYHeader.encode(dtype: named.tensor.dtype, shape: named.tensor.shape)
                        try zip.add(named.name + ".npy", header: header, tensor: named.tensor)
                    }
                    try zip.finish()
                }
            }
            return
        }
        try AtomicOutput.write(to: path, force: force) { temporary in
            let archive: Archive
            do {
                archive = try Archive(url: URL(fileURLWithPath: temporary), accessMode: .create)
            } catch {
                throw TensorFileError(file: path, .unwritable(.zipCreate("\(error)")))
            }
            for named in tensors {
                let header = try NPYHeader.encode(dtype: named.tensor.dtype, shape: named.tensor.shape)
                let data = try named.tensor.data()
                do {
                    try archive.addEntry(
                        with: named.name + ".npy", type: .file, uncompressedSize: Int64(header.count + data.count),
                        compressionMethod: .deflate, bufferSize: 1 << 20,
                        provider: { position, size in piece(header, data, from: Int(position), count: size) })
                } catch {
                    throw TensorFileError(file: path, tensor: named.name, .unwritable(.zipAdd("\(error)")))
                }
            }
        }
    }

    /// `count` bytes from `position` of the concatenation of `header` and `data`.
    private static func piece(_ header: Data, _ data: Data, from position: Int, count: Int) -> Data {
        var result = Data()
        if position < header.count {
            result.append(header[header.startIndex + position ..< header.startIndex + min(header.count, position + count)])
        }
        let start = max(0, position - header.count)
        let end = min(data.count, position + count - header.count)
        if start < end { result.append(data[data.startIndex + start ..< data.startIndex + end]) }
        return result
    }
}
