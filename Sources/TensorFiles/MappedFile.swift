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
    private let base: UnsafeMutableRawPointer?

    /// Maps `path` read-only. An empty file maps to an empty buffer.
    ///
    /// - Throws: `TensorFileError` when the path is missing, a directory, or
    ///   anything else that is not a regular file (FIFO, socket, device).
    public init(path: String) throws {
        self.path = path
        let descriptor = try Self.openRegularFile(path)
        defer { close(descriptor) }
        var fileInfo = stat()
        guard fstat(descriptor, &fileInfo) == 0 else {
            throw TensorFileError(file: path, .unreadable(.status, errno: errno))
        }
        count = Int(fileInfo.st_size)
        if count == 0 {
            base = nil
            return
        }
        let address = mmap(nil, count, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let address, address != MAP_FAILED else {
            throw TensorFileError(file: path, .unreadable(.map, errno: errno))
        }
        base = address
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
        if let base { munmap(base, count) }
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
