import CHDF5
import Foundation

/// The one door to libhdf5.
///
/// The serial libhdf5 build is not thread-safe, so every call into it goes
/// through `locked`, which holds one process-wide (recursive) lock. The first
/// use turns off libhdf5's automatic printing of its error stack; failures are
/// instead turned into one `TensorFileError.hdf5` message by `failure`.
enum HDF5Library {
    private static let lock = NSRecursiveLock()
    nonisolated(unsafe) private static var initialised = false

    /// Runs `body` holding the libhdf5 lock.
    static func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        if !initialised {
            initialised = true
            H5open()
            H5Eset_auto2(rk_H5E_DEFAULT(), nil, nil)
        }
        return try body()
    }

    /// The current libhdf5 error stack as one line, outermost call first
    /// and the most specific cause last; clears the stack. Call with the lock held.
    static func errorStackMessage() -> String {
        final class Collected { var lines: [String] = [] }
        let collected = Collected()
        let context = Unmanaged.passUnretained(collected).toOpaque()
        H5Ewalk2(rk_H5E_DEFAULT(), H5E_WALK_DOWNWARD, { _, record, context in
            guard let record, let context, let description = record.pointee.desc else { return 0 }
            let box = Unmanaged<Collected>.fromOpaque(context).takeUnretainedValue()
            box.lines.append(String(cString: description))
            return 0
        }, context)
        H5Eclear2(rk_H5E_DEFAULT())
        var unique: [String] = []
        for line in collected.lines where !unique.contains(line) { unique.append(line) }
        if unique.count > 2 { unique = [unique[0], unique[unique.count - 1]] }
        return unique.isEmpty ? "libhdf5 reported a failure without details" : unique.joined(separator: ": ")
    }

    /// A `TensorFileError` for a failed libhdf5 call: `what` says what rnnkit
    /// was doing, followed by libhdf5's own account. Call with the lock held.
    static func failure(_ what: String, file: String, tensor: String? = nil) -> TensorFileError {
        TensorFileError(file: file, tensor: tensor, .hdf5("\(what): \(errorStackMessage())"))
    }

    /// Returns `id` when it is valid, throws `failure(what)` otherwise.
    static func check(_ id: hid_t, _ what: @autoclosure () -> String, file: String, tensor: String? = nil) throws -> hid_t {
        guard id >= 0 else { throw failure(what(), file: file, tensor: tensor) }
        return id
    }

    /// Throws `failure(what)` when a libhdf5 status is negative.
    static func check(status: herr_t, _ what: @autoclosure () -> String, file: String, tensor: String? = nil) throws {
        guard status >= 0 else { throw failure(what(), file: file, tensor: tensor) }
    }

    /// A new little-endian 16-bit float type: IEEE binary16 (`half`) or
    /// bfloat16. libhdf5 1.10 predefines neither; this is how h5py builds its
    /// float16 type. The caller closes it. Call with the lock held.
    static func makeFloat16Type(bfloat: Bool) -> hid_t {
        let type = H5Tcopy(rk_H5T_IEEE_F32LE())
        if bfloat {
            H5Tset_fields(type, 15, 7, 8, 0, 7)
            H5Tset_size(type, 2)
            H5Tset_ebias(type, 127)
        } else {
            H5Tset_fields(type, 15, 10, 5, 0, 10)
            H5Tset_size(type, 2)
            H5Tset_ebias(type, 15)
        }
        return type
    }

    /// An h5py-compatible boolean type (an int8 enum with FALSE = 0 and
    /// TRUE = 1). The caller closes it. Call with the lock held.
    static func makeBoolType() -> hid_t {
        let type = H5Tenum_create(rk_H5T_NATIVE_INT8())
        var no: Int8 = 0, yes: Int8 = 1
        H5Tenum_insert(type, "FALSE", &no)
        H5Tenum_insert(type, "TRUE", &yes)
        return type
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
