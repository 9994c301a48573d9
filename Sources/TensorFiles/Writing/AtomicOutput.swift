#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import OutputSafety

/// Writes an output file or folder so that a failure, a signal or a race
/// leaves either the previous file or nothing (docs/reliability.md,
/// "Outputs"):
///
/// - the content goes to a hidden temporary path beside the target,
///   registered so that SIGINT, SIGTERM and SIGHUP remove it;
/// - once complete it is fsynced, published, and the folder fsynced;
/// - publishing without `force` is an atomic no-replace rename: of two
///   concurrent writers the second gets "already exists"; with `force` it
///   renames over what `OutputTarget` allows to be replaced, nothing else.
///
/// A process killed outright (SIGKILL, power loss) cannot remove its
/// temporary file; the next write to the same target removes such stale
/// `.NAME.rnnkit-PID-….tmp` files whose process is gone.
public enum AtomicOutput {
    /// Checks that `target` may be written as `kind`: it is none of `inputs`
    /// and holds none of them (compared after resolving symlinks), its folder
    /// exists, and what is there already may be replaced (see
    /// `OutputTarget`): nothing at all without `force`.
    public static func checkWritable(_ target: String, inputs: [String], force: Bool, kind: OutputTarget.Kind = .file) throws {
        let resolvedTarget = resolved(target)
        for input in inputs {
            let resolvedInput = resolved(input)
            if resolvedInput == resolvedTarget {
                throw TensorFileError(file: target, .refusedOverwrite(.isInput))
            }
            if resolvedInput.hasPrefix(resolvedTarget.hasSuffix("/") ? resolvedTarget : resolvedTarget + "/") {
                throw TensorFileError(file: target, .refusedOverwrite(.holdsInput(input)))
            }
        }
        try OutputTarget.checkExisting(target, kind: kind, force: force)
        let directory = (resolvedTarget as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.isEmpty ? "." : directory, isDirectory: &isDirectory),
              isDirectory.boolValue
        else {
            throw TensorFileError(file: target, .unwritable(.noFolder(directory)))
        }
    }

    /// Writes `target` through `body`, which receives a temporary path in the
    /// same folder and must create a file (or a folder of files) there. On
    /// success the temporary path is fsynced and published as `target`
    /// (replacing a file or `.npy` folder only when `force`); on any error
    /// or signal it is removed.
    public static func write<T>(to target: String, force: Bool = false, _ body: (String) throws -> T) throws -> T {
        let url = URL(fileURLWithPath: target)
        let directory = url.deletingLastPathComponent().path
        let temporary = (directory as NSString).appendingPathComponent(
            ".\(url.lastPathComponent).rnnkit-\(getpid())-\(UInt32.random(in: 0 ... .max)).tmp")
        removeStaleTemporaries(of: url.lastPathComponent, in: directory)
        return try removingOnFailure(temporary, target: target) {
            let result = try body(temporary)
            try Durability.syncTree(temporary, target: target)
            try publish(temporary, as: target, force: force)
            try Durability.syncFolder(directory, target: target)
            return result
        }
    }

    /// Writes `data` to `target` atomically.
    public static func write(_ data: Data, to target: String, force: Bool = false) throws {
        try writeFile(to: target, force: force) { output in try output.append(data) }
    }

    /// Writes the file `target` atomically (as `write(to:force:_:)`),
    /// front to back through the `FileOutput` `body` receives, so that
    /// large contents are streamed instead of assembled in memory.
    public static func writeFile(to target: String, force: Bool = false, _ body: (FileOutput) throws -> Void) throws {
        try write(to: target, force: force) { temporary in
            try FileSink.create(temporary, target: target, body)
        }
    }

    /// Runs `body` with `temporary` registered for removal on SIGINT,
    /// SIGTERM and SIGHUP; removes it when `body` throws (with
    /// `OutputProblem.write`, "disk full" or "file too large", when that is
    /// why it failed) and rethrows.
    public static func removingOnFailure<T>(_ temporary: String, target: String, _ body: () throws -> T) throws -> T {
        let slot = temporary.withCString { rk_output_register($0) }
        defer { rk_output_unregister(slot) }
        do {
            return try body()
        } catch {
            let code = Durability.limitReached(writing: temporary)
            try? FileManager.default.removeItem(atPath: temporary)
            if let code { throw TensorFileError(file: target, .unwritable(.write(errno: code))) }
            throw error
        }
    }

