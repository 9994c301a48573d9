#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// fsync of finished outputs, and why a write failed when the disk is full
/// or the file-size limit was reached (`OutputProblem.write` words it).
enum Durability {
    /// fsyncs the file `path`, or every file in the folder `path` and the folder.
    static func syncTree(_ path: String, target: String) throws {
        var status = stat()
        if lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
                try sync((path as NSString).appendingPathComponent(entry), target: target)
            }
        }
        try sync(path, target: target)
    }

    /// fsyncs the folder `directory`, so that a rename in it is durable.
    static func syncFolder(_ directory: String, target: String) throws {
        try sync(directory.isEmpty ? "." : directory, target: target)
    }

    private static func sync(_ path: String, target: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw TensorFileError(file: target, .unwritable(.openToFlush(path: path, errno: errno)))
        }
        defer { close(descriptor) }
        // EINVAL: the file system cannot sync this kind of file (some folders); nothing to do.
        if fsync(descriptor) != 0, errno != EINVAL {
            throw TensorFileError(file: target, .unwritable(.write(errno: errno)))
        }
    }

    /// `ENOSPC` when the file system of `path` has no space left, `EFBIG`
    /// when `path` (a file, or a folder's largest file) reached the file-size
    /// limit; nil otherwise. Used after a write failed in a way that did not
    /// say why (a library's error, an HDF5 child).
    static func limitReached(writing path: String) -> Int32? {
        let folder = (path as NSString).deletingLastPathComponent
        var volume = statvfs()
        if statvfs(folder.isEmpty ? "." : folder, &volume) == 0, volume.f_bavail == 0 { return ENOSPC }
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else { return nil }
        var sizes: [UInt64] = []
        var status = stat()
        if lstat(path, &status) == 0 {
            sizes.append(UInt64(status.st_size))
            if status.st_mode & S_IFMT == S_IFDIR {
                for entry in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                where lstat((path as NSString).appendingPathComponent(entry), &status) == 0 {
                    sizes.append(UInt64(status.st_size))
                }
            }
        }
        return sizes.contains { $0 >= UInt64(limit.rlim_cur) } ? EFBIG : nil
    }
}
