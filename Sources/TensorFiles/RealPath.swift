#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a path really leads, for the rule that a file found inside a folder
/// rnnkit was given (an `.npy` folder, an ONNX model's external data) must
/// really lie inside it: names can be checked, but a symbolic link
/// (`weights.bin -> /etc/passwd`, a linked subfolder) could still lead out.
package enum RealPath {
    /// The absolute path with every symbolic link resolved, or nil when some
    /// component does not exist.
    package static func of(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
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
