import Foundation
import TensorFiles
import XCTest

/// End-to-end tests of `rnnkit verify` through the built binary.
final class VerifyCommandTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnnkit-verify-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// A copy of the published g2p_en fixture, with `change` applied to its folder.
    private func copyOfFixture(_ name: String, change: (URL) throws -> Void = { _ in }) throws -> URL {
        let copy = folder.appendingPathComponent(name)
        try FileManager.default.copyItem(at: CLI.fixtures.appendingPathComponent("published/g2p_en_gru"), to: copy)
        try change(copy)
        return copy
    }

    /// Adds `delta` to the first element of the fixture's input.
    private func perturbInput(_ fixture: URL, by delta: Float) throws {
        let path = fixture.appendingPathComponent("input.npy")
        let input = try XCTUnwrap(TensorFile.open(path.path).tensors.first?.tensor)
        var values = try input.floats()
        values[0] += delta
        try NPYWriter.encode(Tensor(shape: input.shape, floats: values)).write(to: path)
    }

    /// Fixture folders whose weight container is recognised as the declared one
    /// (fixtures of a reader that has not landed yet join when it does).
    private func runnableFixtures() throws -> [String] {
        let manager = FileManager.default
        let folders = try manager.contentsOfDirectory(atPath: CLI.fixtures.path).sorted()
            .map { CLI.fixtures.appendingPathComponent($0) } + [CLI.fixtures.appendingPathComponent("published/g2p_en_gru")]
        return try folders.compactMap { folder -> String? in
            guard let data = manager.contents(atPath: folder.appendingPathComponent("fixture.json").path) else { return nil }
            let manifest = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
            let weights = folder.appendingPathComponent(manifest["weights"] as? String ?? "").path
            // The manifest names the family (npy for a folder, pytorch for both checkpoint formats); weights not made yet match none.
            let detected = (try? FormatSniffer.format(of: weights))?.rawValue ?? "?"
            return detected.hasPrefix(manifest["format"] as? String ?? "?") ? folder.path : nil
        }
    }

    func testEveryBundledFixturePasses() throws {
        let fixtures = try runnableFixtures()
        XCTAssertGreaterThanOrEqual(fixtures.count, 40)
        let result = try CLI.run(["verify"] + fixtures)
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        XCTAssertTrue(result.stdout.contains("g2p_en_gru: PASS"), result.stdout)
        XCTAssertTrue(result.stdout.contains("max abs err"), result.stdout)
        XCTAssertFalse(result.stdout.contains("FAIL"), result.stdout)
        XCTAssertTrue(result.stdout.contains("\(fixtures.count) fixtures: \(fixtures.count) passed, 0 failed"), result.stdout)
    }

    func testPerturbedCopyExitsOne() throws {
        let perturbed = try copyOfFixture("perturbed") { try self.perturbInput($0, by: 0.5) }
        let result = try CLI.run(["verify", perturbed.path])
        XCTAssertEqual(result.status, 1, result.stdout + result.stderr)
        XCTAssertTrue(result.stdout.contains("perturbed: FAIL"), result.stdout)
        XCTAssertTrue(result.stdout.contains("0 passed, 1 failed"), result.stdout)

        let loose = try CLI.run(["verify", perturbed.path, "--atol", "10"])
        XCTAssertEqual(loose.status, 0, "a tolerance of 10 accepts the perturbation: \(loose.stdout)")
    }

    func testUnreadableFixtureExitsTwoAndOthersAreStillChecked() throws {
        _ = try copyOfFixture("a_good")
        _ = try copyOfFixture("b_broken") { copy in
            try FileManager.default.removeItem(at: copy.appendingPathComponent("input.npy"))
        }
        let result = try CLI.run(["verify", folder.path])
        XCTAssertEqual(result.status, 2, result.stdout + result.stderr)
        XCTAssertTrue(result.stdout.contains("a_good: PASS"), result.stdout)
        XCTAssertTrue(result.stdout.contains("b_broken: ERROR"), result.stdout)
        XCTAssertTrue(result.stdout.contains("input.npy"), result.stdout)

        let missing = try CLI.run(["verify", folder.appendingPathComponent("nothing").path])
        XCTAssertEqual(missing.status, 2)
        let corrupt = try copyOfFixture("corrupt") { copy in
            try Data("{\"weights\": 3}".utf8).write(to: copy.appendingPathComponent("fixture.json"))
        }
        let corruptResult = try CLI.run(["verify", corrupt.path])
        XCTAssertEqual(corruptResult.status, 2)
        XCTAssertTrue(corruptResult.stdout.contains("fixture.json"), corruptResult.stdout)
    }

    func testJSONReport() throws {
        let perturbed = try copyOfFixture("perturbed") { try self.perturbInput($0, by: 0.5) }
        let result = try CLI.run(["verify", perturbed.path, "--json"])
        XCTAssertEqual(result.status, 1)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(object?["failed"] as? Int, 1)
        let fixture = (object?["fixtures"] as? [[String: Any]])?.first
        XCTAssertEqual(fixture?["status"] as? String, "fail")
        let tensors = fixture?["tensors"] as? [[String: Any]]
        XCTAssertEqual(tensors?.map { $0["name"] as? String }, ["output", "h_n"])
        XCTAssertEqual(tensors?.first?["shape"] as? [Int], [3, 9, 256])
        XCTAssertGreaterThan(tensors?.first?["max_abs_error"] as? Double ?? 0, 1e-5)
        XCTAssertEqual(tensors?.first?["pass"] as? Bool, false)
    }

    func testHelpHasExamples() throws {
        let help = try CLI.run(["verify", "--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("EXAMPLES"), help.stdout)
        XCTAssertTrue(help.stdout.contains("--atol"), help.stdout)
    }
}
