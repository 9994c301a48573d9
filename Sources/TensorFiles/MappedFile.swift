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
    public init(path: String) throws {
        self.path = path
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { throw TensorFileError(file: path, .notFound) }
            throw TensorFileError(file: path, .unreadable(String(cString: strerror(errno))))
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw TensorFileError(file: path, .wrongKind("is a directory, expected a file"))
        }
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw TensorFileError(file: path, .unreadable(String(cString: strerror(errno))))
        }
        defer { close(descriptor) }
        var fileInfo = stat()
        guard fstat(descriptor, &fileInfo) == 0 else {
            throw TensorFileError(file: path, .unreadable(String(cString: strerror(errno))))
        }
        count = Int(fileInfo.st_size)
        if count == 0 {
            base = nil
            return
        }
        let address = mmap(nil, count, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let address, address != MAP_FAILED else {
            throw TensorFileError(file: path, .unreadable("mmap failed: \(String(cString: strerror(errno)))"))
        }
        base = address
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
