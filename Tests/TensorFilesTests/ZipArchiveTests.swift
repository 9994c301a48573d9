import Foundation
import XCTest
@testable import TensorFiles

/// `ZipArchive` reads the directory of the file it mapped, never of whatever
/// its path names later: ZIPFoundation, which lists the members, opens a file
/// itself, and is given the mapped file's own descriptor (`MappedFile.reopen`).
final class ZipArchiveTests: XCTestCase {
    /// A stored NPZ at `name` in this test's folder with one float tensor per name.
    private func npz(_ name: String, tensors: [String]) throws -> String {
        let target = try FormatSamples.temporaryDirectory(self).appendingPathComponent(name).path
        let named = tensors.enumerated().map { index, tensor in
            NamedTensor(name: tensor, tensor: Tensor(shape: [4], floats: [Float](repeating: Float(index), count: 4)))
        }
        try NPZWriter.write(named, to: target)
        return target
    }

    func testAMappedArchiveListsItsOwnMembers() throws {
        let path = try npz("a.npz", tensors: ["a", "b"])
        let archive = try ZipArchive(map: try MappedFile(path: path))
        XCTAssertEqual(archive.members.map(\.path), ["a.npy", "b.npy"])
    }

    func testAnArchiveReplacedAfterMappingIsRefusedNotListedFromTheNewFile() throws {
        let path = try npz("a.npz", tensors: ["a", "b"])
        let other = try npz("other.npz", tensors: ["c"])
        let map = try MappedFile(path: path)
        XCTAssertEqual(rename(other, path), 0)
        XCTAssertThrowsError(try ZipArchive(map: map)) { error in
            XCTAssertEqual((error as? TensorFileError)?.reason, .changedWhileReading)
            XCTAssertEqual((error as? TensorFileError)?.description,
                           "\(path): the file was removed or replaced while rnnkit was reading it")
        }
    }

    func testAnArchiveRemovedAfterMappingIsRefused() throws {
        let path = try npz("a.npz", tensors: ["a"])
        let map = try MappedFile(path: path)
        XCTAssertEqual(unlink(path), 0)
        XCTAssertThrowsError(try ZipArchive(map: map)) { error in
            XCTAssertEqual((error as? TensorFileError)?.reason, .changedWhileReading)
        }
    }

    func testAFolderPutInPlaceOfTheArchiveIsRefused() throws {
        let path = try npz("a.npz", tensors: ["a"])
        let map = try MappedFile(path: path)
        XCTAssertEqual(unlink(path), 0)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        XCTAssertThrowsError(try ZipArchive(map: map)) { error in
            XCTAssertEqual((error as? TensorFileError)?.reason, .changedWhileReading)
        }
    }
}
