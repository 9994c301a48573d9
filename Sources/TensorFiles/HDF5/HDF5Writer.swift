import CHDF5
import Foundation

/// Writes HDF5 files through libhdf5: groups (empty ones too), datasets and
/// string attributes, laid out the way h5py writes them, so that h5py and
/// Keras read the result. Object paths use `/` (`layers/lstm/vars/0`);
/// missing parent groups are created.
///
/// Use `HDF5Writer.write(to:_:)`, which writes atomically (see
/// `AtomicOutput`):
///
/// ```swift
/// try HDF5Writer.write(to: "model.weights.h5") { file in
///     try file.createGroup("layers/lstm/vars")
///     try file.setAttribute("name", "lstm", on: "layers/lstm/vars")
///     try file.writeDataset("layers/lstm/cell/vars/0", kernel)
/// }
/// ```
public final class HDF5Writer {
    /// The path the writer creates (a temporary one inside `write(to:_:)`).
    public let path: String
    /// The path named in errors.
    private let target: String
    private var file: hid_t

    /// Creates a new, empty HDF5 file at `path`, which must not exist.
    /// Prefer `write(to:_:)`. `target` names the file in errors (default `path`).
    public init(creating path: String, target: String? = nil) throws {
        self.path = path
        self.target = target ?? path
        let name = self.target
        file = try HDF5Library.locked {
            let access = H5Pcreate(rk_H5P_FILE_ACCESS())
            defer { H5Pclose(access) }
            H5Pset_file_locking(access, false, true)
            return try HDF5Library.check(
                H5Fcreate(path, rk_H5F_ACC_EXCL(), rk_H5P_DEFAULT(), access), "cannot create the file", file: name)
        }
    }

    deinit {
        if file >= 0 { HDF5Library.locked { _ = H5Fclose(file) } }
    }

    /// Creates the file `target` atomically: `body` fills a writer on a
    /// temporary file, which replaces `target` only once it is complete and closed.
    public static func write(to target: String, _ body: (HDF5Writer) throws -> Void) throws {
        try AtomicOutput.write(to: target) { temporary in
            let writer = try HDF5Writer(creating: temporary, target: target)
            try body(writer)
            try writer.close()
        }
    }

    /// Writes `tensors` to `path` atomically, a name `a.b.c` becoming the
    /// dataset `c` in the group `a/b` (what `HDF5Reader` turns back into
    /// `a.b.c`); `metadata` becomes string attributes of the root group.
    /// bfloat16 is refused (h5py and numpy have no such type).
    public static func write(_ tensors: [NamedTensor], to path: String, metadata: [String: String] = [:]) throws {
        try WriterChecks.uniqueNames(tensors, file: path)
        try WriterChecks.refuseBFloat16(tensors, container: "HDF5", file: path)
        let paths = try objectPaths(tensors, file: path)
        try write(to: path) { writer in
            for (named, objectPath) in zip(tensors, paths) { try writer.writeDataset(objectPath, named.tensor) }
            for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { try writer.setAttribute(key, value) }
        }
    }

    /// Creates the group `groupPath` and any missing parents; an existing group is left as it is.
    public func createGroup(_ groupPath: String) throws {
        try HDF5Library.locked {
            let file = try open()
            if H5Lexists(file, groupPath, rk_H5P_DEFAULT()) > 0 { return }
            H5Eclear2(rk_H5E_DEFAULT())
            let links = try linkCreation()
            defer { H5Pclose(links) }
            let group = try HDF5Library.check(
                H5Gcreate2(file, groupPath, links, rk_H5P_DEFAULT(), rk_H5P_DEFAULT()),
                "cannot create group '\(groupPath)'", file: target)
            H5Gclose(group)
        }
    }

