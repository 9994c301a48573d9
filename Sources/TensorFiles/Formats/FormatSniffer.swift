import Foundation

/// A file whose format `FormatSniffer` recognised, with what it had to read
/// to decide (an HDF5 file's description and attributes), so that opening it
/// does not read that again.
public struct SniffedFile: Sendable {
    /// The path as given.
    public let path: String
    /// The recognised format.
    public let format: FileFormat
    /// For the HDF5 formats: the file as described (tensors listed, data unread).
    let described: TensorFile?
    /// For `.keras2Model` and `.keras2Weights`: what made it one.
    package let keras2: Keras2Listing?

    init(path: String, format: FileFormat, described: TensorFile? = nil, keras2: Keras2Listing? = nil) {
        self.path = path
        self.format = format
        self.described = described
        self.keras2 = keras2
    }
}

/// What makes an HDF5 file a Keras 2 file, as the sniffer found it: the
/// group whose `layer_names` lists the layers, with the file's description
/// and attributes for the Keras 2 reader to take the layers from.
package struct Keras2Listing: Sendable {
    /// The file as described (tensors listed, data unread).
    package let file: TensorFile
    /// The string attributes of its groups and datasets.
    package let attributes: HDF5AttributeTable
    /// `model_weights` for a whole model (`model_config` at the root), `""`
    /// when the root lists the layers (`save_weights`).
    package let weightsGroup: String
}

/// Recognises every format rnnkit reads from a file's bytes, never its name:
/// the one place that decides what a file is.
///
/// The leading bytes decide first: the NPY magic, a zip signature, the HDF5
/// signature (at 0, 512, 1024, … after a user block), the legacy PyTorch
/// magic pickle, a safetensors header (8-byte length, then `{`). Some
/// formats need a little more:
/// - a zip: its member names: `archive_format` (one folder deep) is an
///   exported program (`torch.export.save`; so is the layout before PyTorch
///   2.6, which its reader refuses); `data.pkl` (one folder deep) is a PyTorch
///   checkpoint, a TorchScript archive when `constants.pkl` or `code/` sit
///   beside it; `config.json` beside `model.weights.*` a Keras 3 model; any
///   other zip is NPZ.
/// - HDF5: the file's description (read by libhdf5 in a forked child, as
///   `HDF5Reader` does): Keras 3 weights when every dataset is a numbered
///   variable in a `vars` group and some are a cell's; Keras 2 when the root
///   records `keras_version` or `model_config` and a `layer_names` list
///   (`model_config` makes it a whole model).
/// - a JSON object holding `"weight_map"`: a sharded checkpoint's index.
/// - nothing matched: an ONNX model when the whole file is a sequence of
///   well-formed protobuf fields with `ir_version` (1) and `graph` (7), each
///   known field of `ModelProto` with its own wire type.
public enum FormatSniffer {
    static let hdf5Signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
    static let zipSignatures: [[UInt8]] = [[0x50, 0x4B, 0x03, 0x04], [0x50, 0x4B, 0x05, 0x06]]

    /// The format of the file or directory at `path` (a directory is a folder of `.npy` files).
    ///
    /// - Throws: `TensorFileError`: `.notFound`, `.empty`, `.unknownFormat`
    ///   (with the first bytes) when nothing matches, or the error that stopped
    ///   reading a zip directory or an HDF5 description.
    public static func format(of path: String) throws -> FileFormat {
        try sniff(path).format
    }

