import Foundation
import XCTest
import Pickle
@testable import TensorFiles

/// The checkpoint reader on files real PyTorch wrote (`Fixtures/`, made by
/// `scripts/make_fixtures.py`): every fixture's `weights.pt` / `weights_legacy.pt`
/// twins, and `Fixtures/checkpoints/` with its sidecars and reference values.
final class TorchCheckpointFixtureTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    func json(_ url: URL) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any], url.path)
    }

    /// The tensors of a file by name.
    func tensorsByName(_ url: URL) throws -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: try TensorFile.open(url.path).tensors.map { ($0.name, $0.tensor) })
    }

    /// Asserts two tensors hold the same dtype, shape and bytes.
    func assertSame(_ actual: Tensor, _ expected: Tensor, _ what: String, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(actual.dtype, expected.dtype, what, file: file, line: line)
        XCTAssertEqual(actual.shape, expected.shape, what, file: file, line: line)
        XCTAssertEqual(try actual.data(), try expected.data(), what, file: file, line: line)
    }

    func testEveryFixtureTwinReadsTheSameTensors() throws {
        let folders = try FileManager.default.contentsOfDirectory(at: Self.fixtures, includingPropertiesForKeys: nil)
            .filter { FileManager.default.fileExists(atPath: $0.appendingPathComponent("fixture.json").path) }
            .sorted { $0.path < $1.path }
        XCTAssertGreaterThan(folders.count, 50)
        for folder in folders {
            let fixture = try json(folder.appendingPathComponent("fixture.json"))
            let name = folder.lastPathComponent
            let zip = try TensorFile.open(folder.appendingPathComponent("weights.pt").path)
            let legacy = try TensorFile.open(folder.appendingPathComponent("weights_legacy.pt").path)
            XCTAssertEqual(zip.format, .pytorch, name)
            XCTAssertEqual(legacy.format, .pytorchLegacy, name)
            XCTAssertEqual(zip.metadata["pytorch.serialization"], "zip", name)
            XCTAssertEqual(legacy.metadata["pytorch.serialization"], "legacy", name)
            XCTAssertEqual(zip.tensors.map(\.name), legacy.tensors.map(\.name), name)
            for (a, b) in Swift.zip(zip.tensors, legacy.tensors) { try assertSame(a.tensor, b.tensor, "\(name) \(a.name)") }

            // The twins against the fixture's primary weights file (HDF5, NPZ, safetensors, NPY).
            let primary = try tensorsByName(folder.appendingPathComponent(fixture["weights"] as? String ?? ""))
            XCTAssertEqual(Set(zip.tensors.map(\.name)), Set(primary.keys), name)
            for named in zip.tensors {
                let expected = try XCTUnwrap(primary[named.name], "\(name) \(named.name)")
                try assertSame(named.tensor, expected, "\(name) \(named.name)")
            }
            try assertModulesMatch(fixture, zip, name)
        }
    }

    /// Each recurrent module of `fixture.json` (as torch built it): the tensors
    /// under its name hold its parameter count, in its dtype.
    func assertModulesMatch(_ fixture: [String: Any], _ file: TensorFile, _ name: String) throws {
        guard (fixture["renames"] as? [String])?.isEmpty ?? true else { return }  // names differ from torch's
        let others = Set(fixture["other_tensors"] as? [String] ?? [])
        for module in fixture["modules"] as? [[String: Any]] ?? [] {
            let prefix = module["name"] as? String ?? ""
            let tensors = file.tensors.filter {
                !others.contains($0.name) && (prefix.isEmpty || $0.name.hasPrefix(prefix + "."))
            }
            XCTAssertEqual(tensors.reduce(0) { $0 + $1.tensor.elementCount }, module["parameters"] as? Int, "\(name) \(prefix)")
            XCTAssertEqual(Set(tensors.map(\.tensor.dtype.rawValue)), [module["dtype"] as? String ?? ""], "\(name) \(prefix)")
        }
    }

    func testCheckpointFixtures() throws {
        let folder = Self.fixtures.appendingPathComponent("checkpoints")
        let sidecars = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path }
        XCTAssertGreaterThanOrEqual(sidecars.count, 18)
        for sidecar in sidecars {
            let expected = try json(sidecar)
            let path = folder.appendingPathComponent(expected["file"] as? String ?? "").path
            let name = sidecar.lastPathComponent
            // Sidecars of whole pickled modules made before rnnkit read them still say "refuse".
            let wholeModule = expected["content"] as? String == "pickled_module"
            if expected["expect"] as? String == "refuse", !wholeModule {
                XCTAssertThrowsError(try TensorFile.open(path), name) { error in
                    let global = (expected["pickle_globals"] as? [String])?.first ?? "?"
                    XCTAssertEqual((error as? TensorFileError)?.file, path)
                    guard case .unpickling(let refusal, _)? = (error as? TensorFileError)?.reason,
                          case .refusedGlobal(let refused) = refusal.reason else { return XCTFail("\(error)") }
                    XCTAssertEqual(refused.description, global, name)
                }
                continue
            }
            let file = try TensorFile.open(path)
            XCTAssertEqual(file.format, expected["serialization"] as? String == "legacy" ? .pytorchLegacy : .pytorch, name)
            XCTAssertEqual(file.metadata["pytorch.serialization"], expected["serialization"] as? String, name)
            if let folderName = expected["archive_folder"] as? String {
                XCTAssertEqual(file.metadata["pytorch.archive"], folderName, name)
            }
            let tensors = expected["tensors"] as? [[String: Any]] ?? []
            XCTAssertEqual(file.tensors.map(\.name), tensors.map { $0["name"] as? String ?? "" }, name)
            XCTAssertTrue(file.tensors.allSatisfy { !$0.tensor.isLoaded }, "\(name): storages read while opening")
            if wholeModule {
                XCTAssertEqual(file.metadata["pytorch.content"], "PyTorch pickled module", name)
                XCTAssertEqual(file.tensors.map(\.tensor.shape), tensors.map { $0["shape"] as? [Int] ?? [] }, name)
                continue
            }
            let values = try tensorsByName(folder.appendingPathComponent(expected["values"] as? String ?? ""))
            for (named, info) in zip(file.tensors, tensors) {
                let what = "\(name) \(named.name)"
                XCTAssertEqual(named.tensor.dtype.rawValue, info["dtype"] as? String, what)
                XCTAssertEqual(named.tensor.shape, info["shape"] as? [Int], what)
                let reference = try XCTUnwrap(values[named.name], what)
                if named.tensor.dtype == .bfloat16 {  // stored as float32, which holds every bfloat16
                    XCTAssertEqual(try named.tensor.floats(), try reference.floats(), what)
                } else {
                    // Shapes are checked against the sidecar: values.npz stores 0-d tensors as shape (1,).
                    XCTAssertEqual(named.tensor.dtype, reference.dtype, what)
                    XCTAssertEqual(named.tensor.elementCount, reference.elementCount, what)
                    XCTAssertEqual(try named.tensor.data(), try reference.data(), what)
                }
            }
            let items = expected["non_tensor_items"] as? [String: Any] ?? [:]
            XCTAssertEqual(Set(file.otherItems.map(\.name)), Set(items.keys), name)
            for item in file.otherItems {
                if let number = items[item.name] as? Int { XCTAssertEqual(item.summary, String(number), "\(name) \(item.name)") }
            }
        }
    }
}
