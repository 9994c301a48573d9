import Foundation
import XCTest
@testable import TensorFiles

/// zlib's inflate behind `ZipArchive` (`rk_inflate`): the declared size and
/// CRC-32 are enforced, and a deflated NPZ member is inflated once.
final class ZipInflateTests: XCTestCase {
    private let values: [Float] = (0 ..< 256).map { Float($0 % 7) }

    /// A deflated NPZ written by rnnkit, with one member `w`.
    private func deflatedNPZ() throws -> String {
        let target = try FormatSamples.temporaryDirectory(self).appendingPathComponent("w.npz").path
        try NPZWriter.write([NamedTensor(name: "w", tensor: Tensor(shape: [256], floats: values))], to: target, compressed: true)
        return target
    }

    /// Rewrites a 32-bit field of every local header (at `local`) and
    /// central-directory record (at `central`) of the archive.
    private func patch(_ path: String, local: Int, central: Int, _ change: (UInt32) -> UInt32) throws {
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        for (signature, field) in [(UInt32(0x0403_4B50), local), (0x0201_4B50, central)] {
            var position = 0
            while position + 46 <= bytes.count {
                let word = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: position, as: UInt32.self) }
                if word == signature {
                    let old = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: position + field, as: UInt32.self) }
                    withUnsafeBytes(of: change(old).littleEndian) { bytes.replaceSubrange(position + field ..< position + field + 4, with: $0) }
                }
                position += 1
            }
        }
        try FormatSamples.overwrite(path, with: bytes)
    }

    func testADeflatedMemberIsInflatedOnceAndKept() throws {
        let file = try NPZReader.read(path: try deflatedNPZ())
        let tensor = try XCTUnwrap(file.tensor(named: "w"))
        let first = try tensor.data(), second = try tensor.data()
        XCTAssertEqual(try tensor.floats(), values)
        // The same buffer both times: the second call did not inflate again.
        XCTAssertEqual(first.withUnsafeBytes { $0.baseAddress }, second.withUnsafeBytes { $0.baseAddress })
    }

    func testAMemberInflatingPastItsDeclaredSizeIsRefused() throws {
        let path = try deflatedNPZ()
        try patch(path, local: 22, central: 24) { $0 - 1 }
        let archive = try ZipArchive(path: path)
        XCTAssertThrowsError(try archive.contents(of: archive.members[0])) { error in
            XCTAssertEqual((error as? TensorFileError)?.reason, .zip(.inflatesPastSize(declared: archive.members[0].size)))
        }
    }

    func testAMemberInflatingShortOfItsDeclaredSizeIsRefused() throws {
        let path = try deflatedNPZ()
        try patch(path, local: 22, central: 24) { $0 + 1 }
        let archive = try ZipArchive(path: path)
        XCTAssertThrowsError(try archive.contents(of: archive.members[0])) { error in
            XCTAssertEqual((error as? TensorFileError)?.reason,
                           .zip(.inflatedSize(produced: archive.members[0].size - 1, declared: archive.members[0].size)))
        }
    }

    func testACRCMismatchIsRefused() throws {
        let path = try deflatedNPZ()
        try patch(path, local: 14, central: 16) { $0 ^ 1 }
        XCTAssertThrowsError(try NPZReader.read(path: path).tensors[0].tensor.data()) { error in
            XCTAssertEqual((error as? TensorFileError)?.reason, .zip(.crcMismatch))
        }
    }
}
