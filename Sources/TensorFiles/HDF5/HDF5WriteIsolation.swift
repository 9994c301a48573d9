import Foundation
import HDF5Probe

/// Keeps libhdf5 out of the rnnkit process when it writes a file, as
/// `HDF5Isolation` does for reads: libhdf5 1.10 has crashed (SIGSEGV) on a
/// full disk and at the file-size limit. `HDF5Writer` records its steps and
/// a forked child (`rk_hdf5_write` in Sources/HDF5Probe) carries them out,
/// reading the data from the memory it inherited; its failure becomes one
/// line naming the file and the reason ("disk full", "file too large").
extension HDF5Isolation {
    /// One step of writing an HDF5 file.
    enum WriteStep {
        /// Creates a group and its missing parents.
        case group(String)
        /// Creates a dataset (path, dtype, shape) holding the data.
        case dataset(String, DType, [Int], Data)
        /// Creates a dataset (path, dtype, shape) whose rows the filler
        /// produces in the child, a band at a time (`rk_write_op.fill`).
        case filledDataset(String, DType, [Int], RowFiller)
        /// A variable-length UTF-8 string attribute (object, name, value).
        case string(String, String, String)
        /// A fixed-length byte-string array attribute (object, name, values).
        case strings(String, String, [String])
    }

    /// Produces the rows of a dataset in the writing child: `fill(first,
    /// count, buffer)` writes rows `first ..< first + count` (along the first
    /// dimension, C order) into `buffer` and returns whether it could. It
    /// runs in the forked child: it must only compute from memory the
    /// parent set up (no locks, no files).
    final class RowFiller {
        let bandRows: Int
        let fill: (Int, Int, UnsafeMutableRawBufferPointer) -> Bool
        let rowBytes: Int

        init(rowBytes: Int, bandBytes: Int = 1 << 20, fill: @escaping (Int, Int, UnsafeMutableRawBufferPointer) -> Bool) {
            self.rowBytes = rowBytes
            self.bandRows = max(1, bandBytes / max(1, rowBytes))
            self.fill = fill
        }

        /// The C callback: `context` is an unretained `RowFiller`.
        static let callback: @convention(c) (UnsafeMutableRawPointer?, UInt64, UInt64, UnsafeMutableRawPointer?) -> Int32 = {
            context, first, count, buffer in
            guard let context, let buffer else { return 1 }
            let filler = Unmanaged<RowFiller>.fromOpaque(context).takeUnretainedValue()
            let bytes = UnsafeMutableRawBufferPointer(start: buffer, count: Int(count) * filler.rowBytes)
            return filler.fill(Int(first), Int(count), bytes) ? 0 : 1
        }
    }

    /// Seconds a writing child may take: 30 s plus 1 s for every 10 MB, or
    /// `RNNKIT_HDF5_TIMEOUT`.
    static func writeTimeLimit(bytes: Int) -> Double {
        if let text = ProcessInfo.processInfo.environment["RNNKIT_HDF5_TIMEOUT"], let seconds = Double(text), seconds > 0 {
            return seconds
        }
        return 30 + Double(bytes) / 10e6
    }

