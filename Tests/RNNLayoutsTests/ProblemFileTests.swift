import Foundation
import TensorFiles
import XCTest
@testable import RNNLayouts

/// The damaged files of Fixtures/problems/: each reports exactly the tensors
/// problems.json lists (every `must_report`, nothing outside `must_report` ∪
/// `may_report`), keeps the damaged module, and leaves healthy modules alone.
final class ProblemFileTests: XCTestCase {
    struct Catalog: Decodable {
        struct Entry: Decodable {
            var file: String
            var format: String
            var module: String
            var sourceModule: FixtureSpec.Module
            var mustReport: [String]
            var mayReport: [String]
            var healthyModules: [String]

            enum CodingKeys: String, CodingKey {
                case file, format, module
                case sourceModule = "source_module", mustReport = "must_report", mayReport = "may_report"
                case healthyModules = "healthy_modules"
            }
        }

        var files: [Entry]
    }

    static var folder: URL { FixtureSpec.root.appendingPathComponent("problems") }

    func entries() throws -> [Catalog.Entry] {
        let path = Self.folder.appendingPathComponent("problems.json").path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw XCTSkip("Fixtures/problems/problems.json not generated yet (make fixtures)")
        }
        let entries = try JSONDecoder().decode(Catalog.self, from: data).files
        XCTAssertFalse(entries.isEmpty)
        return entries
    }

    func testEachFileReportsExactlyTheListedTensors() throws {
        for entry in try entries() {
            let inspection: Inspection
            do {
                let file = try TensorFile.open(Self.folder.appendingPathComponent(entry.file).path)
                // The manifest names the family: npy for a folder of .npy, pytorch for both checkpoint formats.
                XCTAssertTrue(file.format.rawValue.hasPrefix(entry.format), "\(entry.file): \(file.format)")
                inspection = try Inspector.inspect(file.tensors, checkingValues: true)
            } catch {
                XCTFail("\(entry.file): \(error)")
                continue
            }
            let reported = Set(inspection.problems.compactMap(\.tensor))
            XCTAssertTrue(Set(entry.mustReport).isSubset(of: reported),
                          "\(entry.file): must report \(entry.mustReport), reported \(inspection.problems)")
            XCTAssertTrue(reported.isSubset(of: Set(entry.mustReport + entry.mayReport)),
                          "\(entry.file): reported \(inspection.problems)")
            let damaged = inspection.module(named: entry.module)
            XCTAssertNotNil(damaged, "\(entry.file): module '\(entry.module)' should still be inferred")
            if let damaged {
                XCTAssertEqual(damaged.architecture, entry.sourceModule.architecture, entry.file)
            }
            for healthy in entry.healthyModules {
                let module = inspection.module(named: healthy)
                XCTAssertNotNil(module, "\(entry.file): '\(healthy)'")
                if let module { XCTAssertEqual(inspection.problems(of: module), [], "\(entry.file): '\(healthy)'") }
            }
        }
    }
}
