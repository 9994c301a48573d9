#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import OutputSafety

/// Writes a new file piece by piece, so that large tensors go from their
/// storage (often a memory map) straight to disk. `AtomicOutput` fsyncs the
/// file before publishing it.
enum FileSink {
    /// Creates `path`, which must not exist yet, and passes `body` the
    /// `FileOutput` that appends to it. `target` (the file the user asked
    /// for) names the file in errors, which say "disk full" or "file too
    /// large" when that is why a write failed.
    static func create<T>(_ path: String, target: String, _ body: (FileOutput) throws -> T) throws -> T {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw TensorFileError(file: target, .unwritable(.createFile(errno: errno)))
        }
        let output = FileOutput(descriptor: descriptor, target: target)
        defer {
            output.waitForDataSync()  // never an fdatasync of a closed (or reused) descriptor
            close(descriptor)
        }
        let value = try body(output)
        try output.finishDataSync()
        return value
    }

    /// Opens the existing file `path` (one this writer created, e.g. the
    /// HDF5 child's) for `body` to add to: its `FileOutput` starts at the
    /// end of the file, and `overwrite` changes what is there.
    static func reopen(_ path: String, target: String, _ body: (FileOutput) throws -> Void) throws {
        let descriptor = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else {
            throw TensorFileError(file: target, .unwritable(.reopen(errno: errno)))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            throw TensorFileError(file: target, .unwritable(.replacedWhileWriting))
        }
        let output = FileOutput(descriptor: descriptor, target: target)
        output.position = UInt64(status.st_size)
        output.writebackStart = output.position
        try body(output)
    }
}

/// A new file being written front to back (see `FileSink.create` and
/// `AtomicOutput.writeFile`).
public final class FileOutput {
    private let descriptor: Int32
    private let target: String
    /// Bytes written so far (the offset of the next one).
    public fileprivate(set) var position: UInt64 = 0
    /// The end of the bytes whose writing to disk was started (`rk_start_writeback`).
    fileprivate var writebackStart: UInt64 = 0
    /// Writeback is started every this many bytes appended: the disk then
    /// writes while the writer computes and reads, instead of all at the
    /// final fsync (the kernel alone starts only past its dirty threshold,
    /// often gigabytes).
    static let writebackBytes: UInt64 = 16 << 20

    fileprivate init(descriptor: Int32, target: String) {
        self.descriptor = descriptor
        self.target = target
    }

    /// Appends `data`.
    public func append(_ data: Data) throws {
        try data.withUnsafeBytes { try append($0) }
    }

