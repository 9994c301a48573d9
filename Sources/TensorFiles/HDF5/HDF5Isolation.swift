#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HDF5Probe

/// Keeps libhdf5 out of the rnnkit process when it reads a file.
///
/// libhdf5 1.10 trusts much of a file's internal structure: some damaged
/// files make it abort, crash, corrupt its heap or loop forever inside a
/// single call (`H5Ovisit`, `H5Dopen2`, `H5Dread`, `H5Aread`), before rnnkit
/// can check anything. So libhdf5 reads files only in forked children
/// (`Sources/HDF5Probe`): one describes the file (`describe`), one per
/// dataset reads its data straight into shared memory (`readData`). When a
/// child dies or runs out of time, the read is refused with a message naming
/// the object it was working on. docs/reliability.md explains the design and
/// its cost.
enum HDF5Isolation {
    /// Seconds a child may take: 10 s, plus 1 s for every 20 MB it reads
    /// (reading and decompressing run far faster than that). The environment
    /// variable `RNNKIT_HDF5_TIMEOUT` (seconds) replaces it.
    static func timeLimit(bytes: Int) -> Double {
        if let text = ProcessInfo.processInfo.environment["RNNKIT_HDF5_TIMEOUT"],
           let seconds = Double(text), seconds > 0 {
            return seconds
        }
        return 10 + Double(bytes) / 20e6
    }

    /// The description of `source` made by a child; throws when the child
    /// does not finish or sends something unreadable. Call with the libhdf5
    /// lock held (the child must not inherit a busy libhdf5).
    static func describe(_ source: HDF5Source) throws -> HDF5Description {
        var result = rk_probe_result()
        let start = DispatchTime.now()
        let limit = timeLimit(bytes: source.size)
        if let image = source.image {
            image.withUnsafeBytes { rk_hdf5_describe(source.libraryPath, $0.baseAddress, $0.count, limit, &result) }
        } else {
            rk_hdf5_describe(source.libraryPath, nil, 0, limit, &result)
        }
        defer { rk_probe_result_free(&result) }
        trace("description of \(source.path)", since: start)
        try verdict(result, file: source.path, limit: limit)
        do {
            return try HDF5Description(records: records(of: result))
        } catch let malformed as HDF5Description.MalformedRecord {
            throw TensorFileError(file: source.path, .hdf5(.malformedRecord(malformed.record)))
        }
    }

    /// The data of `dataset` (`name` in messages) read by a child as `dtype`
    /// into `bytes` bytes of shared memory, which become the returned `Data`
    /// without a copy. Call with the lock held.
    static func readData(of dataset: HDF5Description.Dataset, in source: HDF5Source, name: String, dtype: DType, bytes: Int) throws -> Data {
        guard bytes > 0 else { return Data() }
        guard let buffer = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0),
              buffer != MAP_FAILED else {
            throw TensorFileError(file: source.path, tensor: name, .hdf5(.cannotMapData(bytes: bytes, errno: errno)))
        }
        var result = rk_probe_result()
        defer { rk_probe_result_free(&result) }
        let limit = timeLimit(bytes: max(bytes, source.size))
        let start = DispatchTime.now()
        // Keras's bfloat16 (opaque data) is copied as stored; libhdf5 converts the rest.
        let memory = dataset.typeClass == "opaque" && dtype == .bfloat16 ? RK_MEMORY_BFLOAT16_OPAQUE : memoryType(dtype)
        if let image = source.image {
            image.withUnsafeBytes {
                rk_hdf5_read(source.libraryPath, $0.baseAddress, $0.count, dataset.path, memory, buffer, bytes, limit, &result)
            }
        } else {
            rk_hdf5_read(source.libraryPath, nil, 0, dataset.path, memory, buffer, bytes, limit, &result)
        }
        trace("read of '\(name)' in \(source.path)", since: start)
        do {
            try verdict(result, file: source.path, limit: limit)
            if let failure = try HDF5Description(records: records(of: result)).failure {
                throw TensorFileError(file: source.path, tensor: name, .hdf5(.library(failure, object: nil)))
            }
        } catch {
            munmap(buffer, bytes)
            // The described file is gone from the disk (replaced or removed
            // since): libhdf5 cannot open it again, and nothing else is read.
            if source.isRemoved { throw TensorFileError(file: source.path, tensor: name, .changedWhileReading) }
            if let malformed = error as? HDF5Description.MalformedRecord {
                throw TensorFileError(file: source.path, tensor: name, .hdf5(.malformedRecord(malformed.record)))
            }
            throw error
        }
        return Data(bytesNoCopy: buffer, count: bytes, deallocator: .custom { pointer, count in munmap(pointer, count) })
    }

    /// The records of a finished child as text.
    private static func records(of result: rk_probe_result) -> String {
        guard let records = result.records, result.records_size > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: records, count: result.records_size), as: UTF8.self)
    }

    static func memoryType(_ dtype: DType) -> rk_memory_type {
        switch dtype {
        case .float16: return RK_MEMORY_FLOAT16
        case .bfloat16: return RK_MEMORY_BFLOAT16
        case .bool: return RK_MEMORY_BOOL
        case .float32: return RK_MEMORY_FLOAT32
        case .float64: return RK_MEMORY_FLOAT64
        case .int8: return RK_MEMORY_INT8
        case .uint8: return RK_MEMORY_UINT8
        case .int16: return RK_MEMORY_INT16
        case .int32: return RK_MEMORY_INT32
        case .int64: return RK_MEMORY_INT64
        }
    }

    /// With `RNNKIT_HDF5_TRACE=1`, prints how long a child took to stderr
    /// (scripts/bench_hdf5_children.sh measures the cost with it).
    private static func trace(_ what: String, since start: DispatchTime) {
        guard ProcessInfo.processInfo.environment["RNNKIT_HDF5_TRACE"] == "1" else { return }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        FileHandle.standardError.write(Data("rnnkit: HDF5 child \(what): \(String(format: "%.4f", seconds)) s\n".utf8))
    }

    /// A NUL-terminated C string field of the result.
    private static func field<T>(_ tuple: inout T) -> String {
        withUnsafeBytes(of: &tuple) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// Turns the child's outcome into nothing (it finished) or an error.
    private static func verdict(_ result: rk_probe_result, file: String, limit: Double) throws {
        var result = result
        let stage = field(&result.stage)
        let object = field(&result.object)
        let attribute = field(&result.attribute)
        let outcome: HDF5Problem.ChildOutcome
        switch result.outcome {
        case RK_PROBE_OK:
            return
        case RK_PROBE_SIGNAL:
            outcome = .crashed(signal: result.detail)
        case RK_PROBE_TIMEOUT:
            outcome = .timedOut(seconds: limit)
        case RK_PROBE_TOO_MUCH:
            outcome = .tooMuchOutput
        case RK_PROBE_NO_CHILD:
            throw TensorFileError(file: file, .hdf5(.cannotStartChild(errno: result.detail, writing: false)))
        default:
            outcome = .abnormalExit(status: result.detail)
        }
        let datasetName = ModulePath(components: object.split(separator: "/")).prefix
        let tensor = attribute.isEmpty && !datasetName.isEmpty && stage.contains("data") ? datasetName : nil
        let shown = attribute.isEmpty ? (tensor == nil && !object.isEmpty ? object : nil) : object
        throw TensorFileError(file: file, tensor: tensor, .hdf5(
            .childFailed(outcome, stage: stage, object: shown, attribute: attribute.isEmpty ? nil : attribute)))
    }

    static func signalName(_ signal: Int32) -> String {
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

}