    /// Writes `tensor` as the dataset `datasetPath` (contiguous, little-endian;
    /// float16 as IEEE half, bool as h5py's boolean enum).
    public func writeDataset(_ datasetPath: String, _ tensor: Tensor) throws {
        try WriterChecks.refuseBFloat16([NamedTensor(name: datasetPath, tensor: tensor)], container: "HDF5", file: target)
        let data = try tensor.data()
        try HDF5Library.locked {
            let file = try open()
            var dims = tensor.shape.map { hsize_t($0) }
            let space = tensor.shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), &dims, nil)
            defer { H5Sclose(space) }
            let (type, owned) = HDF5Library.memoryType(tensor.dtype)
            defer { if owned { H5Tclose(type) } }
            let links = try linkCreation()
            defer { H5Pclose(links) }
            let dataset = try HDF5Library.check(
                H5Dcreate2(file, datasetPath, type, space, links, rk_H5P_DEFAULT(), rk_H5P_DEFAULT()),
                "cannot create dataset '\(datasetPath)'", file: target)
            defer { H5Dclose(dataset) }
            guard !data.isEmpty else { return }
            let status = data.withUnsafeBytes {
                H5Dwrite(dataset, type, rk_H5S_ALL(), rk_H5S_ALL(), rk_H5P_DEFAULT(), $0.baseAddress)
            }
            try HDF5Library.check(status: status, "cannot write dataset '\(datasetPath)'", file: target)
        }
    }

    /// Sets the string attribute `name` of the group or dataset `object`
    /// (default: the root group), as h5py stores a Python `str`.
    public func setAttribute(_ name: String, _ value: String, on object: String = "/") throws {
        try withObject(object) { try HDF5Attributes.setString(value, named: name, on: $0, file: target) }
    }

    /// Sets the attribute `name` of `object` to an array of fixed-length byte
    /// strings, as h5py stores a numpy `S` array (Keras 2's `layer_names`).
    public func setAttribute(_ name: String, strings values: [String], on object: String = "/") throws {
        try withObject(object) { try HDF5Attributes.setStrings(values, named: name, on: $0, file: target) }
    }

    /// Flushes and closes the file. Further calls fail.
    public func close() throws {
        try HDF5Library.locked {
            let file = try open()
            self.file = -1
            try HDF5Library.check(status: H5Fclose(file), "cannot close the file", file: target)
        }
    }

    /// The HDF5 object paths for tensor names: `.` separates groups.
    static func objectPaths(_ tensors: [NamedTensor], file: String) throws -> [String] {
        let paths = try tensors.map { named -> String in
            let parts = named.name.split(separator: ".", omittingEmptySubsequences: false)
            guard !parts.contains(where: { $0.isEmpty }), !named.name.contains("/") else {
                throw TensorFileError(file: file, tensor: named.name, .invalid(
                    "cannot be an HDF5 path: names are split at '.' into groups, so they need non-empty parts and no '/'"))
            }
            return parts.joined(separator: "/")
        }
        let datasets = Set(paths)
        for path in paths {
            var prefix = Substring(path)
            while let slash = prefix.lastIndex(of: "/") {
                prefix = prefix[..<slash]
                if datasets.contains(String(prefix)) {
                    throw TensorFileError(file: file, tensor: prefix.replacingOccurrences(of: "/", with: "."), .invalid(
                        "is a tensor and also a group of '\(path.replacingOccurrences(of: "/", with: "."))'; HDF5 cannot hold both"))
                }
            }
        }
        return paths
    }

    private func open() throws -> hid_t {
        guard file >= 0 else { throw TensorFileError(file: target, .invalid("the HDF5 writer is already closed")) }
        return file
    }

    /// Link-creation properties that create missing parent groups.
    private func linkCreation() throws -> hid_t {
        let links = try HDF5Library.check(H5Pcreate(rk_H5P_LINK_CREATE()), "cannot create properties", file: target)
        H5Pset_create_intermediate_group(links, 1)
        return links
    }

    private func withObject(_ object: String, _ body: (hid_t) throws -> Void) throws {
        try HDF5Library.locked {
            let file = try open()
            let handle = try HDF5Library.check(H5Oopen(file, object, rk_H5P_DEFAULT()), "cannot open '\(object)'", file: target)
            defer { H5Oclose(handle) }
            try body(handle)
        }
    }
}
