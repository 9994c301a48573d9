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
            throw TensorFileError(file: target, .unwritable(.checkPath(errno: errno)))
        }
        switch status.st_mode & S_IFMT {
        case S_IFLNK:
            let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: target)
            throw TensorFileError(file: target, .refusedOverwrite(.symbolicLink(to: destination)))
        case S_IFREG:
            if kind == .npyFolder {
                throw TensorFileError(file: target, .refusedOverwrite(.fileWhereFolderGoes))
            }
        case S_IFDIR:
            if kind == .file {
                throw TensorFileError(file: target, .refusedOverwrite(.folderWhereFileGoes))
            }
            if force, let refusal = strangerRefusal(in: target) {
                throw TensorFileError(file: target, .refusedOverwrite(refusal))
            }
        default:
            throw TensorFileError(file: target, .refusedOverwrite(.notRegular(FileKind(mode: status.st_mode))))
        }
        if !force {
            throw TensorFileError(file: target, .outputExists)
        }
    }

    /// Why the folder `folder` is not replaced: its first entry that is not
    /// a regular `.npy` file, or its listing failed; nil when it holds only such files.
    static func strangerRefusal(in folder: String) -> OverwriteRefusal? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return .folderUnlistable }
        for entry in entries.sorted() {
            var status = stat()
            let path = (folder as NSString).appendingPathComponent(entry)
            if !entry.hasSuffix(".npy") || lstat(path, &status) != 0 || status.st_mode & S_IFMT != S_IFREG { return .folderHoldsOther(entry) }
        }
        return nil
    }
}
