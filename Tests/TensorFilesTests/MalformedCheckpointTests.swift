import Foundation
import XCTest
import Pickle
import ZIPFoundation
@testable import TensorFiles

/// Broken checkpoints: missing or short storages, truncations, random bytes,
/// impossible sizes, zip64 fields, versions and dtypes rnnkit does not read
/// are refused with a `TensorFileError` that names the file and says why.
final class MalformedCheckpointTests: CheckpointRefusalTestCase {
    func testMissingAndShortStorages() throws {
        let pickle = Builder.stateDict([weightSpec])
        let legacyPickle = Builder.stateDict([weightSpec], legacy: true)
        let missing = Builder.temporaryURL("missing.pt")
        try Builder.writeZip(to: missing, pickle: pickle, storages: [:])
        assertRefused(missing.path, tensor: "w") { $0 == .torchStorage(.missing(storage: "0")) }
        let missingLegacy = Builder.temporaryURL("missing_legacy.pt")
        try Builder.legacy(pickle: legacyPickle, storages: []).write(to: missingLegacy)
        assertRefused(missingLegacy.path, tensor: "w") { $0 == .torchStorage(.missing(storage: "0")) }

        let short = Builder.temporaryURL("short.pt")
        try Builder.writeZip(to: short, pickle: pickle, storages: ["0": weightBytes.prefix(12)])
        assertRefused(short.path, tensor: "w") { $0 == .torchStorage(.short(storage: "0", declared: 24, from: 0, available: 12)) }
        let shortLegacy = Builder.temporaryURL("short_legacy.pt")
        try Builder.legacy(pickle: legacyPickle, storages: [("0", weightBytes.prefix(12), 4)]).write(to: shortLegacy)
        assertRefused(shortLegacy.path, tensor: "w") {
            guard case .torchStorage(.short("0", 24, _, 12)) = $0 else { return false }
            return true
        }

        // The persistent id declares 4 elements: the 2×3 view runs past them.
        var small = weightSpec
        small.storageCount = 4
        for path in try files("small_view", zipPickle: Builder.stateDict([small]), legacyPickle: Builder.stateDict([small], legacy: true)) {
            assertRefused(path, tensor: "w") {
                guard case .torchStorage(.viewPastStorage("0", 16, _, .float32, 24)) = $0 else { return false }
                return true
            }
        }
        var offset = weightSpec
        offset.offset = 1
        for path in try files("offset_view", zipPickle: Builder.stateDict([offset]), legacyPickle: Builder.stateDict([offset], legacy: true)) {
            assertRefused(path, tensor: "w") {
                guard case .torchStorage(.viewPastStorage("0", 24, _, .float32, 28)) = $0 else { return false }
                return true
            }
        }
    }

    func testTruncatedFilesAtEveryPrefix() throws {
        let paths = try files("whole", zipPickle: Builder.stateDict([weightSpec]), legacyPickle: Builder.stateDict([weightSpec], legacy: true))
        for path in paths {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            let cut = Builder.temporaryURL("cut.pt")
            try bytes.write(to: cut)
            for length in stride(from: bytes.count - 1, through: 1, by: -1) {
                XCTAssertEqual(truncate(cut.path, off_t(length)), 0)
                assertRefused(cut.path) { _ in true }
            }
        }
    }

    func testRandomBytes() throws {
        var generator = SystemRandomNumberGenerator()
        let prefixes: [Data] = [Data(), Data([0x50, 0x4B, 0x03, 0x04]),
                                Data([0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E])]
        let url = Builder.temporaryURL("random.pt")
        for round in 0 ..< 150 {
            var bytes = prefixes[round % prefixes.count]
            bytes.append(contentsOf: (0 ..< Int.random(in: 1 ... 400, using: &generator)).map { _ in UInt8.random(in: 0 ... 255, using: &generator) })
            try bytes.write(to: url)
            assertRefused(url.path) { _ in true }
        }
    }

