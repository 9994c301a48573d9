import Foundation
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
/// ZIPFoundation lists the members and inflates deflated ones;
/// `ZipDirectoryBounds` first checks the directory against the file size (see
/// there why). Stored members are returned as zero-copy views of the map;
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
        let entries: [Entry]
        do {
            entries = Array(try Archive(url: URL(fileURLWithPath: map.path), accessMode: .read))
        } catch {
            throw TensorFileError(file: map.path, .archive("cannot read the central directory (\(error))"))
        }
        guard entries.count == bounds.localHeaderOffsets.count else {
            throw TensorFileError(file: map.path, .archive(
                "the central directory lists \(bounds.localHeaderOffsets.count) members but only \(entries.count) are readable"))
        }
        var members: [ZipMember] = []
        for (entry, headerOffset) in zip(entries, bounds.localHeaderOffsets) where entry.type == .file {
            members.append(try Self.locate(entry, localHeader: headerOffset, in: map))
        }
        self.members = members
    }

    /// The member with exactly this path, if any.
    public func member(_ path: String) -> ZipMember? {
        members.first { $0.path == path }
    }

    /// The content of `member` from byte `start` on (all of it by default):
    /// a view of the map when stored; when deflated, inflated straight into
    /// one buffer of exactly that size (the bytes before `start` are
    /// inflated and dropped, never kept), the size and CRC-32 checked.
    public func contents(of member: ZipMember, from start: Int = 0) throws -> Data {
        let start = min(max(start, 0), member.size)
        guard member.isDeflated else {
            return try map.data(member.dataOffset + start, member.size - start, tensor: member.path)
        }
        var output = Data()
        output.reserveCapacity(member.size - start)
        var produced = 0
        let checksum = try inflate(member, chunkSize: 1 << 18) { chunk in
            guard chunk.count <= member.size - produced else {
                throw TensorFileError(file: map.path, tensor: member.path, .archive(
                    "inflates to more than the \(member.size) bytes the directory declares"))
            }
            let skip = min(max(start - produced, 0), chunk.count)
            output.append(chunk.dropFirst(skip))
            produced += chunk.count
            return true
        }
        guard produced == member.size else {
            throw TensorFileError(file: map.path, tensor: member.path, .archive(
                "inflates to \(produced) bytes, the directory declares \(member.size)"))
        }
        guard checksum == member.crc32 else {
            throw TensorFileError(file: map.path, tensor: member.path, .archive(
                "CRC-32 mismatch (the member is corrupt)"))
        }
        return output
    }

    /// The first `count` bytes of `member` (all of it when shorter), inflating
    /// only as much as needed.
    public func prefix(of member: ZipMember, count: Int) throws -> Data {
        let wanted = min(max(count, 0), member.size)
        guard member.isDeflated else { return try map.data(member.dataOffset, wanted, tensor: member.path) }
        var output = Data()
        guard wanted > 0 else { return output }
        _ = try inflate(member, chunkSize: min(1 << 16, max(wanted, 4096))) { chunk in
            output.append(chunk.prefix(wanted - output.count))
            return output.count < wanted
        }
        guard output.count == wanted else {
            throw TensorFileError(file: map.path, tensor: member.path, .archive(
                "inflates to \(output.count) bytes, the directory declares \(member.size)"))
        }
        return output
    }

    private enum InflateStop: Error { case enough, pastEnd }

    /// Inflates `member` with ZIPFoundation, feeding it from the map and never
    /// past the member's compressed bytes. `consume` returns false to stop
    /// early (the result is then nil). Returns the CRC-32 of the output.
    private func inflate(_ member: ZipMember, chunkSize: Int, consume: (Data) throws -> Bool) throws -> CRC32? {
        let source = map.bytes
        do {
            return try Data.decompress(
                size: Int64(member.compressedSize), bufferSize: chunkSize, skipCRC32: false,
                provider: { position, _ in
                    let start = Int(position)
                    guard start < member.compressedSize else { throw InflateStop.pastEnd }
                    let available = min(chunkSize, member.compressedSize - start)
                    let from = member.dataOffset + start
                    #if os(Linux)
                    // ZIPFoundation's zlib path always tells zlib a chunk holds
                    // `chunkSize` bytes: pad the last one with zeros.
                    var chunk = Data(count: chunkSize)
                    chunk.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[from ..< from + available])) }
                    return chunk
                    #else
                    return Data(UnsafeRawBufferPointer(rebasing: source[from ..< from + available]))
                    #endif
                },
                consumer: { chunk in
                    if try !consume(chunk) { throw InflateStop.enough }
                })
        } catch InflateStop.enough {
            return nil
        } catch InflateStop.pastEnd {
            throw TensorFileError(file: map.path, tensor: member.path, offset: member.dataOffset, .archive(
                "the deflate stream does not end within the member's \(member.compressedSize) bytes (truncated or corrupt)"))
        } catch let error as TensorFileError {
            throw error
        } catch {
            throw TensorFileError(file: map.path, tensor: member.path, offset: member.dataOffset, .archive(
                "the deflated data is corrupt (\(error))"))
        }
    }

    /// Finds the data of `entry` behind its local header and checks it lies in the file.
    private static func locate(_ entry: Entry, localHeader offset: Int, in map: MappedFile) throws -> ZipMember {
        let bytes = map.bytes
        func fail(_ why: String) -> TensorFileError {
            TensorFileError(file: map.path, tensor: entry.path, offset: offset, .archive(why))
        }
        // ZipDirectoryBounds guarantees 30 bytes at `offset`.
        guard bytes.u32(offset) == 0x0403_4B50 else { throw fail("no local file header where the directory points") }
        if bytes.u16(offset + 6) & 1 != 0 { throw fail("the member is encrypted") }
        let method = bytes.u16(offset + 8)
        guard method == 0 || method == 8 else {
            throw fail("compression method \(method) is not supported (only stored and deflated)")
        }
        let nameLength = Int(bytes.u16(offset + 26))
        let dataOffset = offset + 30 + nameLength + Int(bytes.u16(offset + 28))
        guard entry.compressedSize <= UInt64(map.count), entry.uncompressedSize < UInt64(1) << 62 else {
            throw fail("the directory claims impossible sizes")
        }
        let compressed = Int(entry.compressedSize)
        let size = Int(entry.uncompressedSize)
        guard dataOffset <= map.count, compressed <= map.count - dataOffset else {
            throw TensorFileError(file: map.path, tensor: entry.path, offset: dataOffset,
                                  .truncated(needed: compressed, available: max(0, map.count - dataOffset)))
        }
        if method == 0, compressed != size {
            throw fail("stored member with different compressed (\(compressed)) and uncompressed (\(size)) sizes")
        }
        // Deflate expands at most 1032:1; a larger claim would only make
        // `contents(of:)` allocate memory the data can never fill.
        if method == 8, size / 1032 > compressed + 1 {
            throw fail("claims \(size) bytes from \(compressed) deflated bytes, more than deflate can produce")
        }
        let localName = UnsafeRawBufferPointer(rebasing: bytes[offset + 30 ..< min(offset + 30 + nameLength, map.count)])
        if localName.allSatisfy({ $0 < 0x80 }), !localName.elementsEqual(entry.path.utf8) {
            throw fail("the local header names '\(String(decoding: localName, as: UTF8.self))'")
        }
        return ZipMember(path: entry.path, isDeflated: method == 8, compressedSize: compressed, size: size,
                         crc32: entry.checksum, dataOffset: dataOffset)
    }
}
