import CHDF5
import Foundation

/// Reading and writing string attributes of HDF5 groups and datasets.
/// Every function here must be called with the libhdf5 lock held.
enum HDF5Attributes {
    /// The string-valued attributes of `object` (a path from the root; `/`
    /// is the root group). Attributes of other types, or with more than one
    /// element, are left out.
    static func strings(of object: String, in location: hid_t, file: String) throws -> [String: String] {
        let target = try HDF5Library.check(
            H5Oopen(location, object, rk_H5P_DEFAULT()), "cannot open '\(object)'", file: file)
        defer { H5Oclose(target) }
        final class Names { var list: [String] = [] }
        let names = Names()
        var index: hsize_t = 0
        let status = H5Aiterate2(target, H5_INDEX_NAME, H5_ITER_INC, &index, { _, name, _, context in
            guard let name, let context else { return -1 }
            Unmanaged<Names>.fromOpaque(context).takeUnretainedValue().list.append(String(cString: name))
            return 0
        }, Unmanaged.passUnretained(names).toOpaque())
        try HDF5Library.check(status: status, "cannot list the attributes of '\(object)'", file: file)
        var result: [String: String] = [:]
        for name in names.list {
            if let value = try string(named: name, of: target, file: file) { result[name] = value }
        }
        return result
    }

    /// The value of one attribute when it is a single string, else nil.
    private static func string(named name: String, of object: hid_t, file: String) throws -> String? {
        let attribute = try HDF5Library.check(
            H5Aopen(object, name, rk_H5P_DEFAULT()), "cannot open attribute '\(name)'", file: file)
        defer { H5Aclose(attribute) }
        let type = H5Aget_type(attribute)
        defer { H5Tclose(type) }
        let space = H5Aget_space(attribute)
        defer { H5Sclose(space) }
        guard type >= 0, space >= 0, H5Tget_class(type) == H5T_STRING, H5Sget_simple_extent_npoints(space) == 1 else {
            return nil
        }
        let memory = H5Tcopy(rk_H5T_C_S1())
        defer { H5Tclose(memory) }
        H5Tset_cset(memory, H5Tget_cset(type))
        if H5Tis_variable_str(type) > 0 {
            H5Tset_size(memory, rk_H5T_VARIABLE())
            var pointer: UnsafeMutablePointer<CChar>?
            guard H5Aread(attribute, memory, &pointer) >= 0 else {
                throw HDF5Library.failure("cannot read attribute '\(name)'", file: file)
            }
            defer { H5Dvlen_reclaim(memory, space, rk_H5P_DEFAULT(), &pointer) }
            return pointer.map { String(cString: $0) }
        }
        let size = H5Tget_size(type)
        guard size > 0, size <= 1 << 20 else { return nil }
        H5Tset_size(memory, size)
        var buffer = [UInt8](repeating: 0, count: size)
        guard H5Aread(attribute, memory, &buffer) >= 0 else {
            throw HDF5Library.failure("cannot read attribute '\(name)'", file: file)
        }
        return String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// Sets the attribute `name` of `object` to one variable-length UTF-8
    /// string, as h5py stores a Python `str`. Replaces an existing attribute.
    static func setString(_ value: String, named name: String, on object: hid_t, file: String) throws {
        let type = H5Tcopy(rk_H5T_C_S1())
        defer { H5Tclose(type) }
        H5Tset_size(type, rk_H5T_VARIABLE())
        H5Tset_cset(type, H5T_CSET_UTF8)
        let space = H5Screate(H5S_SCALAR)
        defer { H5Sclose(space) }
        let attribute = try create(name, type: type, space: space, on: object, file: file)
        defer { H5Aclose(attribute) }
        let status = value.withCString { text -> herr_t in
            var pointer: UnsafePointer<CChar>? = text
            return H5Awrite(attribute, type, &pointer)
        }
        try HDF5Library.check(status: status, "cannot write attribute '\(name)'", file: file)
    }

    /// Sets the attribute `name` of `object` to a one-dimensional array of
    /// fixed-length, NUL-padded byte strings, as h5py stores a numpy `S`
    /// array (Keras 2 keeps `layer_names` and `weight_names` this way).
    static func setStrings(_ values: [String], named name: String, on object: hid_t, file: String) throws {
        let encoded = values.map { Array($0.utf8) }
        let width = max(1, encoded.map(\.count).max() ?? 1)
        let type = H5Tcopy(rk_H5T_C_S1())
        defer { H5Tclose(type) }
        H5Tset_size(type, width)
        H5Tset_strpad(type, H5T_STR_NULLPAD)
        var dims = [hsize_t(values.count)]
        let space = H5Screate_simple(1, &dims, nil)
        defer { H5Sclose(space) }
        let attribute = try create(name, type: type, space: space, on: object, file: file)
        defer { H5Aclose(attribute) }
        var buffer = [UInt8](repeating: 0, count: max(1, width * values.count))
        for (row, bytes) in encoded.enumerated() {
            buffer.replaceSubrange(row * width ..< row * width + bytes.count, with: bytes)
        }
        try HDF5Library.check(status: H5Awrite(attribute, type, buffer), "cannot write attribute '\(name)'", file: file)
    }

    /// Creates (or re-creates) an attribute.
    private static func create(_ name: String, type: hid_t, space: hid_t, on object: hid_t, file: String) throws -> hid_t {
        if H5Aexists(object, name) > 0 { H5Adelete(object, name) }
        return try HDF5Library.check(
            H5Acreate2(object, name, type, space, rk_H5P_DEFAULT(), rk_H5P_DEFAULT()),
            "cannot create attribute '\(name)'", file: file)
    }
}
