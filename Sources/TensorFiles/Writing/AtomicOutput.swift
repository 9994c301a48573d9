#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Writes an output file or directory so that a failure or an interruption
/// leaves either the previous file or nothing: the content goes to a hidden
/// temporary path beside the target, which is renamed over the target only
/// once it is complete.
///
/// A process killed outright (SIGKILL, power loss) cannot remove its
/// temporary file; the next write to the same target removes such stale
/// `.NAME.rnnkit-PID-….tmp` files whose process is gone.
public enum AtomicOutput {
    /// Checks that `target` may be written: it is none of `inputs` (compared
    /// after resolving symlinks) and, unless `force`, does not exist yet.
    public static func checkWritable(_ target: String, inputs: [String], force: Bool) throws {
        let resolvedTarget = resolved(target)
        for input in inputs where resolved(input) == resolvedTarget {
            throw TensorFileError(file: target, .refusedOverwrite("refusing to overwrite the input file"))
        }
        if !force, FileManager.default.fileExists(atPath: target) {
            throw TensorFileError(file: target, .refusedOverwrite("already exists (pass --force to overwrite)"))
        }
        let directory = (resolvedTarget as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.isEmpty ? "." : directory, isDirectory: &isDirectory),
              isDirectory.boolValue
        else {
            throw TensorFileError(file: target, .unwritable("the folder \(directory) does not exist"))
        }
    }

    /// Writes `target` through `body`, which receives a temporary path in the
    /// same folder and must create a file (or a directory) there. On success
    /// the temporary path is renamed to `target`; on any error it is removed
    /// and the error rethrown.
    public static func write<T>(to target: String, _ body: (String) throws -> T) throws -> T {
        let url = URL(fileURLWithPath: target)
        let directory = url.deletingLastPathComponent().path
        let temporary = (directory as NSString).appendingPathComponent(
            ".\(url.lastPathComponent).rnnkit-\(getpid())-\(UInt32.random(in: 0 ... .max)).tmp")
        removeStaleTemporaries(of: url.lastPathComponent, in: directory)
        do {
            let result = try body(temporary)
            try replace(target, with: temporary)
            return result
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }

    /// Writes `data` to `target` atomically.
    public static func write(_ data: Data, to target: String) throws {
        try write(to: target) { temporary in
            // Written in place: the temporary path is already the atomic step
            // (Foundation's own atomic writing would add a second, unnamed one).
            do {
                try data.write(to: URL(fileURLWithPath: temporary))
            } catch {
                throw TensorFileError(file: target, .unwritable("cannot write a file in its folder: \(error.localizedDescription)"))
            }
        }
    }

    private static func replace(_ target: String, with temporary: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory), isDirectory.boolValue {
            // rename(2) cannot replace a non-empty directory: move it aside first.
            let aside = temporary + ".old"
            guard rename(target, aside) == 0 else {
                throw TensorFileError(file: target, .unwritable("cannot replace: \(String(cString: strerror(errno)))"))
            }
            guard rename(temporary, target) == 0 else {
                let message = String(cString: strerror(errno))
                _ = rename(aside, target)
                throw TensorFileError(file: target, .unwritable("cannot replace: \(message)"))
            }
            try? FileManager.default.removeItem(atPath: aside)
            return
        }
        guard rename(temporary, target) == 0 else {
            throw TensorFileError(file: target, .unreadable("cannot rename the finished file into place: \(String(cString: strerror(errno)))"))
        }
    }

    /// Removes the temporary files (and directories) earlier writes of
    /// `name` left in `directory` when their process was killed: those whose
    /// process id no longer runs. A live writer's files are left alone. An
    /// old directory output set aside (`….tmp.old`) by a writer killed before
    /// it could put the new one in place goes back to its name.
    static func removeStaleTemporaries(of name: String, in directory: String) {
        let folder = directory.isEmpty ? "." : directory
        let prefix = ".\(name).rnnkit-"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for entry in entries where entry.hasPrefix(prefix) && (entry.hasSuffix(".tmp") || entry.hasSuffix(".tmp.old")) {
            let fields = entry.dropFirst(prefix.count).split(separator: "-")
            guard fields.count == 2, let pid = pid_t(fields[0]), pid > 0, pid != getpid() else { continue }
            guard kill(pid, 0) != 0, errno == ESRCH else { continue }
            let path = (folder as NSString).appendingPathComponent(entry)
            let target = (folder as NSString).appendingPathComponent(name)
            if entry.hasSuffix(".old"), !FileManager.default.fileExists(atPath: target), rename(path, target) == 0 { continue }
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    private static func resolved(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
}
