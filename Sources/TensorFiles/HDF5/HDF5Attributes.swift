import CHDF5
import Foundation

/// Writing string attributes of HDF5 groups and datasets (rnnkit's own
/// outputs; attributes of files it reads come from `HDF5Description`).
/// Every function here must be called with the libhdf5 lock held.
enum HDF5Attributes {
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
