#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an output could not be written: the step that failed, with the
/// `errno` the system gave (its text is made in `description` only).
public enum OutputProblem: Equatable, Sendable, CustomStringConvertible {
    /// Creating the (temporary) file in the output's folder failed.
    case createFile(errno: Int32)
    /// Creating the (temporary) folder of a folder of `.npy` files failed.
    case createFolder(errno: Int32)
    /// Writing failed: a `write` or `fsync`, or, found after a failure that
    /// did not say why, a full disk (`ENOSPC`) or the file-size limit (`EFBIG`).
    case write(errno: Int32)
    /// Reopening the file being written (the HDF5 child's) failed.
    case reopen(errno: Int32)
    /// The file being written is no longer a regular file.
    case replacedWhileWriting
    /// Reading back what was written failed.
    case readBack(errno: Int32)
    /// Reading back what was written found fewer bytes than were written.
    case readBackShort
    /// `lstat` of the output path failed (other than: nothing is there).
    case checkPath(errno: Int32)
    /// The output's folder does not exist.
    case noFolder(String)
    /// Opening `path` (the output or its folder) to fsync it failed.
    case openToFlush(path: String, errno: Int32)
    /// Renaming the finished output into place failed.
    case publish(errno: Int32)
    /// The file a zip archive is wrapped around (`size` bytes) is shorter
    /// than the `reserved` bytes left for the archive's headers.
    case shorterThanReserved(size: UInt64, reserved: Int)
    /// The archive's headers do not fit the reserved start of the file.
    case headersBeyondReserved(reserved: Int)
    /// The zip library could not create an archive: its own message.
    case zipCreate(String)
    /// The zip library could not add a member: its own message.
    case zipAdd(String)

    /// The problem, without the file.
    public var description: String {
        switch self {
        case .createFile(let code): return "cannot create a file in its folder: \(systemMessage(code))"
        case .createFolder(let code): return "cannot create the directory: \(systemMessage(code))"
        case .write(let code): return "cannot write: \(Self.writeFailure(code))"
        case .reopen(let code): return "cannot reopen the file being written: \(systemMessage(code))"
        case .replacedWhileWriting: return "the file being written is no longer a regular file"
        case .readBack(let code): return "cannot read back the file being written: \(systemMessage(code))"
        case .readBackShort: return "cannot read back the file being written: it is shorter than written"
        case .checkPath(let code): return "cannot check the output path: \(systemMessage(code))"
        case .noFolder(let folder): return "cannot write: the folder \(folder) does not exist"
        case .openToFlush(let path, let code): return "cannot open \(path) to flush it to disk: \(systemMessage(code))"
        case .publish(let code): return "cannot move the finished output into place: \(systemMessage(code))"
        case .shorterThanReserved(let size, let reserved):
            return "the file being written (\(size) bytes) is shorter than its reserved start (\(reserved) bytes)"
        case .headersBeyondReserved(let reserved):
            return "the archive's headers do not fit the reserved start (\(reserved) bytes)"
        case .zipCreate(let message): return "zip archive: cannot create the archive (\(message))"
        case .zipAdd(let message): return "zip archive: cannot add the member (\(message))"
        }
    }

    /// A failed write's `errno` in words: the plain reason for a full disk,
    /// the file-size limit and a quota, else the system's text.
    private static func writeFailure(_ code: Int32) -> String {
        switch code {
        case ENOSPC: return "disk full"
        case EFBIG: return "file too large (the file-size limit, ulimit -f, was reached)"
        case EDQUOT: return "disk quota exceeded"
        default: return systemMessage(code)
        }
    }
}

/// Why something standing at an output path is not replaced (see
/// `OutputTarget`): with or without permission to overwrite.
public enum OverwriteRefusal: Equatable, Sendable, CustomStringConvertible {
    /// The output is one of the inputs.
    case isInput
    /// The output is a folder holding the input `input`.
    case holdsInput(String)
    /// A symbolic link (to `destination`, when it can be read).
    case symbolicLink(to: String?)
    /// A file where a folder of `.npy` files goes.
    case fileWhereFolderGoes
    /// A folder where a file goes.
    case folderWhereFileGoes
    /// A folder holding `entry`, which is not a regular `.npy` file.
    case folderHoldsOther(String)
    /// A folder whose entries cannot be listed.
    case folderUnlistable
    /// Neither a regular file nor a folder (a FIFO, a socket, a device).
    case notRegular(FileKind)

    /// The refusal, without the file.
    public var description: String {
        switch self {
        case .isInput: return "refusing to overwrite the input file"
        case .holdsInput(let input): return "holds the input \(input); refusing to replace it"
        case .symbolicLink(let destination):
            return "is a symbolic link\(destination.map { " (to \($0))" } ?? ""); "
                + "rnnkit neither writes through nor replaces a link: name the file itself"
        case .fileWhereFolderGoes:
            return "is a file; the output is a folder of .npy files, and overwriting does not replace a file with a folder"
        case .folderWhereFileGoes: return "is a folder; the output is a file, and overwriting does not replace a folder"
        case .folderHoldsOther(let entry):
            return "holds '\(entry)', which is not a .npy file; overwriting replaces only a folder of .npy files"
        case .folderUnlistable: return "its entries cannot be listed; overwriting replaces only a folder of .npy files"
        case .notRegular(let kind):
            return "is not a regular file (\(kind)); rnnkit writes only regular files and replaces nothing else"
        }
    }
}
