import Foundation
import OutputSafety

/// Writes a zip archive of stored (uncompressed) members straight from the
/// members' bytes to a file, as `numpy.savez` lays it out: local header,
/// data, …, central directory, ZIP64 records when a size, an offset or the
/// member count needs them. CRC-32 comes from zlib (`rk_crc32`), computed
/// piece by piece while the member is written; the local header's CRC field
/// is filled in afterwards (`FileOutput.overwrite`), so a member is read
/// once and never held in memory.
public struct StoredZipWriter {
    /// Writes the new file `path` (which must not exist; `target` names it
    /// in errors) as a zip archive of stored `members`, in order, then the
    /// content of the file `lastFile.path` as the member `lastFile.name`,
    /// read once, in 4 MiB pieces, so that a large file is never held in memory.
    public static func write(
        _ members: [(name: String, data: Data)], lastFile: (name: String, path: String), to path: String, target: String
    ) throws {
        let descriptor = open(lastFile.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw TensorFileError(file: target, .invalid("cannot read \(lastFile.path): \(String(cString: strerror(errno)))"))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw TensorFileError(file: target, .invalid("cannot read \(lastFile.path): \(String(cString: strerror(errno)))"))
        }
        var buffer = [UInt8](repeating: 0, count: 4 << 20)
        try FileSink.create(path, target: target) { output in
            var zip = StoredZipWriter(output: output)
            for member in members { try zip.add(member.name, data: member.data) }
            try zip.add(lastFile.name, size: UInt64(status.st_size)) { send in
                var offset: off_t = 0
                while offset < status.st_size {
                    let got = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, offset) }
                    if got < 0, errno == EINTR { continue }
                    guard got > 0 else {
                        let reason = got < 0 ? String(cString: strerror(errno)) : "it ended early"
                        throw TensorFileError(file: target, .invalid("cannot read \(lastFile.path): \(reason)"))
                    }
                    try buffer.withUnsafeBytes { try send(UnsafeRawBufferPointer(rebasing: $0[0 ..< got])) }
                    offset += off_t(got)
                }
            }
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

    /// A writer that appends the archive to `output`, which must be at its start.
    init(output: FileOutput) {
        self.output = output
    }

    /// Adds the member `name` holding `data`.
    mutating func add(_ name: String, data: Data) throws {
        try add(name, size: UInt64(data.count)) { send in try data.withUnsafeBytes { try send($0) } }
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
    /// through the function it is given; its CRC-32 is computed on the way
    /// and written into the local header after the content.
    private mutating func add(
        _ name: String, size: UInt64, content: (_ send: (UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws {
        var member = Member(name: Array(name.utf8), crc: 0, size: size, offset: output.position)
        let large = size >= 0xFFFF_FFFF
        var header = Data()
        header.u32(0x0403_4B50)
        header.u16(large ? 45 : 20)
        header.u16(flags(member))
        header.u16(0)  // stored
        header.u16(0)  // time 00:00:00
        header.u16(0x21)  // date 1980-01-01
        header.u32(0)  // CRC-32, filled in below
        header.u32(large ? 0xFFFF_FFFF : UInt32(size))
        header.u32(large ? 0xFFFF_FFFF : UInt32(size))
        header.u16(UInt16(member.name.count))
        header.u16(large ? 20 : 0)
        header.append(contentsOf: member.name)
        if large {
            header.u16(1)
            header.u16(16)
            header.u64(size)
            header.u64(size)
        }
        try output.append(header)
        var crc: UInt32 = 0
        var sent: UInt64 = 0
        let output = self.output
        try content { piece in
            crc = rk_crc32(crc, piece.baseAddress, piece.count)
            sent += UInt64(piece.count)
            try output.append(piece)
        }
        guard sent == size else {
            throw TensorFileError(file: name, .sizeMismatch(expected: Int(clamping: size), actual: Int(clamping: sent)))
        }
        member.crc = crc
        var field = Data()
        field.u32(crc)
        try output.overwrite(field, at: member.offset + 14)
        members.append(member)
    }

    /// Writes the central directory and the end records.
    mutating func finish() throws {
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
