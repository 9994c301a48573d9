import OutputSafety

/// zlib's CRC-32 of the bytes a zip writer streams, computed beside the
/// writing by the CRC queue of Sources/OutputSafety (`rk_crc_queue`,
/// crc_queue.h) so that it costs no time on the writer's path: a piece is
/// queued in jobs that a helper thread takes while the writer writes it
/// (`append(_:to:)`), the writer taking what is left once its write returns;
/// a block read back is split the same way between the two threads
/// (`checksum(_:continuing:)`). zlib's `crc32_combine` joins the jobs.
/// Without a thread (none could be started, or `helperThread` false) the
/// writer computes every job itself; without memory for the queue it
/// computes the CRC inline. Results equal `rk_crc32` over the same bytes.
final class ChecksumHelper {
    /// Pieces smaller than this are checksummed inline: handing them over costs more than it saves.
    static let handOverBytes = 64 << 10

    /// Blocks smaller than this are checksummed by `checksum` inline: one job's worth.
    static let splitBytes = 256 << 10

    private let queue: OpaquePointer?

    init(helperThread: Bool = true) {
        queue = rk_crc_queue_start(helperThread ? 1 : 0)
    }

    deinit {
        rk_crc_queue_stop(queue)
    }

    /// Appends `piece` to `output` and returns `crc` continued over it; the
    /// CRC is computed by the helper during the write.
    func append(_ piece: UnsafeRawBufferPointer, to output: FileOutput, continuing crc: UInt32) throws -> UInt32 {
        guard let queue, piece.count >= Self.handOverBytes else {
            let next = rk_crc32(crc, piece.baseAddress, piece.count)
            try output.append(piece)
            return next
        }
        rk_crc_queue_add(queue, 0, piece.baseAddress, piece.count)
        // The helper reads the piece until the queue is drained: drain it even when the write fails.
        let written = Result { try output.append(piece) }
        let next = take(queue, piece, continuing: crc)
        try written.get()
        return next
    }

    /// `crc` continued over `bytes`, the helper taking part of them.
    func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32) -> UInt32 {
        guard let queue, bytes.count >= Self.splitBytes else { return rk_crc32(crc, bytes.baseAddress, bytes.count) }
        rk_crc_queue_add(queue, 0, bytes.baseAddress, bytes.count)
        return take(queue, bytes, continuing: crc)
    }

    /// Drains the queue (the caller computing what the helper has not
    /// taken) and returns `crc` continued over `bytes`, the queue's only
    /// piece; computed inline when the queue had no memory for its jobs.
    private func take(_ queue: OpaquePointer, _ bytes: UnsafeRawBufferPointer, continuing crc: UInt32) -> UInt32 {
        var next: UInt32 = 0
        guard rk_crc_queue_take(queue, crc, &next) == 0 else { return rk_crc32(crc, bytes.baseAddress, bytes.count) }
        return next
    }
}