    /// Creates the HDF5 file `path` (which must not exist) holding `steps`,
    /// in a child, its HDF5 data after `userblock` bytes left to the caller
    /// (0, or a power of two ≥ 512); `target` names the file in errors.
    /// Call with the libhdf5 lock held. The caller removes `path` when this throws.
    /// Returns, with a user block, the CRC-32 of the file after it as the
    /// child computed it while writing (nil when it could not tell).
    @discardableResult
    static func write(
        _ steps: [WriteStep], to path: String, target: String, userblock: Int = 0
    ) throws -> StoredZipWriter.KnownChecksum? {
        var allocations: [UnsafeMutableRawPointer] = []
        defer { allocations.forEach { free($0) } }
        func text(_ value: String) -> UnsafePointer<CChar> {
            let copy = strdup(value)!
            allocations.append(copy)
            return UnsafePointer(copy)
        }
        func list<T>(_ values: [T]) -> UnsafePointer<T> {
            let buffer = malloc(max(1, values.count) * MemoryLayout<T>.stride)!
            allocations.append(buffer)
            let typed = buffer.bindMemory(to: T.self, capacity: max(1, values.count))
            for (index, value) in values.enumerated() { (typed + index).initialize(to: value) }
            return UnsafePointer(typed)
        }
        var ops: [rk_write_op] = []
        var blobs: [(op: Int, data: Data)] = []
        var fillers: [RowFiller] = []  // alive until the child is done
        var filled = 0
        for step in steps {
            var op = rk_write_op()
            switch step {
            case .group(let object):
                op.kind = RK_WRITE_GROUP
                op.object = text(object)
            case .dataset(let object, let dtype, let shape, let data):
                op.kind = RK_WRITE_DATASET
                op.object = text(object)
                op.type = memoryType(dtype)
                op.rank = Int32(shape.count)
                op.dims = list(shape.map { UInt64($0) })
                op.size = data.count
                blobs.append((ops.count, data))
            case .filledDataset(let object, let dtype, let shape, let filler):
                op.kind = RK_WRITE_DATASET
                op.object = text(object)
                op.type = memoryType(dtype)
                op.rank = Int32(shape.count)
                op.dims = list(shape.map { UInt64($0) })
                op.size = shape.reduce(1, *) * dtype.itemSize
                op.fill = RowFiller.callback
                op.fill_context = Unmanaged.passUnretained(filler).toOpaque()
                op.band_rows = UInt64(filler.bandRows)
                fillers.append(filler)
                filled += op.size
            case .string(let object, let name, let value):
                op.kind = RK_WRITE_STRING
                op.object = text(object)
                op.name = text(name)
                op.strings = list([Optional(text(value))])
                op.string_count = 1
            case .strings(let object, let name, let values):
                op.kind = RK_WRITE_STRINGS
                op.object = text(object)
                op.name = text(name)
                op.strings = list(values.map { Optional(text($0)) })
                op.string_count = values.count
            }
            ops.append(op)
        }
        let bytes = blobs.reduce(filled) { $0 + $1.data.count }
        let limit = writeTimeLimit(bytes: bytes)
        var result = rk_probe_result()
        defer { rk_probe_result_free(&result) }
        // Each dataset's bytes stay pinned while the child runs (nested
        // withUnsafeBytes, one level per dataset).
        func run(from index: Int) {
            guard index < blobs.count else {
                rk_hdf5_write(path, UInt64(userblock), ops, ops.count, limit, &result)
                return
            }
            blobs[index].data.withUnsafeBytes { raw in
                ops[blobs[index].op].data = raw.baseAddress
                run(from: index + 1)
            }
        }
        withExtendedLifetime(fillers) { run(from: 0) }
        return try writeVerdict(result, path: path, target: target, limit: limit)
    }

    /// The checksum the child sent (if any) when it wrote the whole file; else the error.
    private static func writeVerdict(
        _ result: rk_probe_result, path: String, target: String, limit: Double
    ) throws -> StoredZipWriter.KnownChecksum? {
        var checksum: StoredZipWriter.KnownChecksum?
        var result = result
        var failure: HDF5LibraryFailure?
        var malformed: String?
        var code: Int32 = 0
        if let records = result.records, result.records_size > 0 {
            let lines = String(decoding: UnsafeRawBufferPointer(start: records, count: result.records_size), as: UTF8.self)
            for line in lines.split(separator: "\n") {
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map { unescape($0) }
                if fields.first == "E", fields.count > 1 { code = Int32(fields[1]) ?? 0 }
                if fields.first == "C", fields.count == 3, let crc = UInt32(fields[1]), let bytes = UInt64(fields[2]) {
                    checksum = StoredZipWriter.KnownChecksum(crc: crc, bytes: bytes)
                }
                if fields.first == "F", failure == nil, malformed == nil {
                    failure = HDF5Description.libraryFailure(fields.dropFirst())
                    if failure == nil { malformed = String(line.prefix(200)) }
                }
            }
        }
        if result.outcome == RK_PROBE_OK, failure == nil, malformed == nil { return checksum }
        if code != 0 { throw TensorFileError(file: target, .unwritable(.write(errno: code))) }
        if let code = Durability.limitReached(writing: path) {
            throw TensorFileError(file: target, .unwritable(.write(errno: code)))
        }
        if let failure { throw TensorFileError(file: target, .hdf5(.library(failure, object: nil))) }
        if let malformed { throw TensorFileError(file: target, .hdf5(.malformedRecord(malformed))) }
        let stage = withUnsafeBytes(of: &result.stage) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let object = withUnsafeBytes(of: &result.object) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let outcome: HDF5Problem.ChildOutcome
        switch result.outcome {
        case RK_PROBE_SIGNAL: outcome = .crashed(signal: result.detail)
        case RK_PROBE_TIMEOUT: outcome = .timedOut(seconds: limit)
        case RK_PROBE_TOO_MUCH: outcome = .tooMuchOutput
        case RK_PROBE_NO_CHILD: throw TensorFileError(file: target, .hdf5(.cannotStartChild(errno: result.detail, writing: true)))
        default: outcome = .abnormalExit(status: result.detail)
        }
        throw TensorFileError(file: target, .hdf5(.writerFailed(outcome, stage: stage, object: object.isEmpty ? nil : object)))
    }

    /// A record field with its %XX escapes decoded.
    private static func unescape(_ field: Substring) -> String {
        var bytes: [UInt8] = []
        var index = field.utf8.startIndex
        let utf8 = field.utf8
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%"), let end = utf8.index(index, offsetBy: 3, limitedBy: utf8.endIndex),
               let value = UInt8(String(decoding: utf8[utf8.index(after: index) ..< end], as: UTF8.self), radix: 16) {
                bytes.append(value)
                index = end
            } else {
                bytes.append(byte)
                index = utf8.index(after: index)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
