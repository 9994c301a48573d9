import XCTest

final class VersionTests: XCTestCase {
    func testHelpListsSubcommands() throws {
        let result = try CLI.run(["--help"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("inspect"), result.stdout)
    }

    func testMissingFileExitsTwoAndNamesIt() throws {
        let result = try CLI.run(["inspect", "/nonexistent/weights.h5"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("/nonexistent/weights.h5"), result.stderr)
    }
}
