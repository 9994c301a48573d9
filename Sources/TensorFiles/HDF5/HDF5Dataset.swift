import CHDF5
import Foundation

/// What rnnkit makes of one HDF5 dataset, and how its data is read.
enum HDF5Dataset {
    /// A dataset seen as a tensor, or as something else with a description.
    enum Kind {
        case tensor(DType, [Int])
        case other(String)
    }

    /// Classifies the dataset at `path` from its datatype and dataspace.
    /// Call with the lock held.
    static func describe(_ path: String, in file: HDF5OpenFile, name: String) throws -> Kind {
        func check(_ id: hid_t, _ what: String) throws -> hid_t {
            try HDF5Library.check(id, what, file: file.path, tensor: name)
        }
        let dataset = try check(H5Dopen2(file.id, path, rk_H5P_DEFAULT()), "cannot open the dataset")
        defer { H5Dclose(dataset) }
        let type = try check(H5Dget_type(dataset), "cannot read the dataset's type")
        defer { H5Tclose(type) }
        let space = try check(H5Dget_space(dataset), "cannot read the dataset's shape")
        defer { H5Sclose(space) }

        let shape: [Int]
        switch H5Sget_simple_extent_type(space) {
        case H5S_SCALAR:
            shape = []
        case H5S_SIMPLE:
            let rank = Int(H5Sget_simple_extent_ndims(space))
            guard rank >= 0, rank <= 32 else { throw HDF5Library.failure("cannot read the rank", file: file.path, tensor: name) }
            var dims = [hsize_t](repeating: 0, count: rank)
            guard H5Sget_simple_extent_dims(space, &dims, nil) >= 0 else {
                throw HDF5Library.failure("cannot read the dimensions", file: file.path, tensor: name)
            }
            guard dims.allSatisfy({ $0 <= hsize_t(Int.max) }) else {
                throw TensorFileError(file: file.path, tensor: name, .badShape("\(dims) is too large"))
            }
            shape = dims.map { Int($0) }
        default:
            return .other("dataset without a dataspace (no data)")
        }
        if let elsewhere = storedElsewhere(dataset) { return .other(elsewhere) }
        try checkChunks(dataset, rank: shape.count, file: file.path, name: name)
        let (dtype, why) = elementType(type)
        guard let dtype else { return .other("\(why) dataset of shape \(shape)") }
        guard checkedByteCount(shape, dtype) != nil else {
            throw TensorFileError(file: file.path, tensor: name, .badShape("\(shape) × \(dtype.itemSize) bytes overflows"))
        }
        return .tensor(dtype, shape)
    }

    /// Why a dataset's data lives outside this file (external raw files or
    /// a virtual dataset), or nil. Such data is not read: a file from a
    /// stranger could otherwise make rnnkit read any file on the machine.
    private static func storedElsewhere(_ dataset: hid_t) -> String? {
        let creation = H5Dget_create_plist(dataset)
        guard creation >= 0 else { return "dataset with unreadable storage properties" }
        defer { H5Pclose(creation) }
        if H5Pget_layout(creation) == H5D_VIRTUAL { return "virtual dataset (data in other files; not read)" }
        if H5Pget_external_count(creation) > 0 { return "dataset stored in external files (not read)" }
        return nil
    }

    /// Refuses a chunked dataset whose chunk rank differs from its own rank
    /// (libhdf5 1.10 loops forever reading one; later versions refuse it too).
    private static func checkChunks(_ dataset: hid_t, rank: Int, file: String, name: String) throws {
        let creation = H5Dget_create_plist(dataset)
        guard creation >= 0 else { return }
        defer { H5Pclose(creation) }
        guard H5Pget_layout(creation) == H5D_CHUNKED else { return }
        var chunk = [hsize_t](repeating: 0, count: 32)
        let chunkRank = Int(H5Pget_chunk(creation, 32, &chunk))
        guard rank > 0, chunkRank == rank, chunk.prefix(rank).allSatisfy({ $0 > 0 }) else {
            throw TensorFileError(file: file, tensor: name, .hdf5(
                "damaged dataset: \(chunkRank)-d chunks for a \(rank)-d dataset"))
        }
    }

    /// The dtype a datatype is read as, or nil and a description of it.
    /// Unsigned 16- and 32-bit integers are widened (libhdf5 converts them).
    private static func elementType(_ type: hid_t) -> (DType?, String) {
        let size = H5Tget_size(type)
        switch H5Tget_class(type) {
        case H5T_FLOAT:
            switch size {
            case 2: return (HDF5Library.float16Kind(type), "16-bit float (unknown layout)")
            case 4: return (.float32, "")
            case 8: return (.float64, "")
            default: return (nil, "\(size)-byte float")
            }
        case H5T_INTEGER:
            let signed = H5Tget_sign(type) == H5T_SGN_2
            switch (size, signed) {
            case (1, true): return (.int8, "")
            case (1, false): return (.uint8, "")
            case (2, true): return (.int16, "")
            case (2, false), (4, true): return (.int32, "")
            case (4, false), (8, true): return (.int64, "")
            default: return (nil, "\(size * 8)-bit \(signed ? "" : "unsigned ")integer")
            }
        case H5T_ENUM: return isBoolean(type) ? (.bool, "") : (nil, "enum")
        case H5T_STRING: return (nil, "string")
        case H5T_COMPOUND: return (nil, "compound")
        case H5T_VLEN: return (nil, "variable-length")
        case H5T_ARRAY: return (nil, "array-typed")
        case H5T_REFERENCE: return (nil, "reference")
        case H5T_OPAQUE: return (nil, "opaque")
        case H5T_BITFIELD: return (nil, "bitfield")
        default: return (nil, "non-numeric")
        }
    }

