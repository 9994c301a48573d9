import Foundation
import OutputSafety
import ZIPFoundation

/// One file stored in a zip archive.
public struct ZipMember: Sendable, Equatable {
    /// The member's path inside the archive (`weight.npy`, `archive/data/0`).
    public let path: String
    /// Whether the bytes are deflated (otherwise they are stored as they are).
    public let isDeflated: Bool
    /// Bytes the member occupies in the archive.
    public let compressedSize: Int
    /// Bytes of the member's content.
    public let size: Int
    /// CRC-32 of the content, as the central directory records it.
    public let crc32: UInt32
    /// Offset in the archive file of the member's stored (possibly deflated) bytes.
    public let dataOffset: Int
}

/// A read-only zip archive over a memory-mapped file (NPZ, and the zip
/// flavours of `.pt` and `.keras`).
///
/// ZIPFoundation lists the members; zlib inflates deflated ones
/// (`rk_inflate` in `Sources/OutputSafety`, which also holds the CRC-32 the
/// zip writer uses); `ZipDirectoryBounds` first checks the directory against
/// the file size (see there why). Stored members are returned as zero-copy views of the map;
/// deflated members are inflated only when asked for, and `prefix(of:count:)`
/// inflates no more than it needs.
public final class ZipArchive: Sendable {
    /// The mapped archive file.
    public let map: MappedFile
    /// The file members in central-directory order (directories and symlinks
    /// are left out).
    public let members: [ZipMember]

    /// Opens and maps the archive at `path`.
    public convenience init(path: String) throws {
        try self.init(map: MappedFile(path: path))
    }

    /// Reads the directory of a mapped archive.
    public init(map: MappedFile) throws {
        self.map = map
        if map.count == 0 { throw TensorFileError(file: map.path, .empty) }
        let bounds = try ZipDirectoryBounds(map.bytes, file: map.path)
        // ZIPFoundation reads the directory from a file it opens by path: give
        // it this process's descriptor of the mapped file, never `map.path`,
        // which may name another file by now.
        let descriptor = try map.reopen()
        defer { close(descriptor) }
        let entries: [Entry]
        do {
            let url = URL(fileURLWithPath: RealPath.naming(descriptor))
            entries = Array(try Archive(url: url, accessMode: .read))
        } catch {
            throw TensorFileError(file: map.path, .zip(.unreadableDirectory("\(error)")))
        }
        guard entries.count == bounds.localHeaderOffsets.count else {
            throw TensorFileError(file: map.path, .zip(
                .unreadableMembers(listed: bounds.localHeaderOffsets.count, readable: entries.count)))
        }
        var members: [ZipMember] = []
        for (entry, headerOffset) in zip(entries, bounds.localHeaderOffsets) where entry.type == .file {
            members.append(try Self.locate(entry, localHeader: headerOffset, in: map))
        }
        self.members = members
    }

    /// The members by path, for a format whose reader looks members up by
    /// name (`.pt`, `.pt2`).
    ///
    /// - Throws: `TensorFileError` `.zip(.duplicateMember)` for a path listed
    ///   twice: torch's readers and rnnkit's could take different copies.
    public func membersByPath() throws -> [String: ZipMember] {
        var byPath: [String: ZipMember] = [:]
        for member in members {
            guard byPath.updateValue(member, forKey: member.path) == nil else {
                throw TensorFileError(file: map.path, .zip(.duplicateMember(String(member.path.prefix(200)))))
            }
        }
        return byPath
    }

    /// The member with exactly this path, if any.
    public func member(_ path: String) -> ZipMember? {
        members.first { $0.path == path }
    }

    /// Declared sizes above this are inflated only within `maximumInflationRatio`.
    public static let ratioFreeSize = 64 << 20
    /// How many times its compressed size a member larger than `ratioFreeSize` may declare.
    public static let maximumInflationRatio = 100

    /// The content of `member` from byte `start` on (all of it by default):
    /// a view of the map when stored; when deflated, inflated by zlib straight
    /// into one buffer of exactly that size (the bytes before `start` are
    /// inflated and dropped, never kept), the size and CRC-32 checked.
    ///
    /// Decompression bombs are refused before inflating: a deflated member
    /// declaring more than `ratioFreeSize` (64 MiB) and more than
    /// `maximumInflationRatio` (100) times its compressed size. Whatever the
    /// directory declares, inflating stops at the first byte past it.
    public func contents(of member: ZipMember, from start: Int = 0) throws -> Data {
        let start = min(max(start, 0), member.size)
        guard member.isDeflated else {
            return try map.data(member.dataOffset + start, member.size - start, tensor: member.path)
        }
        if member.size > Self.ratioFreeSize, member.size / Self.maximumInflationRatio > member.compressedSize {
            throw TensorFileError(file: map.path, tensor: member.path, .zip(
                .possibleBomb(size: member.size, compressed: member.compressedSize, ratio: Self.maximumInflationRatio)))
        }
        var output = Data(count: member.size - start)
        let (status, produced, checksum) = output.withUnsafeMutableBytes { inflate(member, skip: start, into: $0, checkEnd: true) }
        switch status {
        case Int32(RK_INFLATE_END):
            guard produced == member.size else {
                throw failure(member, .inflatedSize(produced: produced, declared: member.size))
            }
            guard checksum == member.crc32 else { throw failure(member, .crcMismatch) }
            return output
        case Int32(RK_INFLATE_TOO_LONG):
            throw failure(member, .inflatesPastSize(declared: member.size))
        default:
            throw inflateFailure(member, status)
        }
    }

