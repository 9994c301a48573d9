#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Writes a new file piece by piece, so that large tensors are copied from
/// their storage (often a memory map) straight to disk. `AtomicOutput`
/// fsyncs the file before publishing it.
enum FileSink {
    /// Creates `path`, which must not exist yet, and passes `body` a function
    /// that appends bytes to it. `target` (the file the user asked for) names
    /// the file in errors, which say "disk full" or "file too large" when
    /// that is why a write failed.
    static func create(_ path: String, target: String, _ body: (_ append: (Data) throws -> Void) throws -> Void) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw TensorFileError(file: target, .invalid("cannot create a file in its folder: \(String(cString: strerror(errno)))"))
        }
        defer { close(descriptor) }
        try body { data in
            try data.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let written = write(descriptor, raw.baseAddress! + offset, min(raw.count - offset, 1 << 30))
                    if written < 0, errno == EINTR { continue }
                    guard written > 0 else {
                        throw TensorFileError(file: target, .unwritable(Durability.reason(written < 0 ? errno : ENOSPC)))
                    }
                    offset += written
                }
            }
        }
    }
}
