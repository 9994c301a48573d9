#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// What may stand where rnnkit writes an output (docs/reliability.md,
/// "Outputs"). `--force` replaces only what rnnkit itself would write:
///
/// - a file target: an existing regular file;
/// - a folder target (a folder of `.npy` files): an existing folder holding
///   nothing but regular `.npy` files, and no input.
///
/// Anything else in the way is refused, with or without `--force`: a folder
/// where a file goes (or the reverse), a folder holding other things, a
/// device node, FIFO or socket, and a symbolic link (rnnkit neither writes
/// through a link nor replaces it: name the file it points to instead).
public enum OutputTarget {
    /// What rnnkit writes at a path.
    public enum Kind: Sendable {
        /// One regular file.
        case file
        /// A folder of `.npy` files.
        case npyFolder
    }

    /// Throws unless `target` may be written as `kind`: nothing exists there,
    /// or (only with `force`) something `kind` may replace.
    static func checkExisting(_ target: String, kind: Kind, force: Bool) throws {
        var status = stat()
        guard lstat(target, &status) == 0 else {
            if errno == ENOENT { return }
            throw TensorFileError(file: target, .invalid("cannot check the output path: \(String(cString: strerror(errno)))"))
        }
        switch status.st_mode & S_IFMT {
        case S_IFLNK:
            let destination = (try? FileManager.default.destinationOfSymbolicLink(atPath: target)).map { " (to \($0))" } ?? ""
            throw TensorFileError(file: target, .refusedOverwrite(
                "is a symbolic link\(destination); rnnkit neither writes through nor replaces a link: name the file itself"))
        case S_IFREG:
            if kind == .npyFolder {
                throw TensorFileError(file: target, .refusedOverwrite(
                    "is a file; the output is a folder of .npy files, and overwriting does not replace a file with a folder"))
            }
        case S_IFDIR:
            if kind == .file {
                throw TensorFileError(file: target, .refusedOverwrite("is a folder; the output is a file, and overwriting does not replace a folder"))
            }
            if force, let stranger = firstNonNPYEntry(of: target) {
                throw TensorFileError(file: target, .refusedOverwrite(
                    "holds '\(stranger)', which is not a .npy file; overwriting replaces only a folder of .npy files"))
            }
        default:
            throw TensorFileError(file: target, .refusedOverwrite(
                "is not a regular file (\(typeName(status.st_mode))); rnnkit writes only regular files and replaces nothing else"))
        }
        if !force {
            throw TensorFileError(file: target, .outputExists)
        }
    }

    /// The first entry of `folder` that is not a regular `.npy` file, or nil.
    static func firstNonNPYEntry(of folder: String) -> String? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return "(its listing: unreadable)" }
        for entry in entries.sorted() {
            var status = stat()
            let path = (folder as NSString).appendingPathComponent(entry)
            if !entry.hasSuffix(".npy") || lstat(path, &status) != 0 || status.st_mode & S_IFMT != S_IFREG { return entry }
        }
        return nil
    }

    private static func typeName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: return "a FIFO"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "file type \(mode & S_IFMT)"
        }
    }
}
