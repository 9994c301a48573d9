import Foundation

/// Reads HDF5 files through libhdf5 (h5py files, Keras weights, MATLAB v7.3, …).
///
/// Every dataset at any depth whose elements are numbers becomes a tensor;
/// its path `encoder/lstm/weight_ih_l0` becomes the name
/// `encoder.lstm.weight_ih_l0`. Datasets are listed in creation order when the
/// file tracks it, else in name order. Opening reads only the metadata; the
/// data of a dataset is read (and decompressed, and converted to
/// little-endian) by libhdf5 when requested. Non-numeric datasets (strings,
/// compounds, …) are listed in `otherItems`, and so are soft, external and
/// user-defined links, which are never followed (an external link leads to
/// another file); string attributes of the root group become `metadata`.
///
/// libhdf5 reads files only in forked children (`HDF5Isolation`): one
/// describes the file, one per dataset reads its data. A damaged file on
/// which libhdf5 itself crashes or hangs is refused with an error. The file
/// is opened once, here; every child opens that descriptor
/// (`HDF5Source.libraryPath`), never the path again, so that the data read
/// later come from the file that was described even if the path is
/// replaced meanwhile.
public enum HDF5Reader {
    /// Reads the file at `path`.
    public static func read(path: String) throws -> TensorFile {
        let source = try HDF5Source(opening: path)
        return try read(source, description: try HDF5Library.locked { try HDF5Isolation.describe(source) })
    }

    /// Reads an HDF5 file held in memory (a member of a zip archive, such as
    /// the `model.weights.h5` of a `.keras` file), through libhdf5's core
    /// driver. `path` names it in errors and in the result
    /// (`model.keras:model.weights.h5`).
    public static func read(image: Data, path: String) throws -> TensorFile {
        if image.isEmpty { throw TensorFileError(file: path, .empty) }
        guard image.withUnsafeBytes({ FormatSniffer.isHDF5($0) }) else {
            throw TensorFileError(file: path, offset: 0, .badMagic(expected: .hdf5))
        }
        let source = HDF5Source(path: path, size: image.count, image: image, opened: nil)
        return try read(source, description: try HDF5Library.locked { try HDF5Isolation.describe(source) })
    }

    /// Reads the file at `path` together with the string attributes of all
    /// its groups and datasets (Keras 2's `layer_names` and `weight_names`),
    /// from one description.
    public static func readWithAttributes(path: String) throws -> (file: TensorFile, attributes: HDF5AttributeTable) {
        let source = try HDF5Source(opening: path)
        let description = try HDF5Library.locked { try HDF5Isolation.describe(source) }
        let file = try read(source, description: description)
        return (file, HDF5AttributeTable(strings: description.attributes, lists: description.attributeLists,
                                         failures: description.attributeFailures))
    }

    /// Lists the tensors of a described file.
    private static func read(_ source: HDF5Source, description: HDF5Description) throws -> TensorFile {
        if let failure = description.failure { throw TensorFileError(file: source.path, .hdf5(.library(failure, object: nil))) }
        var tensors: [NamedTensor] = []
        var others: [(name: String, summary: String)] = []
        var taken = Set<String>()
        for (objectPath, result) in description.datasets {
            let name = ModulePath(components: objectPath.split(separator: "/")).prefix
            let dataset: HDF5Description.Dataset
            switch result {
            case .success(let described): dataset = described
            case .failure(let failure): throw TensorFileError(file: source.path, tensor: name, .hdf5(.library(failure, object: nil)))
            }
            switch try HDF5Dataset.kind(of: dataset, file: source.path, name: name) {
            case .other(let summary):
                others.append((name, summary))
            case .tensor(let dtype, let shape):
                guard taken.insert(name).inserted else {
                    others.append((objectPath, "numeric dataset whose dotted name '\(name)' another dataset already has"))
                    continue
                }
                let tensor = Tensor(dtype: dtype, shape: shape) {
                    try HDF5Dataset.load(dataset, from: source, name: name, dtype: dtype, shape: shape)
                }
                tensors.append(NamedTensor(name: name, tensor: tensor))
            }
        }
        for link in description.links {
            let name = ModulePath(components: link.path.split(separator: "/")).prefix
            let target = link.target.isEmpty ? "" : " to \(link.target.prefix(200))"
            others.append((name, "\(link.kind) link\(target) (not followed: only the file's own objects are read)"))
        }
        let metadata = try attributes(of: "/", in: description, file: source.path)
        return TensorFile(path: source.path, format: .hdf5, tensors: tensors, metadata: metadata, otherItems: others)
    }

