import Foundation
import TensorFiles
import XCTest

/// `rnnkit inspect --json` on every fixture, compared with fixture.json as
/// PyTorch wrote it: the modules (every key of the schema), the shapes of the
/// reference module in both layouts, the other tensors, and the problem files.
final class InspectFixtureTests: XCTestCase {
    /// Every `fixture.json` under Fixtures/ (any depth), decoded as plain JSON.
    func fixtures() throws -> [(folder: URL, manifest: [String: Any])] {
        let manifests = (FileManager.default.enumerator(atPath: CLI.fixtures.path)?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix("/fixture.json") }.sorted()
        let all = try manifests.compactMap { path -> (URL, [String: Any])? in
            let manifestURL = CLI.fixtures.appendingPathComponent(path)
            guard let data = FileManager.default.contents(atPath: manifestURL.path) else { return nil }
            let manifest = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            return (manifestURL.deletingLastPathComponent(), manifest)
        }
        if all.isEmpty { throw XCTSkip("Fixtures/ holds no fixture.json yet (make fixtures)") }
        return all
    }

    func document(_ result: CLIResult, _ context: String) throws -> [String: Any] {
        XCTAssertEqual(result.status, 0, "\(context): \(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        return try XCTUnwrap(object as? [String: Any], context)
    }

    /// `inspect --json` arguments for a fixture: its renames, and its input shape for its module.
    func arguments(_ folder: URL, _ manifest: [String: Any], transposed: Bool) throws -> [String] {
        var arguments = ["inspect", folder.appendingPathComponent(try XCTUnwrap(manifest["weights"] as? String)).path, "--json"]
        for rename in manifest["renames"] as? [String] ?? [] { arguments += ["--rename", rename] }
        let inputs = try XCTUnwrap(manifest["inputs"] as? [String: Any])
        let input = try TensorFile.open(folder.appendingPathComponent(try XCTUnwrap(inputs["input"] as? String)).path)
        var shape = try XCTUnwrap(input.tensors.first?.tensor.shape)
        var batchFirst = (manifest["flags"] as? [String: Any])?["batch_first"] as? Bool ?? false
        if transposed {
            shape.swapAt(0, 1)
            batchFirst.toggle()
        }
        arguments += ["--input-shape", shape.map(String.init).joined(separator: ",")]
        if batchFirst { arguments.append("--batch-first") }
        let module = manifest["module"] as? String ?? ""
        return arguments + ["--module", module.isEmpty ? "(root)" : module]
    }

    func testJSONMatchesEveryFixtureInBothLayouts() throws {
        for (folder, manifest) in try fixtures() {
            let name = folder.lastPathComponent
            for transposed in [false, true] {
                guard let json = try? document(try CLI.run(try arguments(folder, manifest, transposed: transposed)), name) else {
                    continue
                }
                // The manifest names the family: npy for a folder of .npy, pytorch for both checkpoint formats.
                XCTAssertTrue((json["format"] as? String ?? "?").hasPrefix(manifest["format"] as? String ?? ""), "\(name): \(json["format"] ?? "")")
                XCTAssertEqual((json["problems"] as? [Any])?.count, 0, "\(name): \(json["problems"] ?? "")")
                let modules = try XCTUnwrap(json["modules"] as? [[String: Any]], name)
                let expected = try XCTUnwrap(manifest["modules"] as? [[String: Any]], name)
                XCTAssertEqual(modules.count, expected.count, name)
                let reference = manifest["module"] as? String ?? ""
                for want in expected {
                    let got = modules.first { $0["name"] as? String == want["name"] as? String }
                    var withoutShapes = got ?? [:]
                    let shapes = withoutShapes.removeValue(forKey: "shapes")
                    XCTAssertEqual(NSDictionary(dictionary: withoutShapes), NSDictionary(dictionary: want), name)
                    guard want["name"] as? String == reference else {
                        XCTAssertNil(shapes, "\(name): shapes only for the chosen module")
                        continue
                    }
                    var shapesWanted = try XCTUnwrap(manifest["shapes"] as? [String: [Int]], name)
                    if transposed, let output = shapesWanted["output"] {
                        shapesWanted["output"] = [output[1], output[0]] + output.dropFirst(2)
                    }
                    XCTAssertEqual(shapes as? [String: [Int]], shapesWanted, "\(name) transposed=\(transposed)")
                }
                let tensorNames = Set((json["tensors"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String })
                let others = Set(manifest["other_tensors"] as? [String] ?? [])
                XCTAssertTrue(others.isSubset(of: tensorNames), name)
            }
        }
    }

    func testHumanOutputOfEveryFixture() throws {
        for (folder, manifest) in try fixtures() {
            let name = folder.lastPathComponent
            var arguments = try self.arguments(folder, manifest, transposed: false)
            arguments.removeAll { $0 == "--json" }
            let result = try CLI.run(arguments)
            XCTAssertEqual(result.status, 0, "\(name): \(result.stderr)")
            guard result.status == 0 else { continue }
            for module in manifest["modules"] as? [[String: Any]] ?? [] {
                let moduleName = module["name"] as? String ?? ""
                let mode = module["mode"] as? String ?? ""
                XCTAssertTrue(result.stdout.contains("Module \(moduleName.isEmpty ? "(root)" : moduleName): \(mode)"),
                              "\(name):\n\(result.stdout)")
            }
            XCTAssertTrue(result.stdout.contains("Shape flow for input"), name)
            XCTAssertTrue(result.stdout.contains("No problems found."), "\(name):\n\(result.stdout)")
        }
    }

    func testProblemFilesExitZeroAndReportTheListedTensors() throws {
        let folder = CLI.fixtures.appendingPathComponent("problems")
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent("problems.json").path) else {
            throw XCTSkip("Fixtures/problems/problems.json not generated yet (make fixtures)")
        }
        let catalog = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for entry in catalog["files"] as? [[String: Any]] ?? [] {
            let file = try XCTUnwrap(entry["file"] as? String)
            guard let json = try? document(try CLI.run(["inspect", folder.appendingPathComponent(file).path, "--json"]), file) else {
                continue
            }
            let reported = Set((json["problems"] as? [[String: Any]] ?? []).compactMap { $0["tensor"] as? String })
            let must = Set(entry["must_report"] as? [String] ?? [])
            let may = Set(entry["may_report"] as? [String] ?? [])
            XCTAssertTrue(must.isSubset(of: reported), "\(file): \(reported)")
            XCTAssertTrue(reported.isSubset(of: must.union(may)), "\(file): \(reported)")
            let human = try CLI.run(["inspect", folder.appendingPathComponent(file).path])
            XCTAssertEqual(human.status, 0, file)
            for tensor in must { XCTAssertTrue(human.stdout.contains("! \(tensor):"), "\(file):\n\(human.stdout)") }
        }
    }
}
