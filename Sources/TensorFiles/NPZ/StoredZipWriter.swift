import Foundation
import OutputSafety

/// Writes a zip archive of stored (uncompressed) members straight from the
/// members' bytes to a file, as `numpy.savez` lays it out: local header,
/// data, …, central directory, ZIP64 records when a size, an offset or the
/// member count needs them. CRC-32 comes from zlib, computed piece by piece
/// on a second thread while the member is written (`ChecksumHelper`), so it
/// adds no time to the writing; the local header's CRC field
/// is filled in afterwards (`FileOutput.overwrite`), so a member is read
/// once and never held in memory.
public struct StoredZipWriter {
    /// The bytes to leave before a last member's content so that `wrap`
    /// can put `members` and that member's local header there: a power of
    /// two ≥ 512 (what an HDF5 user block must be).
    public static func reservedBytes(for members: [(name: String, data: Data)], lastName: String) -> Int {
        let headers = members.reduce(0) { $0 + 30 + $1.name.utf8.count + $1.data.count }
        // The last member's local header with ZIP64 sizes and a padding field.
        let needed = headers + 30 + lastName.utf8.count + 20 + 4
        var reserved = 512
        while reserved < needed { reserved *= 2 }
        return reserved
    }

    /// The CRC-32 of a last member's content as its writer computed it
    /// (`HDF5Writer.checksumAfterUserBlock`), and the length it covers.
    public struct KnownChecksum: Equatable, Sendable {
        public let crc: UInt32
        public let bytes: UInt64
    }

    /// Makes the file `path`, whose first `reserved` bytes
    /// (`reservedBytes(for:lastName:)`) were left free and whose rest is the
    /// content of the last member (an HDF5 file written with that user
    /// block), a zip archive of stored members: `members` and the local
    /// header of `lastName` go in the reserved bytes (padded to end exactly
    /// there), the central directory after the content. The content's CRC-32
    /// is `known` when that covers the whole content; else the content is read
    /// once for it, mapped from the page cache (not copied), on two threads.
    public static func wrap(
        _ members: [(name: String, data: Data)], lastName: String, reserved: Int, known: KnownChecksum? = nil,
        path: String, target: String
    ) throws {
        try FileSink.reopen(path, target: target) { output in
            let end = output.position
            guard end >= UInt64(reserved) else {
                throw TensorFileError(file: target, .unwritable(.shorterThanReserved(size: end, reserved: reserved)))
            }
            var crc: UInt32 = 0
            if let known, known.bytes == end - UInt64(reserved) {
                crc = known.crc
            } else {
                let checksums = ChecksumHelper()
                try output.forEachWrittenWindow(from: UInt64(reserved), to: end) { window in
                    crc = checksums.checksum(window, continuing: crc)
                }
            }
            // The reserved start: every member's local header and data, the
            // last one's header padded to end exactly where its content begins.
            var zip = StoredZipWriter(output: output)
            var prefix = Data()
            for member in members {
                let crc = member.data.withUnsafeBytes { rk_crc32(0, $0.baseAddress, $0.count) }
                let entry = Member(name: Array(member.name.utf8), crc: crc, size: UInt64(member.data.count), offset: UInt64(prefix.count))
                prefix += zip.localHeader(entry) + member.data
                zip.members.append(entry)
            }
            let last = Member(name: Array(lastName.utf8), crc: crc, size: end - UInt64(reserved), offset: UInt64(prefix.count))
            // An extra field's length is 16 bits: the headers must come within 64 KiB of the reserved end.
            guard reserved - prefix.count - 30 - last.name.count - 20 >= 4, reserved - prefix.count - 30 - last.name.count < 0xFFFF else {
                throw TensorFileError(file: target, .unwritable(.headersBeyondReserved(reserved: reserved)))
            }
            prefix += zip.localHeader(last, padTo: reserved - prefix.count)
            zip.members.append(last)
            try output.overwrite(prefix, at: 0)
            try zip.finish()
        }
    }