    /// Whether an enum type is h5py's boolean: one byte, FALSE = 0, TRUE = 1.
    private static func isBoolean(_ type: hid_t) -> Bool {
        guard H5Tget_size(type) == 1, H5Tget_nmembers(type) == 2 else { return false }
        var names: [String: Int8] = [:]
        for index: UInt32 in 0 ..< 2 {
            guard let name = H5Tget_member_name(type, index) else { return false }
            defer { H5free_memory(name) }
            var value: Int8 = -1
            guard H5Tget_member_value(type, index, &value) >= 0 else { return false }
            names[String(cString: name)] = value
        }
        return names == ["FALSE": 0, "TRUE": 1]
    }

    /// Reads the whole dataset as little-endian, C-ordered `dtype` elements.
    static func load(_ path: String, in file: HDF5OpenFile, name: String, dtype: DType, shape: [Int]) throws -> Data {
        guard let bytes = checkedByteCount(shape, dtype) else {
            throw TensorFileError(file: file.path, tensor: name, .badShape("\(shape) overflows"))
        }
        return try HDF5Library.locked {
            let dataset = try HDF5Library.check(
                H5Dopen2(file.id, path, rk_H5P_DEFAULT()), "cannot open the dataset", file: file.path, tensor: name)
            defer { H5Dclose(dataset) }
            try checkStorage(dataset, bytes: bytes, shape: shape, file: file.path, name: name)
            var data = Data(count: bytes)
            guard bytes > 0 else { return data }
            let (memory, owned) = memoryType(dtype)
            defer { if owned { H5Tclose(memory) } }
            let status = data.withUnsafeMutableBytes {
                H5Dread(dataset, memory, rk_H5S_ALL(), rk_H5S_ALL(), rk_H5P_DEFAULT(), $0.baseAddress)
            }
            try HDF5Library.check(status: status, "cannot read the data", file: file.path, tensor: name)
            return data
        }
    }

    /// Refuses, before anything is allocated, a dataset whose shape does not
    /// fit the bytes the file stores for it:
    /// - contiguous data must be exactly `elements × file item size` bytes
    ///   (or, up to 1 MiB, not written at all), compact data exactly that;
    ///   libhdf5 1.10 copies past the end of a shorter one;
    /// - chunked data may not need more than the stored bytes, or 1032 ×
    ///   them (deflate's largest ratio) when filtered; datasets up to 1 MiB
    ///   are exempt (fill values, edge padding). A damaged or hostile file
    ///   could otherwise claim gigabytes and make libhdf5 walk millions of
    ///   empty chunks.
    /// Call with the lock held.
    private static func checkStorage(_ dataset: hid_t, bytes: Int, shape: [Int], file: String, name: String) throws {
        let stored = Int(clamping: H5Dget_storage_size(dataset))
        let type = H5Dget_type(dataset)
        let itemSize = type >= 0 ? H5Tget_size(type) : 0
        if type >= 0 { H5Tclose(type) }
        let fileBytes = (checkedElementCount(shape) ?? .max).multipliedReportingOverflow(by: itemSize).partialValue
        let creation = H5Dget_create_plist(dataset)
        guard creation >= 0 else { throw HDF5Library.failure("cannot read the storage properties", file: file, tensor: name) }
        defer { H5Pclose(creation) }
        func fail(_ why: String) -> TensorFileError {
            TensorFileError(file: file, tensor: name, .badShape("\(shape) needs \(fileBytes) bytes in the file but \(why)"))
        }
        switch H5Pget_layout(creation) {
        case H5D_COMPACT:
            guard stored == fileBytes else { throw fail("\(stored) are stored") }
        case H5D_CONTIGUOUS:
            guard stored == 0 || stored == fileBytes else { throw fail("\(stored) are stored") }
            guard stored > 0 || bytes <= 1 << 20 else { throw fail("none are stored") }
        default:
            guard bytes > 1 << 20 else { return }
            let filtered = H5Pget_nfilters(creation) > 0
            let limit = filtered ? stored.multipliedReportingOverflow(by: 1032).partialValue : stored
            guard fileBytes <= limit else { throw fail("only \(stored)\(filtered ? " compressed" : "") are stored") }
        }
    }

    /// The in-memory (native, little-endian) type for `dtype`, and whether the
    /// caller must close it. Call with the lock held.
    static func memoryType(_ dtype: DType) -> (hid_t, Bool) {
        switch dtype {
        case .float16: return (HDF5Library.makeFloat16Type(bfloat: false), true)
        case .bfloat16: return (HDF5Library.makeFloat16Type(bfloat: true), true)
        case .bool: return (HDF5Library.makeBoolType(), true)
        case .float32: return (rk_H5T_NATIVE_FLOAT(), false)
        case .float64: return (rk_H5T_NATIVE_DOUBLE(), false)
        case .int8: return (rk_H5T_NATIVE_INT8(), false)
        case .uint8: return (rk_H5T_NATIVE_UINT8(), false)
        case .int16: return (rk_H5T_NATIVE_INT16(), false)
        case .int32: return (rk_H5T_NATIVE_INT32(), false)
        case .int64: return (rk_H5T_NATIVE_INT64(), false)
        }
    }
}
