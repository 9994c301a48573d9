import Foundation
import XCTest
import ZIPFoundation
@testable import TensorFiles

final class NPZTests: XCTestCase {
    func testNumpyWrittenArchivesMatchTheirValues() throws {
        try FormatSamples.checkAllSamples(.npz, minimum: 5)
    }

    func testStoredMembersAreViewsAndDeflatedOnesInflateOnRequest() throws {
        let stored = try NPZReader.read(path: FormatSamples.root.appendingPathComponent("npz/stored.npz").path)
        XCTAssertTrue(try XCTUnwrap(stored.tensor(named: "f32_3d")).isLoaded)
        XCTAssertFalse(try XCTUnwrap(stored.tensor(named: "f32_3d__fortran")).isLoaded)
        let deflated = try NPZReader.read(path: FormatSamples.root.appendingPathComponent("npz/deflated.npz").path)
        XCTAssertFalse(deflated.tensors.contains { $0.tensor.isLoaded })
    }

    func testPrefixInflatesOnlyTheStartOfAMember() throws {
        let archive = try ZipArchive(path: FormatSamples.root.appendingPathComponent("npz/deflated.npz").path)
        for member in archive.members {
            let whole = try archive.contents(of: member)
            XCTAssertEqual(whole.count, member.size)
            for count in [0, 1, 10, 64, 200, member.size, member.size + 5] {
                XCTAssertEqual(try archive.prefix(of: member, count: count), whole.prefix(count), member.path)
            }
        }
    }

    func testEveryTruncationFailsWithTheFileName() throws {
        let directory = try FormatSamples.temporaryDirectory(self)
        for (path, _) in FormatSamples.samples("npz") {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            let step = bytes.count > 2000 ? 7 : 1
            for cut in stride(from: 0, to: bytes.count, by: step) {
                let target = directory.appendingPathComponent("cut.npz").path
                try FormatSamples.overwrite(target, with: bytes.prefix(cut))
                XCTAssertFalse(FormatSamples.openAndReadAll(target, "\(path) cut at \(cut)"), "\(path) cut at \(cut) was read")
            }
        }
    }

    func testEveryFlippedByteIsAnErrorOrReadable() throws {
        let directory = try FormatSamples.temporaryDirectory(self)
        for name in ["mixed.npz", "zip64_stored.npz", "zip64_deflated.npz"] {
            let bytes = try Data(contentsOf: FormatSamples.root.appendingPathComponent("npz/\(name)"))
            for position in 0 ..< bytes.count {
                var damaged = bytes
                damaged[position] ^= 0xFF
                let target = directory.appendingPathComponent("flipped.npz").path
                try FormatSamples.overwrite(target, with: damaged)
                FormatSamples.openAndReadAll(target, "\(name) with byte \(position) flipped")
            }
        }
    }

    func testImpossibleZIP64OffsetIsRefusedBeforeZIPFoundationSeesIt() throws {
        // zip64_stored.npz's central directory gives the second member's local
        // header offset in a ZIP64 field; make it 2^63 (ZIPFoundation traps on it).
        var bytes = try Data(contentsOf: FormatSamples.root.appendingPathComponent("npz/zip64_stored.npz"))
        let offsets = try bytes.withUnsafeBytes { try ZipDirectoryBounds($0, file: "x").localHeaderOffsets }
        let offsetBytes = withUnsafeBytes(of: UInt64(offsets[1]).littleEndian) { Data($0) }
        let found = try XCTUnwrap(bytes.lastRange(of: offsetBytes), "ZIP64 offset field not found")
        bytes.replaceSubrange(found, with: withUnsafeBytes(of: (UInt64(1) << 63).littleEndian) { Data($0) })
        let target = try FormatSamples.temporaryDirectory(self).appendingPathComponent("hostile.npz").path
        try bytes.write(to: URL(fileURLWithPath: target))
        FormatSamples.assertFails(target, "offset 2^63") { _ = try NPZReader.read(path: target) }
    }

    func testMemberWhoseHeaderClaimsMoreThanItHoldsIsRefused() throws {
        var npy = try NPYWriter.encode(Tensor(shape: [2, 2], floats: [1, 2, 3, 4]))
        npy.removeLast(4)
        let target = try FormatSamples.temporaryDirectory(self).appendingPathComponent("short.npz")
        let archive = try Archive(url: target, accessMode: .create)
        try archive.addEntry(with: "w.npy", type: .file, uncompressedSize: Int64(npy.count), compressionMethod: .deflate,
                             provider: { position, size in npy.subdata(in: Int(position) ..< Int(position) + size) })
        FormatSamples.assertFails(target.path, "short member") { _ = try NPZReader.read(path: target.path) }
    }

    func testDuplicateMembersAreRefused() throws {
        let npy = try NPYWriter.encode(Tensor(shape: [1], floats: [1]))
        let target = try FormatSamples.temporaryDirectory(self).appendingPathComponent("twice.npz")
        let archive = try Archive(url: target, accessMode: .create)
        for _ in 0 ..< 2 {
            try archive.addEntry(with: "w.npy", type: .file, uncompressedSize: Int64(npy.count),
                                 provider: { position, size in npy.subdata(in: Int(position) ..< Int(position) + size) })
        }
        XCTAssertThrowsError(try NPZReader.read(path: target.path)) { error in
            XCTAssertEqual((error as? TensorFileError)?.reason, .duplicateName("w"))
        }
    }
}

final class NPZBoundsTests: XCTestCase {
    func testADeflatedMemberClaimingMoreThanDeflateCanProduceIsRefused() throws {
        // A real deflated archive whose directory is patched to claim 1 TiB for its member.
        let npy = try NPYWriter.encode(Tensor(shape: [4], floats: [1, 2, 3, 4]))
        let target = try FormatSamples.temporaryDirectory(self).appendingPathComponent("bomb.npz")
        try NPZWriter.write([NamedTensor(name: "w", tensor: Tensor(shape: [4], floats: [1, 2, 3, 4]))], to: target.path, compressed: true)
        var bytes = try Data(contentsOf: target)
        let size = withUnsafeBytes(of: UInt32(npy.count).littleEndian) { Data($0) }
        let directory = try XCTUnwrap(bytes.lastRange(of: Data([0x50, 0x4B, 0x01, 0x02])))
        let field = directory.lowerBound + 24
        XCTAssertEqual(bytes[field ..< field + 4], size)
        bytes.replaceSubrange(field ..< field + 4, with: [0xFE, 0xFF, 0xFF, 0xFF])
        try FormatSamples.overwrite(target.path, with: bytes)
        XCTAssertThrowsError(try NPZReader.read(path: target.path)) { error in
            guard case .zip(.beyondDeflateRatio(let size, _))? = (error as? TensorFileError)?.reason else { return XCTFail("\(error)") }
            XCTAssertEqual(size, 0xFFFF_FFFE)
        }
    }
}