    func testHugeLengthsShapesAndCounts() throws {
        let string = Builder().op(.binUnicode, [0xF0, 0xFF, 0xFF, 0xFF, 0x41]).op(.stop).bytes
        for path in try files("huge_string", zipPickle: string) {
            assertRefused(path) {
                guard case .unpickling(let error, _) = $0, case .truncated(4_294_967_280, _) = error.reason else { return false }
                return true
            }
        }
        var huge = weightSpec
        huge.shape = [Int(Int32.max), Int(Int32.max), Int(Int32.max)]
        huge.strides = [1, 1, 1]
        for path in try files("huge_shape", zipPickle: Builder.stateDict([huge]), legacyPickle: Builder.stateDict([huge], legacy: true)) {
            assertRefused(path, tensor: "w") { $0 == .torchStorage(.shapeOverflows(huge.shape)) }
        }
        var negative = weightSpec
        negative.strides = [3, -1]
        for path in try files("negative_stride", zipPickle: Builder.stateDict([negative]), legacyPickle: Builder.stateDict([negative], legacy: true)) {
            assertRefused(path, tensor: "w") {
                $0 == .torchPickle(.rebuild(function: "_rebuild_tensor_v2", .negativeSizeOrStride(shape: [2, 3], strides: [3, -1])))
            }
        }
        // A storage offset of 2^63 - 1 (LONG1), which the view check must not overflow on.
        let farOffset = Builder().op(.emptyDict).string("w").global("torch._utils", "_rebuild_tensor_v2").op(.mark)
            .op(.mark).string("storage").global("torch", "FloatStorage").string("0").string("cpu").int(6).op(.tuple)
            .op(.binPersId).op(.long1, [8] + withUnsafeBytes(of: Int64.max.littleEndian) { Array($0) })
            .ints([1]).ints([1]).op(.newFalse).op(.emptyDict).op(.tuple).op(.reduce).op(.setItem).op(.stop).bytes
        for path in try files("far_offset", zipPickle: farOffset) {
            assertRefused(path, tensor: "w") {
                guard case .torchStorage(.viewPastStorage(_, _, _, _, nil)) = $0 else { return false }
                return true
            }
        }
        // A legacy storage whose element count claims 2^61 elements.
        var legacy = Builder.legacy(pickle: Builder.stateDict([weightSpec], legacy: true), storages: [("0", weightBytes, 4)])
        let countOffset = legacy.count - weightBytes.count - 8
        legacy.replaceSubrange(countOffset ..< countOffset + 8, with: withUnsafeBytes(of: Int64(1 << 61).littleEndian) { Data($0) })
        let url = Builder.temporaryURL("huge_count.pt")
        try legacy.write(to: url)
        assertRefused(url.path) { $0 == .torchFormat(.storageElementCount(storage: "0", count: 1 << 61)) }
        // A zip whose directory claims a 2 GB storage member.
        let zip = Builder.temporaryURL("huge_member.pt")
        try Builder.writeZip(to: zip, pickle: Builder.stateDict([weightSpec]), storages: ["0": weightBytes])
        var bytes = try Data(contentsOf: zip)
        // The central directory entry starts 46 bytes before its file name (the last copy of the name).
        let name = try XCTUnwrap(bytes.range(of: Data("archive/data/0".utf8), options: .backwards))
        let header = name.lowerBound - 46
        XCTAssertEqual(bytes[header ..< header + 4], Data([0x50, 0x4B, 0x01, 0x02]))
        bytes.replaceSubrange(header + 20 ..< header + 28, with: Data([0xF0, 0xFF, 0xFF, 0x7F, 0xF0, 0xFF, 0xFF, 0x7F]))
        try bytes.write(to: zip)
        assertRefused(zip.path) {
            guard case .zip(.memberBeyondFile(3, _)) = $0 else { return false }
            return true
        }
    }

