import Foundation
import ZIPFoundation

/// The zip checkpoint `torch.save` writes since PyTorch 1.6:
/// `<archive>/data.pkl` (the pickle), `<archive>/data/<key>` (one member per
/// storage, raw little-endian bytes), `<archive>/byteorder`,
/// `<archive>/version`. The archive folder is named after the file when it was
/// saved; the reader uses the folder holding `data.pkl`.
///
/// Opening reads the zip directory, `byteorder`, `version` and `data.pkl`
/// only; storage members are read when a tensor's values are requested.
enum TorchZipFormat {
    /// Largest `data.pkl` read into memory.
    static let maximumPickleBytes = 1 << 30
    /// Archive format versions PyTorch reads (caffe2/serialize/versions.h).
    static let supportedVersions = 1 ... 10

    /// Whether the zip at `path` is a PyTorch checkpoint (it has a
    /// `data.pkl` at its root or in a top-level folder) rather than an NPZ.
    /// Throws when the zip directory cannot be read at all.
    static func looksLikeArchive(path: String) throws -> Bool {
        try archiveFolder(in: TorchZipArchive(path: path).entries.keys, path: path) != nil
    }

    /// The folder holding `data.pkl` (`""` at the root), nil if there is none.
    static func archiveFolder<Paths: Sequence>(in paths: Paths, path: String) throws -> String? where Paths.Element == String {
        let folders = paths.compactMap { member -> String? in
            let parts = member.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.last == "data.pkl", parts.count <= 2 else { return nil }
            return parts.count == 1 ? "" : String(parts[0]) + "/"
        }
        guard folders.count <= 1 else {
            throw TensorFileError(file: path, .archive("several data.pkl members (\(folders.sorted().joined(separator: ", "))); expected one"))
        }
        return folders.first
    }

    /// Reads the checkpoint's pickle and directory; storages stay unread.
    static func read(path: String) throws -> TensorFile {
        let archive = try TorchZipArchive(path: path)
        guard let folder = try archiveFolder(in: archive.entries.keys, path: path) else {
            throw TensorFileError(file: path, .archive("no data.pkl member: not a PyTorch checkpoint"))
        }
        if archive.entries[folder + "constants.pkl"] != nil
            || archive.entries.keys.contains(where: { $0.hasPrefix(folder + "code/") }) {
            throw TensorFileError(file: path, .invalid(
                "a TorchScript archive (torch.jit.save), which holds code; rnnkit reads torch.save checkpoints: "
                    + "in Python, load it and save `torch.save(model.state_dict(), \"weights.pt\")`"))
        }
        var metadata = ["pytorch.serialization": "zip", "pytorch.archive": String(folder.dropLast())]
        if let byteorder = try archive.text(folder + "byteorder") {
            guard byteorder == "little" else {
                throw TensorFileError(file: path, .invalid(
                    byteorder == "big"
                        ? "written on a big-endian machine (byteorder 'big'); rnnkit reads little-endian "
                            + "checkpoints only: load and re-save it with torch on a little-endian machine"
                        : "byteorder member says '\(byteorder.prefix(20))', expected 'little'"))
            }
        }
        if let version = try archive.text(folder + "version") ?? archive.text(folder + ".data/version") {
            guard let number = Int(version), supportedVersions.contains(number) else {
                throw TensorFileError(file: path, .archive(
                    "archive version '\(version.prefix(20))', expected \(supportedVersions.lowerBound)–\(supportedVersions.upperBound)"))
            }
            metadata["pytorch.version"] = version
        }
        let pickle = try archive.contents(of: folder + "data.pkl", limit: maximumPickleBytes)
        let document = try TorchPickle.load(pickle, file: path, member: folder + "data.pkl")
        let decoder = try TorchPickleDecoder(document: document, file: path)
        let contents = try TorchCheckpointContents(decoder: decoder, rootName: TorchPickle.stem(of: path))
        let source = TorchZipStorages(archive: archive, folder: folder)
        let tensors = try contents.tensors.map { name, record in
            NamedTensor(name: name, tensor: try TorchStorageViews.tensor(record, name: name, file: path, source: source))
        }
        return TensorFile(path: path, format: .pytorch, tensors: tensors, metadata: metadata,
                          otherItems: contents.otherItems)
    }
}

/// Storage members of a zip checkpoint, read on demand. The last storage read
/// is kept so that views sharing one storage read it once.
final class TorchZipStorages: TorchStorageSource, @unchecked Sendable {
    private let archive: TorchZipArchive
    private let folder: String
    private let lock = NSLock()
    private var cached: (key: String, bytes: Data)?

    init(archive: TorchZipArchive, folder: String) {
        self.archive = archive
        self.folder = folder
    }

    func member(_ key: String) -> String { folder + "data/" + key }

    func availableBytes(of key: String) throws -> Int? {
        try archive.size(of: member(key))
    }

    func bytes(of key: String, in range: Range<Int>) throws -> Data {
        lock.lock()
        defer { lock.unlock() }
        let bytes: Data
        if let cached, cached.key == key {
            bytes = cached.bytes
        } else {
            bytes = try archive.contents(of: member(key), limit: Int.max)
            cached = (key, bytes)
        }
        guard range.lowerBound >= 0, range.upperBound <= bytes.count else {
            throw TensorFileError(file: archive.path, .truncated(needed: range.upperBound, available: bytes.count))
        }
        if range == 0 ..< bytes.count { return bytes }
        return bytes.subdata(in: range)
    }
}
