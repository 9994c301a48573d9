#if canImport(Glibc)
import Glibc
#endif
import FuzzDriver
import TensorFiles

/// One scratch file per fuzz process for readers that take a path, in tmpfs.
/// By default it is unlinked at once and reached as `/proc/self/fd/N`, so
/// nothing is left behind when the fuzzer stops. libhdf5 needs the file's
/// real path, so `named` keeps it as `/dev/shm/rnnkit-fuzz-PID-XXXXXX`,
/// removed at exit (a crash leaves it).
public enum ScratchFile {
    nonisolated(unsafe) private static var descriptor: Int32 = -1
    nonisolated(unsafe) private static var path = ""

    /// Replaces the scratch file's content with `count` bytes at `bytes` and
    /// returns a path that opens it.
    public static func holding(_ bytes: UnsafePointer<UInt8>, _ count: Int, named: Bool = false) -> String {
        if descriptor < 0 {
            let folder = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
            var template = Array("\(folder)/rnnkit-fuzz-\(getpid())-XXXXXX".utf8CString)
            descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            precondition(descriptor >= 0, "cannot create a scratch file")
            let created = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            if named {
                path = created
                atexit { _ = unlink(ScratchFile.path) }
            } else {
                unlink(created)
                path = "/proc/self/fd/\(descriptor)"
            }
        }
        precondition(ftruncate(descriptor, 0) == 0)
        var written = 0
        while written < count {
            let result = pwrite(descriptor, bytes + written, count - written, off_t(written))
            precondition(result > 0, "cannot write the scratch file")
            written += result
        }
        return path
    }
}

/// What every harness does with a file a reader accepted: read every tensor's
/// values, as `run` and `convert` would, so lazy loaders are fuzzed too.
public func touchEveryTensor(_ file: TensorFile) {
    for named in file.tensors {
        guard let loaded = try? named.tensor.loaded() else { continue }
        if loaded.dtype.isFloatingPoint { _ = try? loaded.floats() }
    }
}

/// Runs libFuzzer with the process's arguments, calling `target` with each
/// input, and exits with libFuzzer's status. Each target's main.swift calls it.
public func runFuzzer(_ target: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, target))
}

/// The body of a harness for a reader that takes a path: the input becomes
/// the scratch file, and every tensor of a file the reader accepts is read.
public func fuzzPathReader(_ start: UnsafePointer<UInt8>?, _ count: Int, _ read: (String) throws -> TensorFile) -> CInt {
    guard let bytes = start else { return 0 }
    if let file = try? read(ScratchFile.holding(bytes, count)) { touchEveryTensor(file) }
    return 0
}
