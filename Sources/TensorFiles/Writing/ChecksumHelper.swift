import OutputSafety

/// zlib's CRC-32 of the bytes a zip writer streams, computed on a second
/// thread (`rk_crc_helper` in Sources/OutputSafety) so that it costs no time
/// on the writer's path: the helper checksums a piece while the writer
/// writes it (`append(_:to:)`), or half a block while the writer checksums
/// the other half (`checksum(_:continuing:)`); zlib's `crc32_combine` joins
/// the parts. Without a thread (none could be started) the writer computes
/// every CRC itself. Results equal `rk_crc32` over the same bytes.
final class ChecksumHelper {
    /// Pieces smaller than this are checksummed inline: handing them over costs more than it saves.
    static let handOverBytes = 64 << 10

    private let helper: OpaquePointer?

    init() {
        helper = rk_crc_helper_start()
    }

    deinit {
        rk_crc_helper_stop(helper)
    }

    /// Appends `piece` to `output` and returns `crc` continued over it; the
    /// CRC is computed by the helper during the write.
    func append(_ piece: UnsafeRawBufferPointer, to output: FileOutput, continuing crc: UInt32) throws -> UInt32 {
        guard let helper, piece.count >= Self.handOverBytes else {
            let next = rk_crc32(crc, piece.baseAddress, piece.count)
            try output.append(piece)
            return next
        }
        rk_crc_helper_begin(helper, piece.baseAddress, piece.count)
        // The helper reads the piece until `end` returns: wait for it even when the write fails.
        let written = Result { try output.append(piece) }
        let pieceCRC = rk_crc_helper_end(helper)
        try written.get()
        return rk_crc32_combine(crc, pieceCRC, UInt64(piece.count))
    }

    /// `crc` continued over `bytes`, the helper taking half of them.
    func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32) -> UInt32 {
        rk_crc32_parallel(helper, crc, bytes.baseAddress, bytes.count)
    }
}
