import Foundation
import ZIPFoundation

/// A zip file opened with ZIPFoundation, its directory indexed by member path,
/// with reads bounded by what the file can really hold.
final class TorchZipArchive: @unchecked Sendable {
    /// The path as the user gave it.
    let path: String
    /// Members by path (the first one when a path repeats).
    let entries: [String: Entry]
    private let archive: Archive
    private let fileSize: Int
    private let lock = NSLock()

    /// Deflate's largest possible expansion ratio (zlib technical details).
    static let maximumDeflateRatio = 1_032

    /// Opens the zip and reads its central directory.
    init(path: String) throws {
        self.path = path
        let map = try MappedFile(path: path)
        fileSize = map.count
        try ZipDirectoryGuard.check(map)
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw TensorFileError(file: path, .archive(
                "cannot read the zip directory (\(error)); the file is truncated or not a zip archive"))
        }
        var entries: [String: Entry] = [:]
        for entry in archive where entries[entry.path] == nil {
            // Sizes may come from ZIP64 data descriptors, which the directory guard does not see.
            for size in [entry.compressedSize, entry.uncompressedSize] where size >= ZipDirectoryGuard.limit {
                throw TensorFileError(file: path, .archive("member \(entry.path) claims \(size) bytes, beyond any real archive"))
            }
            entries[entry.path] = entry
        }
        self.entries = entries
    }

    /// The uncompressed size of `member`, after checking that the file can
    /// hold it: a stored member no larger than the file, a deflated one no
    /// larger than deflate can expand its compressed bytes to.
    func size(of member: String) throws -> Int? {
        guard let entry = entries[member] else { return nil }
        let compressed = Int(clamping: entry.compressedSize)
        let declared = Int(clamping: entry.uncompressedSize)
        let limit = entry.isCompressed
            ? compressed.multipliedReportingOverflow(by: Self.maximumDeflateRatio).partialValue
            : min(compressed, fileSize)
        guard compressed <= fileSize, declared <= limit else {
            throw TensorFileError(file: path, .archive(
                "member \(member) claims \(declared) bytes, more than the \(fileSize)-byte file can hold"))
        }
        return declared
    }

    /// The bytes of `member`, or an error when it is missing, larger than
    /// `limit`, damaged (CRC-32 mismatch, bad deflate stream) or shorter or
    /// longer than its directory entry says.
    func contents(of member: String, limit: Int) throws -> Data {
        guard let size = try size(of: member), let entry = entries[member] else {
            throw TensorFileError(file: path, .archive("no member \(member)"))
        }
        guard entry.type == .file else {
            throw TensorFileError(file: path, .archive("member \(member) is a \(entry.type), not a file"))
        }
        guard size <= limit else {
            throw TensorFileError(file: path, .archive("member \(member) is \(size) bytes, more than the \(limit) rnnkit reads"))
        }
        lock.lock()
        defer { lock.unlock() }
        var data = Data()
        data.reserveCapacity(size)
        do {
            let checksum = try archive.extract(entry, skipCRC32: false) { chunk in
                guard chunk.count <= size - data.count else { throw TorchZipOverrun() }
                data.append(chunk)
            }
            guard checksum == entry.checksum else {
                throw TensorFileError(file: path, .archive("member \(member) is damaged (CRC-32 mismatch)"))
            }
        } catch let error as TensorFileError {
            throw error
        } catch is TorchZipOverrun {
            throw TensorFileError(file: path, .archive("member \(member) expands beyond the \(size) bytes its entry declares"))
        } catch {
            throw TensorFileError(file: path, .archive("cannot read member \(member): \(error)"))
        }
        guard data.count == size else {
            throw TensorFileError(file: path, .archive(
                "member \(member) holds \(data.count) bytes but its entry declares \(size)"))
        }
        return data
    }

    /// A short text member (`byteorder`, `version`), trimmed; nil when absent.
    func text(_ member: String) throws -> String? {
        guard entries[member] != nil else { return nil }
        let data = try contents(of: member, limit: 64)
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Stops an extraction that produces more bytes than its entry declares.
private struct TorchZipOverrun: Error {}
