import Foundation
import OutputSafety

/// Writes a zip archive of stored (uncompressed) members straight from the
/// members' bytes to a file, as `numpy.savez` lays it out: local header,
/// data, …, central directory, ZIP64 records when a size, an offset or the
/// member count needs them. CRC-32 comes from zlib (`rk_crc32`), computed
/// before each member is written, so nothing is copied or read back.
public struct StoredZipWriter {
    /// Writes the new file `path` (which must not exist; `target` names it
    /// in errors) as a zip archive of stored `members`, in order, then the
    /// content of the file `lastFile.path` as the member `lastFile.name`,
    /// read in 4 MiB pieces (twice: for its CRC-32, then to copy it), so
    /// that a large file is never held in memory.
    public static func write(
        _ members: [(name: String, data: Data)], lastFile: (name: String, path: String), to path: String, target: String
    ) throws {
        let descriptor = open(lastFile.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw TensorFileError(file: target, .invalid("cannot read \(lastFile.path): \(String(cString: strerror(errno)))"))
        }
        defer { close(descriptor) }
        var buffer = Data(count: 4 << 20)
        func pieces(_ body: (Data) throws -> Void) throws {
            var offset: off_t = 0
            while true {
                let got = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, offset) }
                if got < 0, errno == EINTR { continue }
                guard got >= 0 else {
                    throw TensorFileError(file: target, .invalid("cannot read \(lastFile.path): \(String(cString: strerror(errno)))"))
                }
                if got == 0 { return }
                try body(buffer.prefix(got))
                offset += off_t(got)
            }
        }
        var crc: UInt32 = 0
        var size: UInt64 = 0
        try pieces { piece in
            crc = piece.withUnsafeBytes { rk_crc32(crc, $0.baseAddress, $0.count) }
            size += UInt64(piece.count)
        }
        try FileSink.create(path, target: target) { append in
            try withoutActuallyEscaping(append) { append in
                var zip = StoredZipWriter(append: append)
                for member in members { try zip.add(member.name, pieces: [member.data]) }
                try zip.add(lastFile.name, crc: crc, size: size) { send in try pieces { try send($0) } }
                try zip.finish()
            }
        }
    }


    private struct Member {
        var name: [UInt8]
        var crc: UInt32
        var size: UInt64
        var offset: UInt64
    }

    private let append: (Data) throws -> Void
    private var members: [Member] = []
    private var position: UInt64 = 0

    /// A writer that sends the archive's bytes, in order, to `append`.
    init(append: @escaping (Data) throws -> Void) {
        self.append = append
    }

    /// Adds the member `name` holding the concatenation of `pieces`.
    mutating func add(_ name: String, pieces: [Data]) throws {
        var crc: UInt32 = 0
        for piece in pieces {
            crc = piece.withUnsafeBytes { rk_crc32(crc, $0.baseAddress, $0.count) }
        }
        try add(name, crc: crc, size: UInt64(pieces.reduce(0) { $0 + $1.count })) { send in
            for piece in pieces { try send(piece) }
        }
    }

    /// Adds the member `name` of `size` bytes with CRC-32 `crc`, whose
    /// content `content` sends through the function it is given.
    private mutating func add(_ name: String, crc: UInt32, size: UInt64, content: (_ send: (Data) throws -> Void) throws -> Void) throws {
        let member = Member(name: Array(name.utf8), crc: crc, size: size, offset: position)
        let large = size >= 0xFFFF_FFFF
        var header = Data()
        header.u32(0x0403_4B50)
        header.u16(large ? 45 : 20)
        header.u16(flags(member))
        header.u16(0)  // stored
        header.u16(0)  // time 00:00:00
        header.u16(0x21)  // date 1980-01-01
        header.u32(crc)
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
        try emit(header)
        try content(append)
        position += size
        members.append(member)
    }

    /// Writes the central directory and the end records.
    mutating func finish() throws {
        let directoryOffset = position
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
        try emit(directory)
        let count = UInt64(members.count)
        let size = UInt64(directory.count)
        var end = Data()
        if count >= 0xFFFF || size >= 0xFFFF_FFFF || directoryOffset >= 0xFFFF_FFFF {
            let zip64End = position
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
        try emit(end)
    }

    /// Bit 11: the name is UTF-8 (set only when it is not plain ASCII, as Python's zipfile does).
    private func flags(_ member: Member) -> UInt16 {
        member.name.contains { $0 >= 0x80 } ? 0x0800 : 0
    }

    private mutating func emit(_ data: Data) throws {
        try append(data)
        position += UInt64(data.count)
    }
}

private extension Data {
    mutating func u16(_ value: UInt16) { Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) } }
    mutating func u32(_ value: UInt32) { Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) } }
    mutating func u64(_ value: UInt64) { Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) } }
}
