import CHDF5
import Foundation

/// The one door to libhdf5.
///
/// The serial libhdf5 build is not thread-safe, so every call into it goes
/// through `locked`, which holds one process-wide (recursive) lock; it is
/// held while a child that runs libhdf5 is forked (`HDF5Isolation`), so that
/// no child inherits a libhdf5 another thread is inside. The first use turns
/// off libhdf5's automatic printing of its error stack.
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
}
