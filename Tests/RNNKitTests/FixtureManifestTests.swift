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
        let manifest = (folder.path as NSString).appendingPathComponent("fixture.json")
        XCTAssertThrowsError(try Fixture(folder: folder.path)) { error in
            XCTAssertEqual(error as? FixtureError, FixtureError(file: manifest, .missingKey("inputs", in: "")))
            // The exact wording: the manifest's key, not a decoder's coding path.
            XCTAssertEqual("\(error)", "\(manifest): not a fixture manifest: missing key 'inputs'")
        }
        try Data(#"{"weights": "w.npz", "inputs": {"input": "x.npy"}, "flags": {"nonlinearity": "gelu"}}"#.utf8)
            .write(to: folder.appendingPathComponent("fixture.json"))
        XCTAssertThrowsError(try Fixture(folder: folder.path).request()) { error in
            XCTAssertEqual(error as? FixtureError, FixtureError(file: manifest, .nonlinearity("gelu")))
        }
    }
}
