import CHDF5
import Foundation

/// Reads HDF5 files through libhdf5 (h5py files, Keras weights, MATLAB v7.3, …).
///
/// Every dataset at any depth whose elements are numbers becomes a tensor;
/// its path `encoder/lstm/weight_ih_l0` becomes the name
/// `encoder.lstm.weight_ih_l0`. Datasets are listed in creation order when the
/// file tracks it, else in name order. Opening reads only the metadata; the
/// data of a dataset is read (and decompressed, and converted to
/// little-endian) by libhdf5 when requested. Non-numeric datasets (strings,
/// compounds, …) are listed in `otherItems`; string attributes of the root
/// group become `metadata`.
public enum HDF5Reader {
    /// Reads the file at `path`.
    public static func read(path: String) throws -> TensorFile {
        let size = try fileSize(path)
        return try HDF5Library.locked { try read(HDF5OpenFile(path: path, size: size), path: path) }
    }

    /// Reads an HDF5 file held in memory (a member of a zip archive, such as
    /// the `model.weights.h5` of a `.keras` file), through libhdf5's core
    /// driver; libhdf5 keeps its own copy of `image`. `path` names it in
    /// errors and in the result (`model.keras:model.weights.h5`).
    public static func read(image: Data, path: String) throws -> TensorFile {
        if image.isEmpty { throw TensorFileError(file: path, .empty) }
        guard image.withUnsafeBytes({ ContainerSniffer.isHDF5($0) }) else {
            throw TensorFileError(file: path, offset: 0, .badMagic("not an HDF5 file (no HDF5 signature)"))
        }
        return try HDF5Library.locked { try read(HDF5OpenFile(image: image, path: path), path: path) }
    }

    /// Lists the tensors of an opened file. Call with the lock held.
    private static func read(_ file: HDF5OpenFile, path: String) throws -> TensorFile {
        var tensors: [NamedTensor] = []
        var others: [(name: String, summary: String)] = []
        var taken = Set<String>()
        for objectPath in try datasetPaths(file) {
            let name = objectPath.split(separator: "/").joined(separator: ".")
            switch try HDF5Dataset.describe(objectPath, in: file, name: name) {
            case .other(let summary):
                others.append((name, summary))
            case .tensor(let dtype, let shape):
                guard taken.insert(name).inserted else {
                    others.append((objectPath, "numeric dataset whose dotted name '\(name)' another dataset already has"))
                    continue
                }
                let tensor = Tensor(dtype: dtype, shape: shape) {
                    try HDF5Dataset.load(objectPath, in: file, name: name, dtype: dtype, shape: shape)
                }
                tensors.append(NamedTensor(name: name, tensor: tensor))
            }
        }
        let metadata = try HDF5Attributes.strings(of: "/", in: file.id, file: path)
        return TensorFile(path: path, format: .hdf5, tensors: tensors, metadata: metadata, otherItems: others)
    }

    /// The string-valued attributes (scalar or one-element, fixed or
    /// variable length) of the group or dataset `object` (`/`, `layers/lstm/vars`)
    /// in the file at `path`. Other attributes are left out.
    public static func stringAttributes(path: String, object: String) throws -> [String: String] {
        let size = try fileSize(path)
        return try HDF5Library.locked {
            let file = try HDF5OpenFile(path: path, size: size)
            return try HDF5Attributes.strings(of: object, in: file.id, file: path)
        }
    }

    /// The file's size, with the usual errors for a missing, empty or unreadable path.
    private static func fileSize(_ path: String) throws -> Int {
        let map = try MappedFile(path: path)
        if map.count == 0 { throw TensorFileError(file: path, .empty) }
        return map.count
    }

    /// Paths of every dataset, in creation order when every group tracks it,
    /// else in name order. Call with the lock held.
    private static func datasetPaths(_ file: HDF5OpenFile) throws -> [String] {
        final class Found { var paths: [String] = [] }
        let found = Found()
        let context = Unmanaged.passUnretained(found).toOpaque()
        let visitor: H5O_iterate_t = { _, name, info, context in
            guard let name, let info, let context else { return -1 }
            if info.pointee.type == H5O_TYPE_DATASET {
                Unmanaged<Found>.fromOpaque(context).takeUnretainedValue().paths.append(String(cString: name))
            }
            return 0
        }
        if H5Ovisit2(file.id, H5_INDEX_CRT_ORDER, H5_ITER_INC, visitor, context, rk_H5O_INFO_BASIC()) >= 0 {
            return found.paths
        }
        H5Eclear2(rk_H5E_DEFAULT())
        found.paths = []
        try HDF5Library.check(
            status: H5Ovisit2(file.id, H5_INDEX_NAME, H5_ITER_INC, visitor, context, rk_H5O_INFO_BASIC()),
            "cannot list the objects in the file", file: file.path)
        return found.paths
    }
}

/// An HDF5 file opened read-only, shared by the tensors that read from it
/// lazily and closed when the last of them is gone.
final class HDF5OpenFile: @unchecked Sendable {
    /// The libhdf5 file id.
    let id: hid_t
    /// The path as given.
    let path: String
    /// The file's size in bytes.
    let size: Int

    /// Opens `path` read-only. Call with the lock held.
    init(path: String, size: Int) throws {
        self.path = path
        self.size = size
        let access = H5Pcreate(rk_H5P_FILE_ACCESS())
        defer { H5Pclose(access) }
        // Reading needs no lock file; some mounts refuse one.
        H5Pset_file_locking(access, false, true)
        id = try HDF5Library.check(H5Fopen(path, rk_H5F_ACC_RDONLY(), access), "cannot open the file", file: path)
    }

    /// Opens the HDF5 file `image` held in memory, read-only, with libhdf5's
    /// core driver (which copies the image). Call with the lock held.
    init(image: Data, path: String) throws {
        self.path = path
        self.size = image.count
        let access = H5Pcreate(rk_H5P_FILE_ACCESS())
        defer { H5Pclose(access) }
        try HDF5Library.check(status: H5Pset_fapl_core(access, 1 << 20, false), "cannot set up in-memory reading", file: path)
        let status = image.withUnsafeBytes { H5Pset_file_image(access, UnsafeMutableRawPointer(mutating: $0.baseAddress), $0.count) }
        try HDF5Library.check(status: status, "cannot hand the in-memory file to libhdf5", file: path)
        id = try HDF5Library.check(H5Fopen(path, rk_H5F_ACC_RDONLY(), access), "cannot open the file", file: path)
    }

    deinit {
        HDF5Library.locked { _ = H5Fclose(id) }
    }
}
