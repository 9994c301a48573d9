import Foundation
import OutputSafety

/// What a read of a mapped input does when its file has shrunk since it was
/// mapped.
///
/// Readers hand out zero-copy views of a file's memory map (`MappedFile`).
/// When another program truncates the file meanwhile (rewriting it in place,
/// as `torch.save` does to an existing path), a read of a page the file no
/// longer has raises SIGBUS, which would end the process with a crash. A
/// library cannot turn that signal into a thrown error; a command-line tool
/// can end cleanly instead: `exitWithMessage` installs a handler that prints
/// one line naming the file, removes every temporary output still registered
/// (`AtomicOutput`), and exits with code 2. Without it, the default (or
/// whatever handler the process installed) applies.
public enum InputFaults {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var format: (@Sendable (String) -> String)?

    /// From now on, a read of a mapped page that its file no longer has ends
    /// the process with exit code 2 and `line(description)` on standard
    /// error, `description` being the `TensorFileError` (`.shrankWhileReading`)
    /// naming the file. Applies to files mapped after the call; a SIGBUS of
    /// any other cause goes to the handler installed before.
    public static func exitWithMessage(_ line: @escaping @Sendable (String) -> String) {
        lock.withLock { format = line }
        rk_input_faults_install()
    }

    /// Registers a map of `path` for the handler; the slot to unregister, or -1.
    static func register(_ base: UnsafeMutableRawPointer, count: Int, path: String) -> Int32 {
        let description = TensorFileError(file: path, .shrankWhileReading).description
        let formatted = lock.withLock { format }.map { $0(description) } ?? description
        let line = formatted + "\n"
        return rk_input_map_register(base, count, line)
    }

    /// Forgets a map before it is unmapped.
    static func unregister(_ slot: Int32) {
        rk_input_map_unregister(slot)
    }
}
