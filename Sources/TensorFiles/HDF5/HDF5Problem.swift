import Foundation

/// Why rnnkit refused an HDF5 file or dataset by its own checks, or how the
/// child reading it with libhdf5 ended. Each case carries the values
/// concerned; the text lives in `description`. (libhdf5's own error stack
/// stays text: `TensorFileError.Reason.hdf5`.)
public enum HDF5Problem: Equatable, Sendable, CustomStringConvertible {
    /// A chunked dataset whose chunks have `chunk` dimensions, not its own `dataset`.
    case chunkRank(chunk: Int, dataset: Int)
    /// Chunks larger than the dataset's fixed maximum dimensions.
    case chunksBeyondMaximum(chunks: [Int], maximum: [Int])
    /// A dataset of `shape` needing `needed` bytes in the file, with `stored`
    /// bytes stored that cannot hold them.
    case storage(shape: [Int], needed: Int, stored: Int, layout: StorageLayout)
    /// No group or dataset at this path.
    case noSuchObject(String)
    /// The child reading the file with libhdf5 did not finish normally.
    /// `stage` is what it was doing (`opening the dataset`); `attribute` and
    /// `object` name what it was reading when the error does not name a tensor.
    case childFailed(ChildOutcome, stage: String, object: String?, attribute: String?)
    /// The child could not be started (`errno`).
    case cannotStartChild(errno: Int32)
    /// Shared memory for `bytes` bytes of data could not be mapped (`errno`).
    case cannotMapData(bytes: Int, errno: Int32)

    /// How a dataset's stored bytes fail to hold its data.
    public enum StorageLayout: Equatable, Sendable {
        /// Compact or contiguous: exactly the data's bytes must be stored.
        case exact
        /// Contiguous with nothing stored, for a dataset over 1 MiB.
        case unallocated
        /// Chunked: at most 1032 × the stored bytes when `compressed`, else the stored bytes.
        case chunked(compressed: Bool)
    }

    /// How the libhdf5 child ended.
    public enum ChildOutcome: Equatable, Sendable {
        /// Killed by `signal`.
        case crashed(signal: Int32)
        /// Killed after `seconds` (`RNNKIT_HDF5_TIMEOUT` sets the limit).
        case timedOut(seconds: Double)
        /// It described more than 64 MiB of objects.
        case tooMuchOutput
        /// It exited with `status`.
        case abnormalExit(status: Int32)
    }

    /// The problem, without file or tensor.
    public var description: String {
        switch self {
        case .chunkRank(let chunk, let dataset):
            return "damaged dataset: \(chunk)-d chunks for a \(dataset)-d dataset"
        case .chunksBeyondMaximum(let chunks, let maximum):
            return "damaged dataset: chunks of \(chunks) for a dataset of at most \(maximum)"
        case .storage(let shape, let needed, let stored, let layout):
            let why = switch layout {
            case .exact: "\(stored) are stored"
            case .unallocated: "none are stored"
            case .chunked(let compressed): "only \(stored)\(compressed ? " compressed" : "") are stored"
            }
            return "\(shape) needs \(needed) bytes in the file but \(why)"
        case .noSuchObject(let object):
            return "cannot open '\(object)': no such group or dataset"
        case .childFailed(let outcome, let stage, let object, let attribute):
            let what = switch outcome {
            case .crashed(let signal): "libhdf5 crashed (\(HDF5Isolation.signalName(signal)))"
            case .timedOut(let seconds):
                "libhdf5 did not finish within \(Self.formatSeconds(seconds)) s (set RNNKIT_HDF5_TIMEOUT to allow longer)"
            case .tooMuchOutput: "libhdf5 described more than 64 MiB of objects"
            case .abnormalExit(let status): "libhdf5 failed abnormally (exit status \(status))"
            }
            var place = stage.isEmpty ? "" : " while \(stage)"
            if let attribute { place += " '\(attribute)' of '\(object ?? "")'" } else if let object { place += " '\(object)'" }
            return "the file is damaged: \(what)\(place)"
        case .cannotStartChild(let code):
            return "cannot start the process that reads HDF5 files: \(String(cString: strerror(code)))"
        case .cannotMapData(let bytes, let code):
            return "cannot map \(bytes) bytes for the data: \(String(cString: strerror(code)))"
        }
    }

    private static func formatSeconds(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.1f", seconds)
    }
}