    private struct Member {
        var name: [UInt8]
        var crc: UInt32
        var size: UInt64
        var offset: UInt64
    }

    private let output: FileOutput
    private var members: [Member] = []
    /// The member `begin` started: its CRC-32 and bytes so far.
    private var current: (member: Member, crc: UInt32, sent: UInt64)?
    /// Computes each member's CRC-32 on a second thread while the member is written.
    private lazy var checksums = ChecksumHelper()

    /// A writer that appends the archive to `output`, which must be at its start.
    init(output: FileOutput) {
        self.output = output
    }

    /// Adds the member `name` holding `header` followed by `tensor`'s bytes,
    /// streamed from the tensor's storage (`Tensor.forEachPiece`).
    mutating func add(_ name: String, header: Data, tensor: Tensor) throws {
        try add(name, size: UInt64(header.count) + UInt64(tensor.byteCount)) { send in
            try header.withUnsafeBytes { try send($0) }
            try tensor.forEachPiece { try send($0) }
        }
    }

    /// Adds the member `name` of `size` bytes, whose content `content` sends
    /// through the function it is given (`begin`, `append`, `end`).
    private mutating func add(
        _ name: String, size: UInt64, content: (_ send: (UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws {
        try begin(name, size: size)
        try content { piece in try append(piece) }
        try end()
    }

    /// Starts the member `name` of `size` bytes: its local header, whose
    /// CRC-32 `end` fills in once `append` has sent the content.
    mutating func begin(_ name: String, size: UInt64) throws {
        precondition(current == nil, "one member at a time")
        let member = Member(name: Array(name.utf8), crc: 0, size: size, offset: output.position)
        try output.append(localHeader(member))
        current = (member, 0, 0)
    }

    /// The next bytes of the member `begin` started; its CRC-32 is computed
    /// on the way (on a second thread, `ChecksumHelper`).
    mutating func append(_ piece: UnsafeRawBufferPointer) throws {
        guard var open = current else { preconditionFailure("append without begin") }
        guard open.sent + UInt64(piece.count) <= open.member.size else {
            throw TensorFileError(file: String(decoding: open.member.name, as: UTF8.self),
                                  .sizeMismatch(expected: Int(clamping: open.member.size),
                                                actual: Int(clamping: open.sent + UInt64(piece.count))))
        }
        open.crc = try checksums.append(piece, to: output, continuing: open.crc)
        open.sent += UInt64(piece.count)
        current = open
    }

    /// Ends the member `begin` started, which must have all its bytes.
    mutating func end() throws {
        guard var open = current else { preconditionFailure("end without begin") }
        current = nil
        guard open.sent == open.member.size else {
            throw TensorFileError(file: String(decoding: open.member.name, as: UTF8.self),
                                  .sizeMismatch(expected: Int(clamping: open.member.size), actual: Int(clamping: open.sent)))
        }
        open.member.crc = open.crc
        var field = Data()
        field.u32(open.crc)
        try output.overwrite(field, at: open.member.offset + 14)
        members.append(open.member)
    }

    /// The local header of `member` (its CRC-32 as known), `length` bytes
    /// long when given: padded with an extra field (ID 0x6B72, "rk") that
    /// readers skip.
    private func localHeader(_ member: Member, padTo length: Int? = nil) -> Data {
        let large = member.size >= 0xFFFF_FFFF
        var header = Data()
        header.u32(0x0403_4B50)
        header.u16(large ? 45 : 20)
        header.u16(flags(member))
        header.u16(0)  // stored
        header.u16(0)  // time 00:00:00
        header.u16(0x21)  // date 1980-01-01
        header.u32(member.crc)
        header.u32(large ? 0xFFFF_FFFF : UInt32(member.size))
        header.u32(large ? 0xFFFF_FFFF : UInt32(member.size))
        header.u16(UInt16(member.name.count))
        var extra = Data()
        if large {
            extra.u16(1)
            extra.u16(16)
            extra.u64(member.size)
            extra.u64(member.size)
        }
        if let length {
            let padding = length - 30 - member.name.count - extra.count
            precondition(padding == 0 || (padding >= 4 && padding - 4 <= 0xFFFF), "the padding fits an extra field")
            if padding >= 4 {
                extra.u16(0x6B72)
                extra.u16(UInt16(padding - 4))
                extra.append(Data(count: padding - 4))
            }
        }
        header.u16(UInt16(extra.count))
        header.append(contentsOf: member.name)
        header.append(extra)
        return header
    }

    /// Writes the central directory and the end records.
    mutating func finish() throws {
        precondition(current == nil, "a member is still open")
        let directoryOffset = output.position
        var directory = Data()
        for member in members {
            let wideSize = member.size >= 0xFFFF_FFFF
            let wideOffset = member.offset >= 0xFFFF_FFFF
            var extra = Data()
            if wideSize { extra.u64(member.size); extra.u64(member.size) }
            if wideOffset { extra.u64(member.offset) }
            directory.u32(0x0201_4B50)
            directory.u16(45 | (3 << 8))  // made by: ZIP 4.5, Unix
            directory.u16(wideSize || wideOffset ? 45 : 20)
            directory.u16(flags(member))
            directory.u16(0)
            directory.u16(0)
            directory.u16(0x21)
            directory.u32(member.crc)
            directory.u32(wideSize ? 0xFFFF_FFFF : UInt32(member.size))
            directory.u32(wideSize ? 0xFFFF_FFFF : UInt32(member.size))
            directory.u16(UInt16(member.name.count))
            directory.u16(extra.isEmpty ? 0 : UInt16(extra.count + 4))
            directory.u16(0)  // comment
            directory.u16(0)  // disk
            directory.u16(0)  // internal attributes
            directory.u32(0o100644 << 16)  // a regular file, rw-r--r--
            directory.u32(wideOffset ? 0xFFFF_FFFF : UInt32(member.offset))
            directory.append(contentsOf: member.name)
            if !extra.isEmpty {
                directory.u16(1)
                directory.u16(UInt16(extra.count))
                directory.append(extra)
            }
        }
        let count = UInt64(members.count)
        let size = UInt64(directory.count)
        var end = Data()
        if count >= 0xFFFF || size >= 0xFFFF_FFFF || directoryOffset >= 0xFFFF_FFFF {
            let zip64End = output.position + UInt64(directory.count)
            end.u32(0x0606_4B50)
            end.u64(44)
            end.u16(45 | (3 << 8))
            end.u16(45)
            end.u32(0)
            end.u32(0)
            end.u64(count)
            end.u64(count)
            end.u64(size)
            end.u64(directoryOffset)
            end.u32(0x0706_4B50)
            end.u32(0)
            end.u64(zip64End)
            end.u32(1)
        }
        end.u32(0x0605_4B50)
        end.u16(0)
        end.u16(0)
        end.u16(UInt16(min(count, 0xFFFF)))
        end.u16(UInt16(min(count, 0xFFFF)))
        end.u32(UInt32(min(size, 0xFFFF_FFFF)))
        end.u32(UInt32(min(directoryOffset, 0xFFFF_FFFF)))
        end.u16(0)
        try output.append(directory + end)
    }

    /// Bit 11: the name is UTF-8 (set only when it is not plain ASCII, as Python's zipfile does).
    private func flags(_ member: Member) -> UInt16 {
        member.name.contains { $0 >= 0x80 } ? 0x0800 : 0
    }
}

private extension Data {
    mutating func u16(_ value: UInt16) { Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) } }
    mutating func u32(_ value: UInt32) { Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) } }
    mutating func u64(_ value: UInt64) { Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) } }
}
