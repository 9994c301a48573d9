import Foundation
import TensorFiles
import ZIPFoundation

/// Writes `run`'s results as an NPZ (a zip of stored `.npy` members, as
/// `numpy.savez` writes), atomically.
///
/// Interim: replaced by TensorFiles' NPZ writer once it lands on main.
enum NPZOutput {
    /// Writes `arrays` (member name without `.npy`, tensor) to `target`
    /// through `AtomicOutput`: nothing is left behind on error.
    static func write(_ arrays: [(name: String, tensor: Tensor)], to target: String) throws {
        try AtomicOutput.write(to: target) { temporary in
            let archive: Archive
            do {
                archive = try Archive(url: URL(fileURLWithPath: temporary), accessMode: .create)
            } catch {
                throw TensorFileError(file: target, .archive("cannot create: \(error)"))
            }
            for (name, tensor) in arrays {
                let bytes = try NPYWriter.encode(tensor)
                do {
                    try archive.addEntry(
                        with: name + ".npy", type: .file, uncompressedSize: Int64(bytes.count),
                        compressionMethod: .none
                    ) { position, size in
                        let start = bytes.startIndex + Int(position)
                        return bytes.subdata(in: start ..< start + size)
                    }
                } catch {
                    throw TensorFileError(file: target, tensor: name, .archive("cannot write: \(error)"))
                }
            }
        }
    }
}