    /// Little-endian bytes of an integer.
    func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }

    /// A one-member stored zip whose central-directory entry takes its local
    /// header offset from a ZIP64 extra field holding `offset`.
    func zipWithZip64Offset(_ offset: UInt64) -> Data {
        let name = Array("archive/data.pkl".utf8)
        let body: [UInt8] = [0x80, 0x02, 0x4E, 0x2E]
        var bytes = le(UInt32(0x0403_4B50)) + le(UInt16(20)) + [UInt8](repeating: 0, count: 8) + le(UInt32(0))
        bytes += le(UInt32(body.count)) + le(UInt32(body.count)) + le(UInt16(name.count)) + le(UInt16(0)) + name + body
        let directory = bytes.count
        bytes += le(UInt32(0x0201_4B50)) + le(UInt16(0x031E)) + le(UInt16(45)) + [UInt8](repeating: 0, count: 8)
        bytes += le(UInt32(0)) + le(UInt32(body.count)) + le(UInt32(body.count)) + le(UInt16(name.count)) + le(UInt16(12))
        bytes += le(UInt16(0)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt32(0o100644 << 16)) + le(UInt32.max) + name
        bytes += le(UInt16(1)) + le(UInt16(8)) + le(offset)
        let size = bytes.count - directory
        bytes += le(UInt32(0x0605_4B50)) + le(UInt32(0)) + le(UInt16(1)) + le(UInt16(1)) + le(UInt32(size))
        bytes += le(UInt32(directory)) + le(UInt16(0))
        return Data(bytes)
    }

    func testZip64FieldsBeyondAnyArchive() throws {
        // Found by fuzzing: ZIPFoundation traps on 64-bit offsets that do not fit off_t.
        let extra = Builder.temporaryURL("zip64_extra.pt")
        try zipWithZip64Offset(UInt64.max).write(to: extra)
        assertRefused(extra.path) { $0 == .zip(.impossibleZip64Value(.max)) }
        // A ZIP64 end record (and its locator) pointing the directory at 2^64 - 1.
        var bytes = zipWithZip64Offset(0)
        let end = bytes.count - 22
        var record = le(UInt32(0x0606_4B50)) + le(UInt64(44)) + le(UInt16(45)) + le(UInt16(45)) + le(UInt32(0)) + le(UInt32(0))
        record += le(UInt64(1)) + le(UInt64(1)) + le(UInt64(100)) + le(UInt64.max)
        let locator = le(UInt32(0x0706_4B50)) + le(UInt32(0)) + le(UInt64(end)) + le(UInt32(1))
        bytes.insert(contentsOf: record + locator, at: end)
        let url = Builder.temporaryURL("zip64_end.pt")
        try bytes.write(to: url)
        assertRefused(url.path) {
            guard case .zip(.directoryOutsideFile(_, .max, _)) = $0 else { return false }
            return true
        }
    }

    func testByteOrderVersionAndFormatChecks() throws {
        let pickle = Builder.stateDict([weightSpec])
        let big = Builder.temporaryURL("big.pt")
        try Builder.writeZip(to: big, pickle: pickle, storages: ["0": weightBytes], byteorder: "big")
        assertRefused(big.path) { $0 == .torchFormat(.bigEndian(legacy: false)) }
        let bigLegacy = Builder.temporaryURL("big_legacy.pt")
        try Builder.legacy(pickle: Builder.stateDict([weightSpec], legacy: true), storages: [("0", weightBytes, 4)],
                           littleEndian: false).write(to: bigLegacy)
        assertRefused(bigLegacy.path) { $0 == .torchFormat(.bigEndian(legacy: true)) }
        let noByteorder = Builder.temporaryURL("no_byteorder.pt")
        try Builder.writeZip(to: noByteorder, pickle: pickle, storages: ["0": weightBytes], byteorder: nil)
        XCTAssertEqual(try TensorFile.open(noByteorder.path).tensors.count, 1)

        let future = Builder.temporaryURL("future.pt")
        try Builder.writeZip(to: future, pickle: pickle, storages: ["0": weightBytes], version: "99")
        assertRefused(future.path) {
            guard case .torchFormat(.archiveVersion("99", _)) = $0 else { return false }
            return true
        }
        let oldProtocol = Builder.temporaryURL("protocol.pt")
        try Builder.legacy(pickle: Builder.stateDict([weightSpec], legacy: true), storages: [("0", weightBytes, 4)],
                           protocolVersion: 1000).write(to: oldProtocol)
        assertRefused(oldProtocol.path) { $0 == .torchFormat(.legacyProtocol(found: "1000", expected: 1001)) }

        let script = Builder.temporaryURL("script.pt")
        try Builder.writeZip(to: script, pickle: pickle, storages: ["0": weightBytes])
        let archive = try Archive(url: script, accessMode: .update)
        try archive.addEntry(with: "archive/constants.pkl", type: .file, uncompressedSize: Int64(1)) { (_: Int64, _: Int) in Data([0x2E]) }
        assertRefused(script.path) {
            guard case .unpickling(let error, .member("archive/constants.pkl")) = $0,
                  case .malformed(.stop, .stopWithEmptyStack) = error.reason else { return false }
            return true
        }
    }

    func testUnsupportedDtypeIsNamed() throws {
        // torch 2.x saves uint16 as _rebuild_tensor_v3(UntypedStorage, …, torch.uint16).
        let pickle = Builder().op(.emptyDict).string("x").global("torch._utils", "_rebuild_tensor_v3").op(.mark)
            .op(.mark).string("storage").global("torch.storage", "UntypedStorage").string("0").string("cpu").int(24)
            .op(.tuple).op(.binPersId).int(0).ints([3]).ints([1]).op(.newFalse).op(.emptyDict)
            .global("torch", "uint16").op(.tuple).op(.reduce).op(.setItem).op(.stop).bytes
        let url = Builder.temporaryURL("uint16.pt")
        try Builder.writeZip(to: url, pickle: pickle, storages: ["0": weightBytes])
        assertRefused(url.path, tensor: "x") { $0 == .unsupportedDType(.unknown("torch.uint16", in: .pytorch)) }
    }
}
