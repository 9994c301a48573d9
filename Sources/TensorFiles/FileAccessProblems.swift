#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// What a path is when it is not the regular file (or folder) expected,
/// from its `st_mode`.
public enum FileKind: Equatable, Sendable, CustomStringConvertible {
    case directory
    case fifo
    case socket
    case characterDevice
    case blockDevice
    case symbolicLink
    /// Another file type: `st_mode & S_IFMT`.
    case other(UInt32)

    /// The kind of `mode` (an `st_mode`; only its `S_IFMT` bits count).
    /// A regular file is `.other(S_IFREG)`: callers ask only about the rest.
    public init(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFDIR: self = .directory
        case S_IFIFO: self = .fifo
        case S_IFSOCK: self = .socket
        case S_IFCHR: self = .characterDevice
        case S_IFBLK: self = .blockDevice
        case S_IFLNK: self = .symbolicLink
        case let type: self = .other(UInt32(type))
        }
    }

    /// `a FIFO`, `a directory`, … (`file type 0o…` for others).
    public var description: String {
        switch self {
        case .directory: return "a directory"
        case .fifo: return "a FIFO"
        case .socket: return "a socket"
        case .characterDevice: return "a character device"
        case .blockDevice: return "a block device"
        case .symbolicLink: return "a symbolic link"
        case .other(let type): return "file type 0o\(String(type, radix: 8))"
        }
    }
}

/// The system call that failed when a path was read (`TensorFileError.Reason.unreadable`).
public enum ReadOperation: Equatable, Sendable {
    /// `open` of the path.
    case open
    /// `fstat` of the opened file.
    case status
    /// `mmap` of the file.
    case map
    /// Listing a folder (`opendir`, `readdir`).
    case list
}

/// A system error number's text (`strerror`).
func systemMessage(_ code: Int32) -> String {
    String(cString: strerror(code))
}
