#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a path really leads, for the rule that a file found inside a folder
/// rnnkit was given (an `.npy` folder, an ONNX model's external data) must
/// really lie inside it: names can be checked, but a symbolic link
/// (`weights.bin -> /etc/passwd`, a linked subfolder) could still lead out.
/// Also the path of an open descriptor, for libraries that open files by
/// name (ZIPFoundation, libhdf5) and must read exactly the file rnnkit opened.
package enum RealPath {
    /// The absolute path with every symbolic link resolved, or nil when some
    /// component does not exist.
    package static func of(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The real path of the file open as `descriptor` (`readlink` of its
    /// `/proc/self/fd` entry: where the file was when opened, whatever the
    /// name leads to now), or nil when it cannot be read or the file was deleted.
    package static func ofOpened(_ descriptor: Int32) -> String? {
        #if os(Linux)
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink(naming(descriptor), &buffer, buffer.count - 1)
        guard length > 0, length < buffer.count - 1 else { return nil }
        let path = String(decoding: buffer[0 ..< length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return path.hasPrefix("/") && !path.hasSuffix(" (deleted)") ? path : nil
        #else
        return nil
        #endif
    }

    /// A path that opens exactly the file behind `descriptor` (this process's
    /// descriptor, not whatever the original path names now).
    package static func naming(_ descriptor: Int32) -> String {
        #if os(Linux)
        return "/proc/self/fd/\(descriptor)"
        #else
        return "/dev/fd/\(descriptor)"
        #endif
    }

    /// Checks that the file `map` opened lies inside the resolved folder
    /// `folder`, from the descriptor it was opened by (`openedPath`): a
    /// link swapped between resolving the name and opening it is caught too.
    /// Throws `.leadsOutsideFolder` naming `file` (the name as listed).
    package static func checkOpened(_ map: MappedFile, isInside folder: String, file: String) throws {
        if let opened = map.openedPath, !isInside(opened, folder: folder) {
            throw TensorFileError(file: file, .leadsOutsideFolder(target: opened))
        }
    }

    /// Whether the resolved path `target` lies inside the resolved folder `folder`.
    package static func isInside(_ target: String, folder: String) -> Bool {
        folder == "/" ? target.hasPrefix("/") : target.hasPrefix(folder + "/")
    }
}
