/// Checks a zip archive's end records and central directory against the size
/// of the file before ZIPFoundation reads them, and finds where each member's
/// local header is.
///
/// Why this exists next to ZIPFoundation (which lists and inflates members):
/// - ZIPFoundation 0.9.20 trusts 64-bit ZIP64 fields: an offset of 2⁶³ or
///   more traps when it is converted to `off_t`, and a compressed size near
///   2⁶⁴ overflows an addition while it reads a data descriptor. A hostile
///   archive must be refused with a message, never crash the process.
/// - Without an end record in the last 64 KiB, ZIPFoundation searches the
///   whole file one byte at a time (minutes for a truncated multi-GB file).
/// - It keeps the file offset of a member's data internal; zero-copy tensors
///   need it.
/// This walks the directory once, reading only fixed-size fields; it neither
/// decompresses nor interprets member contents.
struct ZipDirectoryBounds {
    /// Offset of each central-directory record's local header, in directory order.
    var localHeaderOffsets: [Int]

    private static let endRecordSignature: UInt32 = 0x0605_4B50
    private static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    private static let zip64EndRecordSignature: UInt32 = 0x0606_4B50
    private static let directoryRecordSignature: UInt32 = 0x0201_4B50
    private static let endRecordSize = 22
    private static let maximumCommentLength = 65535

    /// Walks the directory of the archive in `bytes`. `file` names it in errors.
    init(_ bytes: UnsafeRawBufferPointer, file: String) throws {
        func fail(_ offset: Int?, _ problem: ZipProblem) -> TensorFileError {
            TensorFileError(file: file, offset: offset, .zip(problem))
        }
        let size = bytes.count
        guard let end = Self.findEndRecord(bytes) else {
            throw fail(nil, .noEndRecord)
        }
        var entryCount = Int(bytes.u16(end + 10))
        var directorySize = UInt64(bytes.u32(end + 12))
        var directoryOffset = UInt64(bytes.u32(end + 16))
        // ZIPFoundation prefers a ZIP64 end record found right before the locator.
        let locator = end - 20
        let record = locator - 56
        if record > 0, bytes.u32(locator) == Self.zip64LocatorSignature,
           bytes.u32(record) == Self.zip64EndRecordSignature {
            let entries = bytes.u64(record + 32)
            guard entries <= UInt64(size / 46) else {
                throw fail(record, .tooManyMembers(entries))
            }
            entryCount = Int(entries)
            directorySize = bytes.u64(record + 40)
            directoryOffset = bytes.u64(record + 48)
        }
        guard directoryOffset <= UInt64(size), directorySize <= UInt64(size) - directoryOffset else {
            throw fail(end, .directoryOutsideFile(size: directorySize, offset: directoryOffset, fileSize: size))
        }
        var position = Int(directoryOffset)
        var offsets: [Int] = []
        offsets.reserveCapacity(entryCount)
        for index in 0 ..< entryCount {
            guard position + 46 <= size, bytes.u32(position) == Self.directoryRecordSignature else {
                throw fail(position, .damagedDirectoryRecord(index: index + 1, count: entryCount))
            }
            let nameLength = Int(bytes.u16(position + 28))
            let extraLength = Int(bytes.u16(position + 30))
            let commentLength = Int(bytes.u16(position + 32))
            let next = position + 46 + nameLength + extraLength + commentLength
            guard next <= size else {
                throw fail(position, .directoryRecordPastEnd(index: index + 1))
            }
            let extra = UnsafeRawBufferPointer(rebasing: bytes[position + 46 + nameLength ..< position + 46 + nameLength + extraLength])
            let sizes = (
                compressed: UInt64(bytes.u32(position + 20)), uncompressed: UInt64(bytes.u32(position + 24)),
                offset: UInt64(bytes.u32(position + 42)))
            let wide = try Self.zip64Values(extra, sizes, at: position, fail: fail)
            guard wide.offset + 30 <= UInt64(size), wide.compressed <= UInt64(size),
                  wide.uncompressed < UInt64(1) << 62
            else {
                throw fail(position, .memberBeyondFile(index: index + 1, fileSize: size))
            }
            offsets.append(Int(wide.offset))
            position = next
        }
        localHeaderOffsets = offsets
    }

    /// The values of a ZIP64 extended-information field (id 1), where the
    /// 32-bit fields are saturated. Every value is checked conservatively:
    /// ZIPFoundation may read any 8-byte slot of the field.
    private static func zip64Values(
        _ extra: UnsafeRawBufferPointer, _ narrow: (compressed: UInt64, uncompressed: UInt64, offset: UInt64),
        at position: Int, fail: (Int?, ZipProblem) -> TensorFileError
    ) throws -> (compressed: UInt64, uncompressed: UInt64, offset: UInt64) {
        var result = narrow
        var cursor = 0
        while cursor + 4 <= extra.count {
            let id = extra.u16(cursor)
            let length = Int(extra.u16(cursor + 2))
            guard cursor + 4 + length <= extra.count else { break }
            if id == 1 {
                var slot = cursor + 4
                func take() -> UInt64? {
                    guard slot + 8 <= cursor + 4 + length else { return nil }
                    defer { slot += 8 }
                    return extra.u64(slot)
                }
                if narrow.uncompressed == 0xFFFF_FFFF, let value = take() { result.uncompressed = value }
                if narrow.compressed == 0xFFFF_FFFF, let value = take() { result.compressed = value }
                if narrow.offset == 0xFFFF_FFFF, let value = take() { result.offset = value }
                // Any 8-byte slot must stay within what an offset or size can be.
                var probe = cursor + 4
                while probe + 8 <= cursor + 4 + length {
                    guard extra.u64(probe) < UInt64(1) << 62 else {
                        throw fail(position, .impossibleZip64Value(extra.u64(probe)))
                    }
                    probe += 8
                }
            }
            cursor += 4 + length
        }
        return result
    }

    /// The offset of the last end-of-central-directory signature within the
    /// last 22 + 65535 bytes (the record plus its longest comment).
    private static func findEndRecord(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= endRecordSize else { return nil }
        let lowest = max(0, bytes.count - endRecordSize - maximumCommentLength)
        var offset = bytes.count - endRecordSize
        while offset >= lowest {
            if bytes.u32(offset) == endRecordSignature { return offset }
            offset -= 1
        }
        return nil
    }
}

extension UnsafeRawBufferPointer {
    /// The little-endian integer at `offset` (the caller checks bounds).
    func u16(_ offset: Int) -> UInt16 { UInt16(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self)) }
    /// The little-endian integer at `offset` (the caller checks bounds).
    func u32(_ offset: Int) -> UInt32 { UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    /// The little-endian integer at `offset` (the caller checks bounds).
    func u64(_ offset: Int) -> UInt64 { UInt64(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
}