    /// The first `count` bytes of `member` (all of it when shorter), inflating
    /// only as much as needed.
    public func prefix(of member: ZipMember, count: Int) throws -> Data {
        let wanted = min(max(count, 0), member.size)
        guard member.isDeflated else { return try map.data(member.dataOffset, wanted, tensor: member.path) }
        guard wanted > 0 else { return Data() }
        var output = Data(count: wanted)
        let (status, produced, _) = output.withUnsafeMutableBytes { inflate(member, skip: 0, into: $0, checkEnd: false) }
        switch status {
        case Int32(RK_INFLATE_FULL), Int32(RK_INFLATE_END):
            guard produced >= wanted else {
                throw failure(member, .inflatedSize(produced: produced, declared: member.size))
            }
            return output
        default:
            throw inflateFailure(member, status)
        }
    }

    /// Inflates `member` with zlib (`rk_inflate`) from its bytes in the map,
    /// never past its compressed size: the status, the bytes produced and their CRC-32.
    private func inflate(_ member: ZipMember, skip: Int, into output: UnsafeMutableRawBufferPointer,
                         checkEnd: Bool) -> (Int32, Int, UInt32) {
        var produced = 0
        var checksum: UInt32 = 0
        let source = UnsafeRawBufferPointer(rebasing: map.bytes[member.dataOffset ..< member.dataOffset + member.compressedSize])
        let status = rk_inflate(source.baseAddress, source.count, skip, output.baseAddress, output.count,
                                checkEnd ? 1 : 0, &produced, &checksum)
        return (status, produced, checksum)
    }

    private func failure(_ member: ZipMember, _ problem: ZipProblem) -> TensorFileError {
        TensorFileError(file: map.path, tensor: member.path, .zip(problem))
    }

    /// The error for a stream that neither ended nor filled its buffer.
    private func inflateFailure(_ member: ZipMember, _ status: Int32) -> TensorFileError {
        let problem: ZipProblem = switch status {
        case Int32(RK_INFLATE_TRUNCATED): .deflateTruncated(compressed: member.compressedSize)
        case Int32(RK_INFLATE_NO_MEMORY): .inflateOutOfMemory
        default: .corruptDeflate
        }
        return TensorFileError(file: map.path, tensor: member.path, offset: member.dataOffset, .zip(problem))
    }

    /// Finds the data of `entry` behind its local header and checks it lies in the file.
    private static func locate(_ entry: Entry, localHeader offset: Int, in map: MappedFile) throws -> ZipMember {
        let bytes = map.bytes
        func fail(_ problem: ZipProblem) -> TensorFileError {
            TensorFileError(file: map.path, tensor: entry.path, offset: offset, .zip(problem))
        }
        // ZipDirectoryBounds guarantees 30 bytes at `offset`.
        guard bytes.u32(offset) == 0x0403_4B50 else { throw fail(.noLocalHeader) }
        if bytes.u16(offset + 6) & 1 != 0 { throw fail(.encrypted) }
        let method = bytes.u16(offset + 8)
        guard method == 0 || method == 8 else {
            throw fail(.unsupportedMethod(method))
        }
        let nameLength = Int(bytes.u16(offset + 26))
        let dataOffset = offset + 30 + nameLength + Int(bytes.u16(offset + 28))
        guard entry.compressedSize <= UInt64(map.count), entry.uncompressedSize < UInt64(1) << 62 else {
            throw fail(.impossibleSizes)
        }
        let compressed = Int(entry.compressedSize)
        let size = Int(entry.uncompressedSize)
        guard dataOffset <= map.count, compressed <= map.count - dataOffset else {
            throw TensorFileError(file: map.path, tensor: entry.path, offset: dataOffset,
                                  .truncated(needed: compressed, available: max(0, map.count - dataOffset)))
        }
        if method == 0, compressed != size {
            throw fail(.storedSizesDiffer(compressed: compressed, size: size))
        }
        // Deflate expands at most 1032:1; a larger claim would only make
        // `contents(of:)` allocate memory the data can never fill.
        if method == 8, size / 1032 > compressed + 1 {
            throw fail(.beyondDeflateRatio(size: size, compressed: compressed))
        }
        let localName = UnsafeRawBufferPointer(rebasing: bytes[offset + 30 ..< min(offset + 30 + nameLength, map.count)])
        if localName.allSatisfy({ $0 < 0x80 }), !localName.elementsEqual(entry.path.utf8) {
            throw fail(.localNameDiffers(String(decoding: localName, as: UTF8.self)))
        }
        return ZipMember(path: entry.path, isDeflated: method == 8, compressedSize: compressed, size: size,
                         crc32: entry.checksum, dataOffset: dataOffset)
    }
}