    /// The string-valued attributes (scalar or one-element, fixed or
    /// variable length) of the group or dataset `object` (`/`, `layers/lstm/vars`)
    /// in the file at `path`. Other attributes are left out.
    public static func stringAttributes(path: String, object: String) throws -> [String: String] {
        let source = try HDF5Source(opening: path)
        let description = try HDF5Library.locked { try HDF5Isolation.describe(source) }
        if let failure = description.failure { throw TensorFileError(file: path, .hdf5(.library(failure, object: nil))) }
        return try attributes(of: object, in: description, file: path)
    }

    /// The string attributes of `object` in a description, or the failure
    /// that stopped reading them.
    private static func attributes(of object: String, in description: HDF5Description, file: String) throws -> [String: String] {
        guard description.contains(object: object) else {
            throw TensorFileError(file: file, .hdf5(.noSuchObject(object)))
        }
        let key = HDF5Description.key(object)
        if let failure = description.attributeFailures[key] {
            throw TensorFileError(file: file, .hdf5(.library(failure, object: object)))
        }
        return description.attributes[key] ?? [:]
    }
}

/// An HDF5 file rnnkit reads: its path (in messages) and size, and either
/// the descriptor it was opened by or its bytes when it is held in memory
/// (read by the core driver).
struct HDF5Source: Sendable {
    /// The path as given (for an in-memory file, its name in messages).
    let path: String
    /// The file's size in bytes.
    let size: Int
    /// The file's bytes when it is held in memory.
    let image: Data?
    /// The open file the children read (nil for an image).
    let opened: OpenedFile?

    init(path: String, size: Int, image: Data?, opened: OpenedFile?) {
        self.path = path
        self.size = size
        self.image = image
        self.opened = opened
    }

    /// Opens the file at `path` (`MappedFile.openRegularFile`: a regular
    /// file, not empty) and keeps it open for every child.
    init(opening path: String) throws {
        let opened = try OpenedFile(path)
        var info = stat()
        guard fstat(opened.descriptor, &info) == 0 else { throw TensorFileError(file: path, .unreadable(.status, errno: errno)) }
        if info.st_size == 0 { throw TensorFileError(file: path, .empty) }
        self.init(path: path, size: Int(info.st_size), image: nil, opened: opened)
    }

    /// Whether the opened file has no name left on the disk (replaced or
    /// removed since it was opened): libhdf5, which opens a file by name
    /// and resolves its real path, can no longer open it.
    var isRemoved: Bool {
        guard let opened else { return false }
        var info = stat()
        return fstat(opened.descriptor, &info) == 0 && info.st_nlink == 0
    }

    /// What a child hands libhdf5 to open: the descriptor opened here
    /// (`/proc/self/fd/N`, which a forked child shares), else the name.
    var libraryPath: String {
        opened.map { RealPath.naming($0.descriptor) } ?? path
    }

    /// A file descriptor closed when the last source holding it goes.
    final class OpenedFile: Sendable {
        let descriptor: Int32

        init(_ path: String) throws {
            descriptor = try MappedFile.openRegularFile(path)
        }

        deinit { close(descriptor) }
    }
}

/// The string attributes of an HDF5 file's groups and datasets, by object
/// (`/` for the root, `model_weights/lstm` without slashes around) and name.
public struct HDF5AttributeTable: Sendable {
    /// Scalar and one-element string attributes.
    public var strings: [String: [String: String]]
    /// One-dimensional string arrays of other lengths (an empty array of any type is `[]`).
    public var lists: [String: [String: [String]]]
    /// For an object whose attributes could not all be read: why.
    public var failures: [String: HDF5LibraryFailure]

    /// Creates a table.
    public init(strings: [String: [String: String]] = [:], lists: [String: [String: [String]]] = [:],
                failures: [String: HDF5LibraryFailure] = [:]) {
        self.strings = strings
        self.lists = lists
        self.failures = failures
    }

    /// The single string `name` of `object`, or nil.
    public func string(_ name: String, of object: String) -> String? {
        strings[HDF5Description.key(object)]?[name]
    }

    /// The strings of attribute `name` of `object`: an array, or a single
    /// string as one element; nil when the object has no such attribute.
    public func list(_ name: String, of object: String) -> [String]? {
        let key = HDF5Description.key(object)
        return lists[key]?[name] ?? strings[key]?[name].map { [$0] }
    }

    /// Why the attributes of `object` could not all be read, or nil.
    public func failure(of object: String) -> HDF5LibraryFailure? {
        failures[HDF5Description.key(object)]
    }

    /// The strings of attribute `name` of `object`, or, when a list was too
    /// long for one attribute (h5py splits it), its chunks `name0`, `name1`, …
    /// joined; nil when the object has neither.
    public func chunkedList(_ name: String, of object: String) -> [String]? {
        if let whole = list(name, of: object) { return whole }
        var chunks: [String] = []
        var index = 0
        while let chunk = list("\(name)\(index)", of: object) {
            chunks += chunk
            index += 1
        }
        return index > 0 ? chunks : nil
    }
}
