#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A read-only memory map of a whole file.
///
/// Readers take headers from the map and hand out tensors whose data is a
/// zero-copy slice of it, so inspecting a multi-gigabyte file touches only the
/// pages its headers live on.
public final class MappedFile: @unchecked Sendable {
    /// The path as the user gave it (used in error messages).
    public let path: String
    /// Size of the file in bytes.
    public let count: Int
    /// Where the opened file really is (every symbolic link resolved), read
    /// from the open descriptor itself, so no later change of the path can
    /// alter it; nil where the system does not tell (no `/proc`).
    public let openedPath: String?
    private let base: UnsafeMutableRawPointer?
    /// The mapped file's device and inode, to recognise it when reopened.
    private let identity: FileIdentity
    /// The map's slot in `InputFaults`' registry (-1: none).
    private let faultSlot: Int32

    /// Maps `path` read-only. An empty file maps to an empty buffer.
    ///
    /// - Throws: `TensorFileError` when the path is missing, a directory, or
    ///   anything else that is not a regular file (FIFO, socket, device).
    public init(path: String) throws {
        self.path = path
        let descriptor = try Self.openRegularFile(path)
        defer { close(descriptor) }
        openedPath = RealPath.ofOpened(descriptor)
        var fileInfo = stat()
        guard fstat(descriptor, &fileInfo) == 0 else {
            throw TensorFileError(file: path, .unreadable(.status, errno: errno))
        }
        count = Int(fileInfo.st_size)
        identity = FileIdentity(fileInfo)
        if count == 0 {
            base = nil
            faultSlot = -1
            return
        }
        let address = mmap(nil, count, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let address, address != MAP_FAILED else {
            throw TensorFileError(file: path, .unreadable(.map, errno: errno))
        }
        base = address
        faultSlot = InputFaults.register(address, count: count, path: path)
    }

    /// Opens `path` for reading the way every reader must: non-blocking (a
    /// FIFO would otherwise block `open` until a writer comes), then `fstat`
    /// on the opened descriptor (no race with a swapped path), refusing
    /// anything that is not a regular file. Returns the descriptor, which
    /// the caller closes.
    ///
    /// - Throws: `TensorFileError` `.notFound`, `.wrongKind` ("is a
    ///   directory, expected a file" / "is not a regular file (a FIFO)"), or
    ///   `.unreadable` with the call and its `errno`.
    public static func openRegularFile(_ path: String) throws -> Int32 {
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { throw TensorFileError(file: path, .notFound) }
            throw TensorFileError(file: path, .unreadable(.open, errno: errno))
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let code = errno
            close(descriptor)
            throw TensorFileError(file: path, .unreadable(.status, errno: code))
        }
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFREG else {
            close(descriptor)
            throw TensorFileError(file: path, .wrongKind(FileKind(mode: kind)))
        }
        return descriptor
    }

    deinit {
        InputFaults.unregister(faultSlot)
        if let base { munmap(base, count) }
    }

    /// Opens the mapped file again for a library that reads by path
    /// (ZIPFoundation lists a zip's directory from a file it opens itself):
    /// opens `path` as `openRegularFile` does and checks that it is still the
    /// file that was mapped (same device and inode), so that a path removed or
    /// replaced since (a race, or another program) is never read in its place.
    /// Returns the descriptor, which the caller closes; `RealPath.naming(_:)`
    /// names it for such a library.
    ///
    /// - Throws: `TensorFileError` `.changedWhileReading` when the path is
    ///   gone or names another file now, else as `openRegularFile`.
    public func reopen() throws -> Int32 {
        let descriptor: Int32
        do {
            descriptor = try Self.openRegularFile(path)
        } catch let error as TensorFileError {
            switch error.reason {
            case .notFound, .wrongKind: throw TensorFileError(file: path, .changedWhileReading)
            default: throw error
            }
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let code = errno
            close(descriptor)
            throw TensorFileError(file: path, .unreadable(.status, errno: code))
        }
        guard FileIdentity(info) == identity else {
            close(descriptor)
            throw TensorFileError(file: path, .changedWhileReading)
        }
        return descriptor
    }

    /// The whole file.
    public var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base, count: count)
    }

    /// Bytes `offset ..< offset + length`, or a `.truncated` error naming the
    /// offset if the file is shorter.
    public func slice(_ offset: Int, _ length: Int, tensor: String? = nil) throws -> UnsafeRawBufferPointer {
        guard offset >= 0, length >= 0, offset <= count, length <= count - offset else {
            throw TensorFileError(
                file: path, tensor: tensor, offset: offset,
                .truncated(needed: length, available: max(0, count - max(0, offset))))
        }
        return UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset + length])
    }

    /// A zero-copy `Data` view of `offset ..< offset + length` that keeps the
    /// map alive while it exists.
    public func data(_ offset: Int, _ length: Int, tensor: String? = nil) throws -> Data {
        let region = try slice(offset, length, tensor: tensor)
        guard length > 0, let start = region.baseAddress else { return Data() }
        return Data(
            bytesNoCopy: UnsafeMutableRawPointer(mutating: start), count: length,
            deallocator: .custom { [self] _, _ in withExtendedLifetime(self) {} })
    }
}

/// A file's device and inode number: the same pair means the same file.
private struct FileIdentity: Equatable {
    let device: UInt64
    let inode: UInt64

    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}
