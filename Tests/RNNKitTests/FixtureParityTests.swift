import Foundation
import RNNKit
import TensorFiles
import XCTest

/// Parity with PyTorch: every fixture in `Fixtures/` runs to its stored
/// reference outputs within the default tolerance.
final class FixtureParityTests: XCTestCase {
    static var fixturesFolder: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures").path
    }

    /// Every fixture whose weight container rnnkit recognises as the one its
    /// manifest declares (a reader that has not landed yet leaves its fixtures
    /// out, and they join as soon as it does).
    static func runnableFixtures() throws -> (runnable: [String], waiting: [String]) {
        var runnable: [String] = []
        var waiting: [String] = []
        for folder in try Fixture.find(in: [fixturesFolder]) {
            let data = try Data(contentsOf: URL(fileURLWithPath: folder).appendingPathComponent("fixture.json"))
            let manifest = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
            let format = manifest["format"] as? String ?? ""
            let weights = (folder as NSString).appendingPathComponent(manifest["weights"] as? String ?? "")
            // The manifest names the family (npy for a folder, pytorch for both checkpoint formats); weights not made yet match none.
            let detected = (try? FormatSniffer.format(of: weights))?.rawValue ?? "?"
            if !format.isEmpty, detected.hasPrefix(format) { runnable.append(folder) } else { waiting.append(folder) }
        }
        return (runnable, waiting)
    }

    func testEveryFixtureMatchesItsReference() throws {
        let (folders, waiting) = try Self.runnableFixtures()
        XCTAssertGreaterThanOrEqual(folders.count, 40, "fixtures under \(Self.fixturesFolder); waiting for a reader: \(waiting)")
        if !waiting.isEmpty { print("FixtureParityTests: waiting for their container's reader: \(waiting)") }
        for folder in folders {
            do {
                let result = try FixtureVerifier.verify(folder: folder)
                XCTAssertFalse(result.comparisons.isEmpty, "\(folder): nothing compared")
                for comparison in result.comparisons where !comparison.passed {
                    XCTFail("\(folder): \(comparison.name) shape \(comparison.actualShape ?? []) vs \(comparison.expectedShape), "
                        + "max abs error \(comparison.maxAbsError), \(comparison.mismatches) elements outside atol \(comparison.tolerance.atol)")
                }
            } catch {
                XCTFail("\(folder): \(error)")
            }
        }
    }

    func testPublishedG2PWeightsMatchTheirOwnImplementation() throws {
        // A real published file with its own names, mapped with renames (see its SOURCE.md).
        let folder = (Self.fixturesFolder as NSString).appendingPathComponent("published/g2p_en_gru")
        let fixture = try Fixture(folder: folder)
        XCTAssertFalse(fixture.manifest.renames.isEmpty)
        let result = try FixtureVerifier.verify(folder: folder)
        XCTAssertEqual(result.comparisons.map(\.name), ["output", "h_n"])
        XCTAssertTrue(result.passed, "\(result.comparisons)")
        XCTAssertTrue(result.summary.hasPrefix("GRU layer 'encoder'"), result.summary)
    }

    func testAFixtureWithoutItsRenamesCannotRun() throws {
        let folder = (Self.fixturesFolder as NSString).appendingPathComponent("published/g2p_en_gru")
        var request = try Fixture(folder: folder).request()
        request.renames = []
        XCTAssertThrowsError(try request.execute()) { error in
            guard let error = error as? FileInputError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.file, (folder as NSString).appendingPathComponent("checkpoint20.npz"))
            XCTAssertEqual(error.underlying as? LayoutError, .noSuchModule("encoder", available: []))
        }
    }
}
