import Foundation

/// Why an HDF5 file or dataset could not be read or written: a libhdf5 call
/// that failed (which one, and libhdf5's own account of why), rnnkit's own
/// checks, or how the child running libhdf5 ended. Each case carries the
/// values concerned; the text lives in `description`.
public enum HDF5Problem: Equatable, Sendable, CustomStringConvertible {
    /// A libhdf5 call failed; `object` names the group or dataset whose
    /// attributes were being read (the error names a dataset as its tensor).
    case library(HDF5LibraryFailure, object: String?)
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
    /// The child writing a file with libhdf5 did not finish normally
    /// (`stage` and `object` as for `childFailed`).
    case writerFailed(ChildOutcome, stage: String, object: String?)
    /// The child could not be started (`errno`); `writing` for the one that writes.
    case cannotStartChild(errno: Int32, writing: Bool)
    /// The child sent a record rnnkit cannot parse (it never does): the record.
    case malformedRecord(String)
    /// An `HDF5Writer` was used after it was closed.
    case writerClosed
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
    public enum ChildOutcome: Equatable, Sendable, CustomStringConvertible {
        /// Killed by `signal`.
        case crashed(signal: Int32)
        /// Killed after `seconds` (`RNNKIT_HDF5_TIMEOUT` sets the limit).
        case timedOut(seconds: Double)
        /// It described more than 64 MiB of objects.
        case tooMuchOutput
        /// It exited with `status`.
        case abnormalExit(status: Int32)

        /// `libhdf5 crashed (SIGSEGV)`, ….
        public var description: String {
            switch self {
            case .crashed(let signal): return "libhdf5 crashed (\(HDF5Isolation.signalName(signal)))"
            case .timedOut(let seconds):
                return "libhdf5 did not finish within \(Self.formatSeconds(seconds)) s (set RNNKIT_HDF5_TIMEOUT to allow longer)"
            case .tooMuchOutput: return "libhdf5 described more than 64 MiB of objects"
            case .abnormalExit(let status): return "libhdf5 failed abnormally (exit status \(status))"
            }
        }

        private static func formatSeconds(_ seconds: Double) -> String {
            seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.1f", seconds)
        }
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
        case .library(let failure, let object):
            return "\(failure.operation)\(object.map { " of '\($0)'" } ?? ""): \(failure.account)"
        case .childFailed(let outcome, let stage, let object, let attribute):
            var place = stage.isEmpty ? "" : " while \(stage)"
            if let attribute { place += " '\(attribute)' of '\(object ?? "")'" } else if let object { place += " '\(object)'" }
            return "the file is damaged: \(outcome)\(place)"
        case .writerFailed(let outcome, let stage, let object):
            return "cannot write: \(outcome)\(stage.isEmpty ? "" : " while \(stage)")\(object.map { " '\($0)'" } ?? "")"
        case .cannotStartChild(let code, let writing):
            return "cannot start the process that \(writing ? "writes" : "reads") HDF5 files: \(String(cString: strerror(code)))"
        case .malformedRecord(let record):
            return "malformed record from the libhdf5 process: \(record.prefix(200))"
        case .writerClosed:
            return "the writer is already closed"
        case .cannotMapData(let bytes, let code):
            return "cannot map \(bytes) bytes for the data: \(String(cString: strerror(code)))"
        }
    }
}

/// A libhdf5 call that failed in the child: which operation, and libhdf5's
/// own account of why (the outermost and the most specific entry of its
/// error stack: foreign text, kept as it is).
public struct HDF5LibraryFailure: Error, Equatable, Sendable {
    /// What rnnkit asked libhdf5 to do.
    public var operation: HDF5Operation
    /// libhdf5's error stack, in one line.
    public var account: String

    /// Creates a failure.
    public init(_ operation: HDF5Operation, account: String) {
        self.operation = operation
        self.account = account
    }
}

/// The libhdf5 operations the children carry out. The child names each by
/// a code (`Sources/HDF5Probe`, `probe_send_failure`) and the object or attribute it
/// concerns.
public enum HDF5Operation: Equatable, Sendable, CustomStringConvertible {
    case openFile
    case listObjects
    case openDataset
    case readType
    case readShape
    case readRank
    case readDimensions
    case readData
    case openObject
    case listAttributes
    case openAttribute(String)
    case readAttribute(String)
    case createFile
    case createGroup(String)
    case writeDataset(String)
    case writeAttribute(of: String)
    case finishFile

    /// The operation the child's `code` names, with `subject` (an attribute
    /// name, or the object written); nil for a code it never sends.
    init?(code: String, subject: String) {
        switch code {
        case "open-file": self = .openFile
        case "list-objects": self = .listObjects
        case "open-dataset": self = .openDataset
        case "read-type": self = .readType
        case "read-shape": self = .readShape
        case "read-rank": self = .readRank
        case "read-dimensions": self = .readDimensions
        case "read-data": self = .readData
        case "open-object": self = .openObject
        case "list-attributes": self = .listAttributes
        case "open-attribute": self = .openAttribute(subject)
        case "read-attribute": self = .readAttribute(subject)
        case "create-file": self = .createFile
        case "create-group": self = .createGroup(subject)
        case "write-dataset": self = .writeDataset(subject)
        case "write-attribute": self = .writeAttribute(of: subject)
        case "finish-file": self = .finishFile
        default: return nil
        }
    }

    /// `cannot open the dataset`, `cannot read attribute 'x'`, ….
    public var description: String {
        switch self {
        case .openFile: return "cannot open the file"
        case .listObjects: return "cannot list the objects in the file"
        case .openDataset: return "cannot open the dataset"
        case .readType: return "cannot read the dataset's type"
        case .readShape: return "cannot read the dataset's shape"
        case .readRank: return "cannot read the rank"
        case .readDimensions: return "cannot read the dimensions"
        case .readData: return "cannot read the data"
        case .openObject: return "cannot open the object"
        case .listAttributes: return "cannot list the attributes"
        case .openAttribute(let name): return "cannot open attribute '\(name)'"
        case .readAttribute(let name): return "cannot read attribute '\(name)'"
        case .createFile: return "cannot create the file"
        case .createGroup(let object): return "cannot create the group '\(object)'"
        case .writeDataset(let object): return "cannot write the dataset '\(object)'"
        case .writeAttribute(let object): return "cannot write an attribute of '\(object)'"
        case .finishFile: return "cannot finish the file"
        }
    }
}
