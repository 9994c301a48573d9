import Foundation

/// The zip checkpoint `torch.save` writes since PyTorch 1.6 (and, with
/// `code/` and `constants.pkl` beside it, `torch.jit.save`'s TorchScript
/// archive, see `TorchScriptArchive`):
/// `<archive>/data.pkl` (the pickle), `<archive>/data/<key>` (one member per
/// storage, raw little-endian bytes), `<archive>/byteorder`,
/// `<archive>/version`. The archive folder is named after the file when it was
/// saved; the reader uses the folder holding `data.pkl`.
///
/// Opening reads the zip directory (through `ZipArchive`), `byteorder`,
/// `version` and `data.pkl` only. Storages are read when a tensor's values are
/// requested: stored members (what `torch.save` writes) as zero-copy views of
/// the mapped file, deflated ones inflated then.
enum TorchZipFormat {
    /// Largest `data.pkl` read into memory.
    static let maximumPickleBytes = 1 << 30
    /// Archive format versions PyTorch reads (caffe2/serialize/versions.h).
    static let supportedVersions = 1 ... 10

    /// The folder holding `data.pkl` (`""` at the root), nil if there is none.
    static func archiveFolder(in paths: [String], path: String) throws -> String? {
        let folders = paths.compactMap { member -> String? in
            let parts = member.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.last == "data.pkl", parts.count <= 2 else { return nil }
            return parts.count == 1 ? "" : String(parts[0]) + "/"
        }
        guard folders.count <= 1 else {
            throw TensorFileError(file: path, .torchFormat(.severalDataPickles(folders: folders.sorted())))
        }
        return folders.first
    }

    /// Reads the checkpoint's pickle and directory; storages stay unread.
    static func read(path: String) throws -> TensorFile {
        let archive = try ZipArchive(path: path)
        let members = try archive.membersByPath()
        guard let folder = try archiveFolder(in: archive.members.map(\.path), path: path) else {
            throw TensorFileError(file: path, .torchFormat(.noDataPickle))
        }
        func contents(_ name: String, limit: Int) throws -> Data? {
            guard let member = members[name] else { return nil }
            guard member.size <= limit else {
                throw TensorFileError(file: path, .torchFormat(.memberTooLarge(member: name, size: member.size, limit: limit)))
            }
            return try archive.contents(of: member)
        }
        func text(_ name: String) throws -> String? {
            try contents(name, limit: 64).map {
                String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        var metadata = ["pytorch.serialization": "zip", "pytorch.archive": String(folder.dropLast())]
        if let byteorder = try text(folder + "byteorder"), byteorder != "little" {
            throw TensorFileError(file: path, .torchFormat(byteorder == "big" ? .bigEndian(legacy: false) : .byteorder(String(byteorder.prefix(20)))))
        }
        if let version = try text(folder + "version") ?? text(folder + ".data/version") {
            guard let number = Int(version), supportedVersions.contains(number) else {
                throw TensorFileError(file: path, .torchFormat(.archiveVersion(String(version.prefix(20)), supported: supportedVersions)))
            }
            metadata["pytorch.version"] = version
        }
        let pickle = try contents(folder + "data.pkl", limit: maximumPickleBytes) ?? Data()
        let document = try TorchPickle.load(pickle, file: path, member: folder + "data.pkl")
        let decoder = try TorchPickleDecoder(document: document, file: path)
        let contents = try TorchCheckpointContents(decoder: decoder, rootName: TorchPickle.stem(of: path))
        let source = TorchZipStorages(archive: archive, members: members, folder: folder)
        let tensors = try contents.tensors.map { name, record in
            NamedTensor(name: name, tensor: try TorchStorageViews.tensor(record, name: name, file: path, source: source))
        }
        let script = TorchScriptArchive.isArchive(members, folder: folder)
        var file = TensorFile(path: path, format: script ? .torchScript : .pytorch, tensors: tensors, metadata: metadata,
                              otherItems: contents.otherItems)
        if script {
            file.metadata["pytorch.content"] = "TorchScript archive"
            file.otherItems += try TorchScriptArchive.otherItems(archive, members, folder: folder, file: path)
        }
        try contents.describeModules(in: &file) {
            try TorchScriptArchive.settings(of: $0, archive, members, folder: folder, file: path)
        }
        return file
    }
}

/// Storage members of a zip checkpoint. Stored members are zero-copy views of
/// the map; a deflated one is inflated on first use and kept until another
/// is needed, so views sharing one storage inflate it once.
final class TorchZipStorages: TorchStorageSource, @unchecked Sendable {
    private let archive: ZipArchive
    private let members: [String: ZipMember]
    private let folder: String
    private let lock = NSLock()
    private var inflated: (key: String, bytes: Data)?

    init(archive: ZipArchive, members: [String: ZipMember], folder: String) {
        self.archive = archive
        self.members = members
        self.folder = folder
    }

    func availableBytes(of key: String) throws -> Int? {
        members[folder + "data/" + key]?.size
    }

    func bytes(of key: String, in range: Range<Int>) throws -> Data {
        guard let member = members[folder + "data/" + key], range.lowerBound >= 0, range.upperBound <= member.size else {
            throw TensorFileError(file: archive.map.path, .torchFormat(.storageRange(storage: key, range: range)))
        }
        guard member.isDeflated else {
            return try archive.map.data(member.dataOffset + range.lowerBound, range.count, tensor: member.path)
        }
        lock.lock()
        defer { lock.unlock() }
        let bytes: Data
        if let inflated, inflated.key == key {
            bytes = inflated.bytes
        } else {
            bytes = try archive.contents(of: member)
            inflated = (key, bytes)
        }
        return range == 0 ..< bytes.count ? bytes : bytes.subdata(in: range)
    }
}