    /// Publishes the finished `temporary` as `target`.
    private static func publish(_ temporary: String, as target: String, force: Bool) throws {
        var status = stat()
        let kind: OutputTarget.Kind = lstat(temporary, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR ? .npyFolder : .file
        if !force || lstat(target, &status) != 0 {
            if rk_rename_noreplace(temporary, target) == 0 { return }
            let failure = errno
            if failure == EEXIST { try OutputTarget.checkExisting(target, kind: kind, force: false) }
            guard failure == ENOTSUP else { throw renameError(target, failure) }
            // A folder on a file system without RENAME_NOREPLACE.
            try OutputTarget.checkExisting(target, kind: kind, force: false)
            guard rename(temporary, target) == 0 else { throw renameError(target, errno) }
            return
        }
        try OutputTarget.checkExisting(target, kind: kind, force: true)
        if kind == .file {
            guard rename(temporary, target) == 0 else { throw renameError(target, errno) }
            return
        }
        // An .npy folder: swap the two, then remove the old one's .npy files.
        if rk_rename_exchange(temporary, target) == 0 {
            removeNPYFolder(temporary)
            return
        }
        guard errno == EINVAL || errno == ENOSYS else { throw renameError(target, errno) }
        // No RENAME_EXCHANGE here: set the old folder aside (a killed rnnkit's
        // `….tmp.old` goes back by `removeStaleTemporaries`), then move the new one in.
        let aside = temporary + ".old"
        guard rename(target, aside) == 0 else { throw renameError(target, errno) }
        guard rk_rename_noreplace(temporary, target) == 0 || rename(temporary, target) == 0 else {
            let failure = errno
            _ = rename(aside, target)
            throw renameError(target, failure)
        }
        removeNPYFolder(aside)
    }

    /// Removes the regular `.npy` files of `folder`, then the folder if it is
    /// empty (anything else that appeared in it meanwhile stays).
    static func removeNPYFolder(_ folder: String) {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where entry.hasSuffix(".npy") {
            var status = stat()
            let path = (folder as NSString).appendingPathComponent(entry)
            if lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG { unlink(path) }
        }
        rmdir(folder)
    }

    private static func renameError(_ target: String, _ code: Int32) -> TensorFileError {
        if code == EEXIST {
            return TensorFileError(file: target, .outputExists)
        }
        return TensorFileError(file: target, .unwritable(.publish(errno: code)))
    }

    /// Removes the temporary files (and folders) earlier writes of `name`
    /// left in `directory` when their process was killed: those whose
    /// process id no longer runs. A live writer's files are left alone. An
    /// old folder output set aside (`….tmp.old`) by an earlier rnnkit killed
    /// before it could put the new one in place goes back to its name.
    static func removeStaleTemporaries(of name: String, in directory: String) {
        let folder = directory.isEmpty ? "." : directory
        let prefix = ".\(name).rnnkit-"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for entry in entries where entry.hasPrefix(prefix) && entry.contains(".tmp") {
            let fields = entry.dropFirst(prefix.count).split(separator: ".")[0].split(separator: "-")
            guard fields.count == 2, let pid = pid_t(fields[0]), pid > 0, pid != getpid() else { continue }
            guard kill(pid, 0) != 0, errno == ESRCH else { continue }
            let path = (folder as NSString).appendingPathComponent(entry)
            let target = (folder as NSString).appendingPathComponent(name)
            if entry.hasSuffix(".tmp.old"), !FileManager.default.fileExists(atPath: target), rename(path, target) == 0 { continue }
            var status = stat()
            guard lstat(path, &status) == 0 else { continue }
            if status.st_mode & S_IFMT == S_IFDIR { removeNPYFolder(path) } else { unlink(path) }
        }
    }

    private static func resolved(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
}