    /// Appends `bytes`.
    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        try put(bytes, at: off_t(position))
        position += UInt64(bytes.count)
        if position >= writebackStart + Self.writebackBytes {
            rk_start_writeback(descriptor, writebackStart, position - writebackStart)
            writebackStart = position
        }
    }

    /// Starts writing to disk what was appended since the last start, for a
    /// writer that appends slowly, piece by piece as they are computed; and
    /// every `dataSyncBytes`, an fdatasync on a thread of its own
    /// (`DataSync`): on a VM's disk the final fsync otherwise waits for the
    /// host to flush every byte of the file (145 ms for 128 MiB, written back
    /// beforehand or not; 8.5 ms after fdatasyncs every 16 MiB, Zen 1).
    func startWriteback() {
        guard position > writebackStart else { return }
        rk_start_writeback(descriptor, writebackStart, position - writebackStart)
        writebackStart = position
        if position >= syncRequested + Self.dataSyncBytes {
            if dataSync == nil { dataSync = DataSync(descriptor: descriptor, sync: Self.dataSyncOverride ?? { fdatasync($0) }) }
            dataSync?.request()
            syncRequested = position
        }
    }

    /// fdatasyncs requested by `startWriteback` every this many bytes.
    static let dataSyncBytes: UInt64 = 4 << 20
    /// What the files created inside `withValue` call instead of `fdatasync`
    /// (tests: a disk that fails); it sets `errno` and returns -1 to fail.
    @TaskLocal static var dataSyncOverride: (@Sendable (Int32) -> Int32)?
    private var dataSync: DataSync?
    private var syncRequested: UInt64 = 0

    /// Waits for an fdatasync in flight.
    fileprivate func waitForDataSync() {
        _ = dataSync?.wait()
    }

    /// Waits for an fdatasync in flight; throws the error of any that
    /// failed (the kernel reports a writeback error once per open file, so
    /// the final fsync would not see it again).
    fileprivate func finishDataSync() throws {
        if let dataSync, let error = dataSync.wait() {
            throw TensorFileError(file: target, .unwritable(.write(errno: error)))
        }
    }

    /// Reads `count` bytes at `offset` (of what was written) into `buffer`.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws {
        var done = 0
        while done < buffer.count {
            let got = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if got < 0, errno == EINTR { continue }
            guard got > 0 else {
                throw TensorFileError(file: target, .unwritable(got < 0 ? .readBack(errno: errno) : .readBackShort))
            }
            done += got
        }
    }

    /// Passes `body` the bytes `offset ..< end` of what was written, in
    /// order, in windows of at most `window` bytes: mapped read-only from the
    /// page cache (populated in one call, nothing copied), or, when the file
    /// cannot be mapped, read into a buffer.
    func forEachWrittenWindow(from offset: UInt64, to end: UInt64, window: Int = 16 << 20, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let page = UInt64(max(4096, Int(sysconf(Int32(_SC_PAGESIZE)))))
        var start = offset
        var buffer: [UInt8] = []
        while start < end {
            let count = Int(min(UInt64(window), end - start))
            let mapStart = start / page * page
            let skip = Int(start - mapStart)
            if let mapped = mmap(nil, skip + count, PROT_READ, MAP_SHARED | MAP_POPULATE, descriptor, off_t(mapStart)), mapped != MAP_FAILED {
                defer { munmap(mapped, skip + count) }
                try body(UnsafeRawBufferPointer(start: mapped + skip, count: count))
            } else {
                if buffer.count < count { buffer = [UInt8](repeating: 0, count: count) }
                try buffer.withUnsafeMutableBytes { raw in
                    let piece = UnsafeMutableRawBufferPointer(rebasing: raw[0 ..< count])
                    try read(into: piece, at: start)
                    try body(UnsafeRawBufferPointer(piece))
                }
            }
            start += UInt64(count)
        }
    }

    /// Appends `tensor`'s bytes piece by piece (`Tensor.forEachPiece`);
    /// `each` sees every piece first (to compute a checksum).
    public func append(_ tensor: Tensor, each: (UnsafeRawBufferPointer) -> Void = { _ in }) throws {
        try tensor.forEachPiece { piece in
            each(piece)
            try append(piece)
        }
    }

    /// Overwrites already written bytes at `offset` (a header field known
    /// only after its content was written); the position does not move.
    public func overwrite(_ data: Data, at offset: UInt64) throws {
        precondition(offset + UInt64(data.count) <= position, "overwrites only what is there")
        try data.withUnsafeBytes { try put($0, at: off_t(offset)) }
    }

    /// The most bytes one pwrite carries. On Linux 6.x ext4 gives larger
    /// writes larger page-cache folios, 2 MiB ones from 2 MiB on; in VMs
    /// whose host takes back free guest memory (free page reporting) those
    /// come back from the host on first touch: 512 MiB written in 2 MiB or
    /// 12 MiB pieces took 0.5–0.95 s of system time against 0.17–0.21 s in
    /// 1 MiB pieces on Zen 1 (docs/performance.md).
    static let pieceBytes = 1 << 20

    /// Writes `raw` at `start` in pieces of at most `pieceBytes`, each
    /// prefaulted first (`rk_prefault`): written straight from a memory map
    /// whose pages are not mapped yet, write(2) copies short at every
    /// unmapped page and ext4 zeroes the rest of the new folio each time.
    private func put(_ raw: UnsafeRawBufferPointer, at start: off_t) throws {
        var offset = 0
        while offset < raw.count {
            let count = min(raw.count - offset, Self.pieceBytes)
            rk_prefault(raw.baseAddress! + offset, count)
            let written = pwrite(descriptor, raw.baseAddress! + offset, count, start + off_t(offset))
            if written < 0, errno == EINTR { continue }
            guard written > 0 else {
                throw TensorFileError(file: target, .unwritable(.write(errno: written < 0 ? errno : ENOSPC)))
            }
            offset += written
        }
    }
}

/// fdatasyncs of a file being written, one at a time on a thread of their
/// own; a request while one runs is dropped (the next covers it).
private final class DataSync: @unchecked Sendable {
    private let descriptor: Int32
    private let sync: @Sendable (Int32) -> Int32
    private let queue = DispatchQueue(label: "rnnkit.datasync")
    private let lock = NSLock()
    private var running = false
    private var failure: Int32?

    /// Syncs `descriptor` with `sync` (`fdatasync`).
    init(descriptor: Int32, sync: @escaping @Sendable (Int32) -> Int32) {
        self.descriptor = descriptor
        self.sync = sync
    }

    func request() {
        lock.lock()
        defer { lock.unlock() }
        guard !running else { return }
        running = true
        queue.async { [self] in
            let failed = sync(descriptor) != 0 && errno != EINVAL
            let error = errno
            lock.lock()
            running = false
            if failed, failure == nil { failure = error }
            lock.unlock()
        }
    }

    /// Waits for the one in flight; the errno of the first that failed.
    func wait() -> Int32? {
        queue.sync {}
        lock.lock()
        defer { lock.unlock() }
        return failure
    }
}
