import Foundation
import Pickle

/// The checkpoint `torch.save(..., _use_new_zipfile_serialization=False)`
/// writes: five pickles one after another — the magic number
/// 0x1950a86a20f9469cfc6c, the protocol version 1001, a sys-info dict
/// (`little_endian`, type sizes), the data, and the list of storage keys —
/// then each listed storage's bytes, preceded by its element count as an
/// 8-byte little-endian integer.
///
/// The file is memory-mapped; opening walks the pickles and the storage
/// counts, and each tensor's bytes are a view of the map read on demand.
enum TorchLegacyFormat {
    /// The magic number's `LONG1` payload (10 bytes, little-endian).
    static let magic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
    /// The only legacy protocol version PyTorch ever wrote.
    static let protocolVersion = 1001

    /// Whether `bytes` start with the pickled magic number (pickle protocol
    /// 2–5, with or without a protocol-4 frame).
    static func hasMagic(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 2, bytes[0] == 0x80, (2 ... 5).contains(bytes[1]) else { return false }
        var position = 2
        if bytes.count > position, bytes[position] == 0x95 { position += 9 }
        let expected: [UInt8] = [0x8A, 0x0A] + magic + [0x2E]
        guard bytes.count >= position + expected.count else { return false }
        return zip(expected.indices, expected).allSatisfy { bytes[position + $0] == $1 }
    }

    /// Reads the pickles and the storage directory; storage bytes stay unread.
    static func read(_ map: MappedFile) throws -> TensorFile {
        let path = map.path
        guard hasMagic(map.bytes) else {
            throw TensorFileError(file: path, offset: 0, .badMagic(expected: .pytorchLegacy))
        }
        var offset = 0
        let magicPickle = try TorchPickle.load(map, at: offset, what: "magic number", allowGlobals: false)
        offset += magicPickle.byteCount
        let versionPickle = try TorchPickle.load(map, at: offset, what: "protocol version", allowGlobals: false)
        guard versionPickle.root == .int(protocolVersion) else {
            throw TensorFileError(file: path, offset: offset, .torchFormat(.legacyProtocol(
                found: TorchItemSummary.scalar(versionPickle.root) ?? versionPickle.kindName(versionPickle.root), expected: protocolVersion)))
        }
        offset += versionPickle.byteCount
        let sysInfo = try TorchPickle.load(map, at: offset, what: "sys info", allowGlobals: false)
        if sysInfo.dictionary(sysInfo.root)?["little_endian"] == .bool(false) {
            throw TensorFileError(file: path, offset: offset, .torchFormat(.bigEndian(legacy: true)))
        }
        offset += sysInfo.byteCount
        let data = try TorchPickle.load(map, at: offset, what: "data")
        offset += data.byteCount
        let keysOffset = offset
        let keysPickle = try TorchPickle.load(map, at: offset, what: "storage keys", allowGlobals: false)
        offset += keysPickle.byteCount
        guard let keyValues = keysPickle.sequence(keysPickle.root) else {
            throw TensorFileError(file: path, offset: keysOffset, .torchFormat(.storageKeyList(kind: keysPickle.kindName(keysPickle.root))))
        }
        let decoder = try TorchPickleDecoder(document: data, file: path)
        let contents = try TorchCheckpointContents(decoder: decoder, rootName: TorchPickle.stem(of: path))
        let regions = try storageRegions(keyValues, decoder: decoder, map: map, start: offset)
        let source = TorchLegacyStorages(map: map, regions: regions)
        let tensors = try contents.tensors.map { name, record in
            NamedTensor(name: name, tensor: try TorchStorageViews.tensor(record, name: name, file: path, source: source))
        }
        var file = TensorFile(path: path, format: .pytorchLegacy, tensors: tensors,
                              metadata: ["pytorch.serialization": "legacy"], otherItems: contents.otherItems)
        try contents.describeModules(in: &file)
        return file
    }

    /// Walks the storage section: for each listed key, an 8-byte element
    /// count then count × element size bytes. Returns each storage's byte range.
    static func storageRegions(
        _ keyValues: [PickleValue], decoder: TorchPickleDecoder, map: MappedFile, start: Int
    ) throws -> [String: Range<Int>] {
        var regions: [String: Range<Int>] = [:]
        var offset = start
        for value in keyValues {
            guard let key = TorchPickleDecoder.key(value) else {
                throw TensorFileError(file: map.path, offset: start, .torchFormat(.storageKeyNotString))
            }
            guard let storage = decoder.storages[key] else {
                throw TensorFileError(file: map.path, offset: offset, .torchFormat(.storageKeyUnused(key)))
            }
            guard regions[key] == nil else {
                throw TensorFileError(file: map.path, offset: offset, .torchFormat(.storageKeyTwice(key)))
            }
            let header = try map.slice(offset, 8, tensor: nil)
            let count = Int64(littleEndian: header.loadUnaligned(as: Int64.self))
            let (bytes, overflow) = Int(clamping: count).multipliedReportingOverflow(by: storage.itemSize)
            guard count >= 0, !overflow else {
                throw TensorFileError(file: map.path, offset: offset, .torchFormat(.storageElementCount(storage: key, count: count)))
            }
            offset += 8
            guard bytes <= map.count - offset else {
                throw TensorFileError(file: map.path, offset: offset, .torchFormat(.storageTruncated(storage: key, needed: bytes, remaining: map.count - offset)))
            }
            regions[key] = offset ..< offset + bytes
            offset += bytes
        }
        return regions
    }
}

/// Storage regions of a mapped legacy checkpoint: zero-copy views of the map.
final class TorchLegacyStorages: TorchStorageSource, @unchecked Sendable {
    private let map: MappedFile
    private let regions: [String: Range<Int>]

    init(map: MappedFile, regions: [String: Range<Int>]) {
        self.map = map
        self.regions = regions
    }

    func availableBytes(of key: String) throws -> Int? { regions[key]?.count }

    func bytes(of key: String, in range: Range<Int>) throws -> Data {
        guard let region = regions[key], range.lowerBound >= 0, range.upperBound <= region.count else {
            throw TensorFileError(file: map.path, .torchFormat(.storageRange(storage: key, range: range)))
        }
        return try map.data(region.lowerBound + range.lowerBound, range.count)
    }
}
