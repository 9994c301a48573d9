#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HDF5Probe

/// Keeps libhdf5's own failures on damaged files out of the rnnkit process.
///
/// libhdf5 1.10 trusts much of a file's internal structure: some damaged
/// files make it abort, crash or loop forever inside a single call
/// (`H5Dopen2`, `H5Dread`, `H5Aread`), before rnnkit can check anything.
/// So before a file is read in-process, a forked child walks it the same way
/// (`Sources/HDF5Probe`): opens it, lists every object, opens every dataset,
/// reads the data of each one rnnkit would read and every string attribute.
/// Only when the child finishes is the file read here; when it dies or runs
/// out of time, the read is refused with a message that names the object the
/// child was working on. docs/reliability.md explains the design and its cost.
enum HDF5Isolation {
    /// Seconds the child may take: 10 s, plus 1 s for every 20 MB of file
    /// (reading and decompressing runs far faster than that). The environment
    /// variable `RNNKIT_HDF5_TIMEOUT` (seconds) replaces it.
    static func timeLimit(fileSize: Int) -> Double {
        if let text = ProcessInfo.processInfo.environment["RNNKIT_HDF5_TIMEOUT"],
           let seconds = Double(text), seconds > 0 {
            return seconds
        }
        return 10 + Double(fileSize) / 20e6
    }

    /// Walks the file at `path` in a child; throws when the child does not
    /// finish. `readData` false walks metadata and attributes only. Call with
    /// the libhdf5 lock held (the child must not inherit a busy libhdf5).
    static func check(path: String, size: Int, readData: Bool) throws {
        var result = rk_probe_result()
        rk_hdf5_probe(path, nil, 0, readData ? 1 : 0, timeLimit(fileSize: size), &result)
        try verdict(result, file: path, size: size)
    }

    /// Walks the in-memory HDF5 file `image` (named `path` in messages) in a
    /// child, as `check(path:size:readData:)`. Call with the lock held.
    static func check(image: Data, path: String) throws {
        var result = rk_probe_result()
        image.withUnsafeBytes { bytes in
            rk_hdf5_probe(path, bytes.baseAddress, bytes.count, 1, timeLimit(fileSize: bytes.count), &result)
        }
        try verdict(result, file: path, size: image.count)
    }

    /// Turns the child's outcome into nothing (it finished) or an error.
    private static func verdict(_ result: rk_probe_result, file: String, size: Int) throws {
        var result = result
        let stage = withUnsafeBytes(of: &result.stage) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let object = withUnsafeBytes(of: &result.object) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let attribute = withUnsafeBytes(of: &result.attribute) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let what: String
        switch result.outcome {
        case RK_PROBE_OK:
            return
        case RK_PROBE_SIGNAL:
            what = "libhdf5 crashed (\(signalName(result.detail)))"
        case RK_PROBE_TIMEOUT:
            what = "libhdf5 did not finish within \(formatSeconds(timeLimit(fileSize: size))) s (set RNNKIT_HDF5_TIMEOUT to allow longer)"
        case RK_PROBE_NO_CHILD:
            throw TensorFileError(file: file, .hdf5(
                "cannot start the process that checks HDF5 files first: \(String(cString: strerror(result.detail)))"))
        default:
            what = "libhdf5 failed abnormally (exit status \(result.detail))"
        }
        var place = stage.isEmpty ? "" : " while \(stage)"
        if !attribute.isEmpty { place += " '\(attribute)' of '\(object)'" }
        let datasetName = object.split(separator: "/").joined(separator: ".")
        let tensor = attribute.isEmpty && !datasetName.isEmpty && stage.contains("data") ? datasetName : nil
        if tensor == nil, attribute.isEmpty, !object.isEmpty { place += " '\(object)'" }
        throw TensorFileError(file: file, tensor: tensor, .hdf5("the file is damaged: \(what)\(place); nothing was read from it"))
    }

    private static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGSEGV: return "SIGSEGV"
        case SIGBUS: return "SIGBUS"
        case SIGABRT: return "SIGABRT"
        case SIGILL: return "SIGILL"
        case SIGFPE: return "SIGFPE"
        case SIGKILL: return "SIGKILL"
        default: return "signal \(signal)"
        }
    }

    private static func formatSeconds(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.1f", seconds)
    }
}