    /// The format of the file at `path`, with what was read to decide.
    public static func sniff(_ path: String) throws -> SniffedFile {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TensorFileError(file: path, .notFound)
        }
        if isDirectory.boolValue { return SniffedFile(path: path, format: .npyDirectory) }
        let map = try MappedFile(path: path)
        let bytes = map.bytes
        if map.count == 0 { throw TensorFileError(file: path, .empty) }
        if bytes.starts(with: NPYHeader.magic) { return SniffedFile(path: path, format: .npy) }
        // Zip before HDF5: rnnkit's `.keras` archive holds its HDF5 weights
        // behind a user block made of the zip's headers (StoredZipWriter.wrap).
        if zipSignatures.contains(where: { bytes.starts(with: $0) }) {
            return SniffedFile(path: path, format: try zipFormat(ZipArchive(map: map), path: path))
        }
        if isHDF5(bytes) { return try sniffHDF5(path) }
        if TorchLegacyFormat.hasMagic(bytes) { return SniffedFile(path: path, format: .pytorchLegacy) }
        if SafetensorsHeader.looksLikeSafetensors(bytes) { return SniffedFile(path: path, format: .safetensors) }
        if ShardedCheckpoint.looksLikeIndex(bytes) { return SniffedFile(path: path, format: .shardedCheckpoint) }
        if isONNX(bytes) { return SniffedFile(path: path, format: .onnx) }
        throw TensorFileError(file: path, offset: 0, .unknownFormat(leadingBytes: Array(bytes.prefix(8))))
    }

    /// HDF5 puts its superblock at 0, 512, 1024, 2048, … (after a user block).
    static func isHDF5(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset + 8 <= bytes.count {
            if Array(bytes[offset ..< offset + 8]) == hdf5Signature { return true }
            offset = offset == 0 ? 512 : offset * 2
        }
        return false
    }

    /// A zip archive's format, from its member names.
    static func zipFormat(_ archive: ZipArchive, path: String) throws -> FileFormat {
        let paths = archive.members.map(\.path)
        if ExportedProgramArchive.isArchive(paths) { return .pytorchExport }
        if let folder = try TorchZipFormat.archiveFolder(in: paths, path: path) {
            let members = Dictionary(archive.members.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
            return TorchScriptArchive.isArchive(members, folder: folder) ? .torchScript : .pytorch
        }
        let names = Set(paths)
        if names.contains("config.json"), !names.isDisjoint(with: ["model.weights.h5", "model.weights.npz", "model.weights.json"]) {
            return .keras
        }
        return .npz
    }

    /// An HDF5 file's format, from its description (one forked child).
    private static func sniffHDF5(_ path: String) throws -> SniffedFile {
        let (file, attributes) = try HDF5Reader.readWithAttributes(path: path)
        if isKerasWeights(file) { return SniffedFile(path: path, format: .kerasWeights, described: file) }
        guard let group = keras2WeightsGroup(file, attributes: attributes) else {
            return SniffedFile(path: path, format: .hdf5, described: file)
        }
        let format: FileFormat = file.metadata["model_config"] != nil ? .keras2Model : .keras2Weights
        return SniffedFile(path: path, format: format, described: file,
                           keras2: Keras2Listing(file: file, attributes: attributes, weightsGroup: group))
    }

    /// Keras 3 weights: every dataset a numbered variable in a `vars` group, some a cell's.
    static func isKerasWeights(_ file: TensorFile) -> Bool {
        let names = file.tensors.map(\.name)
        return names.contains { $0.hasPrefix("layers.") && $0.hasSuffix(".cell.vars.0") }
            && names.allSatisfy { name in
                let parts = name.split(separator: ".")
                return parts.count >= 2 && parts[parts.count - 2] == "vars" && parts[parts.count - 1].allSatisfy(\.isNumber)
            }
    }

    /// Keras 2: the group listing the layers (`model_weights` when the root
    /// has a `model_config`, else the root, `""`), or nil when the root
    /// records neither `keras_version` nor `model_config`, or no such group
    /// lists layers. A group whose attributes failed to read counts as
    /// listing them: the Keras 2 reader reports the failure.
    static func keras2WeightsGroup(_ file: TensorFile, attributes: HDF5AttributeTable) -> String? {
        let config = file.metadata["model_config"] != nil
        guard config || file.metadata["keras_version"] != nil else { return nil }
        func listsLayers(_ object: String) -> Bool {
            attributes.failure(of: object) != nil || attributes.chunkedList("layer_names", of: object) != nil
        }
        if config, listsLayers("model_weights") { return "model_weights" }
        return listsLayers("/") ? "" : nil
    }
}
