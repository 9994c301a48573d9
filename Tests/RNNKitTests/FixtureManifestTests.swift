import Foundation
import RNNKit
import XCTest

/// A fixture manifest that cannot be used names the key and the file.
final class FixtureManifestTests: XCTestCase {
    func testManifestErrorsNameTheKey() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnnkit-manifest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(#"{"weights": "w.npz"}"#.utf8).write(to: folder.appendingPathComponent("fixture.json"))
        XCTAssertThrowsError(try Fixture(folder: folder.path)) { error in
            XCTAssertTrue("\(error)".contains("missing key 'inputs'"), "\(error)")
            XCTAssertTrue("\(error)".contains("fixture.json"), "\(error)")
        }
        try Data(#"{"weights": "w.npz", "inputs": {"input": "x.npy"}, "flags": {"nonlinearity": "gelu"}}"#.utf8)
            .write(to: folder.appendingPathComponent("fixture.json"))
        XCTAssertThrowsError(try Fixture(folder: folder.path).request()) { error in
            XCTAssertTrue("\(error)".contains("gelu"), "\(error)")
        }
    }
}
