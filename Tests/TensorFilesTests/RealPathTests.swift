import Foundation
import XCTest
@testable import TensorFiles

/// `RealPath` and `MappedFile.openedPath`: a file found inside a folder must
/// really lie inside it, judged on the file actually opened.
final class RealPathTests: XCTestCase {
    private func file(_ url: URL) throws -> URL {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("bytes".utf8).write(to: url)
        return url
    }

    func testOpenedPathIsTheRealFileBehindLinks() throws {
        let root = try FormatSamples.temporaryDirectory(self)
        let real = try file(root.appendingPathComponent("data/real.bin"))
        let link = root.appendingPathComponent("link.bin")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "data/real.bin")
        let map = try MappedFile(path: link.path)
        XCTAssertEqual(map.openedPath, RealPath.of(real.path))
        XCTAssertNotEqual(map.openedPath, RealPath.of(root.path).map { $0 + "/link.bin" })
    }

    func testTheOpenedFileIsJudgedNotWhatTheNameLeadsToLater() throws {
        let root = try FormatSamples.temporaryDirectory(self)
        let folder = root.appendingPathComponent("folder")
        let inside = try file(folder.appendingPathComponent("inside.bin"))
        let outside = try file(root.appendingPathComponent("outside.bin"))
        let realFolder = try XCTUnwrap(RealPath.of(folder.path))
        let link = folder.appendingPathComponent("w.bin")

        // Opened while the link led outside, judged after it was pointed inside: refused.
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: outside)
        let escaped = try MappedFile(path: link.path)
        try FileManager.default.removeItem(at: link)
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: inside)
        XCTAssertTrue(RealPath.isInside(try XCTUnwrap(RealPath.of(link.path)), folder: realFolder))
        XCTAssertThrowsError(try RealPath.checkOpened(escaped, isInside: realFolder, file: link.path)) { error in
            XCTAssertEqual((error as? TensorFileError)?.reason, .leadsOutsideFolder(target: RealPath.of(outside.path)!))
        }
        // Opened inside: accepted.
        XCTAssertNoThrow(try RealPath.checkOpened(try MappedFile(path: link.path), isInside: realFolder, file: link.path))
    }

    func testInsideMeansBelowTheFolderNotAPrefixOfItsName() {
        XCTAssertTrue(RealPath.isInside("/a/b/c.npy", folder: "/a/b"))
        XCTAssertFalse(RealPath.isInside("/a/bc/d.npy", folder: "/a/b"))
        XCTAssertFalse(RealPath.isInside("/a/b", folder: "/a/b"))
        XCTAssertTrue(RealPath.isInside("/x.npy", folder: "/"))
    }
}
