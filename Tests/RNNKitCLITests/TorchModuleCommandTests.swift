import Foundation
import XCTest
import TensorFiles

/// `rnnkit run` and `inspect` on TorchScript archives and `torch.save(model)`
/// files (`Fixtures/torch_modules/`): the outputs equal what PyTorch returned,
/// with `batch_first` / `nonlinearity` taken from the file where it records
/// them and given on the command line only where it does not (traced modules).
final class TorchModuleCommandTests: XCTestCase {
    static let folder = CLI.fixtures.appendingPathComponent("torch_modules")

    func testRunMatchesPyTorchOnEveryModuleFile() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("rnnkit-torch-modules-\(getpid())")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: output) }
        let folders = try FileManager.default.contentsOfDirectory(at: Self.folder, includingPropertiesForKeys: nil)
            .filter { FileManager.default.fileExists(atPath: $0.appendingPathComponent("expected.npz").path) }
            .sorted { $0.path < $1.path }
        XCTAssertGreaterThanOrEqual(folders.count, 10)
        for folder in folders {
            let name = folder.lastPathComponent
            let sidecar = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("model.json"))) as? [String: Any])
            let module = sidecar["module"] as? String ?? ""
            let flags = sidecar["flags"] as? [String: Any] ?? [:]
            let recorded = (sidecar["recorded"] as? [String: [String: Any]])?[module] ?? [:]
            var arguments = ["run", folder.appendingPathComponent("model.pt").path,
                             "--input", folder.appendingPathComponent("input.npy").path,
                             "--output", output.appendingPathComponent("\(name).npz").path]
            if !module.isEmpty { arguments += ["--module", module] }
            // Only what the file cannot tell is given: a traced module's batch_first.
            if flags["batch_first"] as? Bool == true, recorded["batch_first"] == nil { arguments.append("--batch-first") }
            let result = try CLI.run(arguments)
            XCTAssertEqual(result.status, 0, "\(name): \(result.stderr)")
            let written = try TensorFile.open(output.appendingPathComponent("\(name).npz").path)
            let expected = try TensorFile.open(folder.appendingPathComponent("expected.npz").path)
            XCTAssertEqual(Set(written.tensors.map(\.name)), Set(expected.tensors.map(\.name)), name)
            for reference in expected.tensors {
                let actual = try XCTUnwrap(written.tensor(named: reference.name), "\(name) \(reference.name)")
                XCTAssertEqual(actual.shape, reference.tensor.shape, "\(name) \(reference.name)")
                let worst = zip(try actual.floats(), try reference.tensor.floats()).map { abs($0 - $1) }.max() ?? .infinity
                XCTAssertLessThanOrEqual(worst, 1e-5, "\(name) \(reference.name)")
            }
        }
    }

    func testInspectNamesTheKindClassesAndRecordedSettings() throws {
        let script = try CLI.run(["inspect", Self.folder.appendingPathComponent("script_tagger/model.pt").path])
        XCTAssertEqual(script.status, 0, script.stderr)
        XCTAssertTrue(script.stdout.contains("TorchScript archive"), script.stdout)
        XCTAssertTrue(script.stdout.contains("lstm: module __torch__.torch.nn.modules.rnn.LSTM (batch_first=True)"), script.stdout)
        let pickled = try CLI.run(["inspect", Self.folder.appendingPathComponent("module_rnn_relu_legacy/model.pt").path])
        XCTAssertEqual(pickled.status, 0, pickled.stderr)
        XCTAssertTrue(pickled.stdout.contains("PyTorch pickled module"), pickled.stdout)
        XCTAssertTrue(pickled.stdout.contains("nonlinearity='relu'"), pickled.stdout)
        let hostile = try CLI.run(["inspect", Self.folder.appendingPathComponent("hostile/posix_system.pt").path])
        XCTAssertEqual(hostile.status, 2)
        XCTAssertTrue(hostile.stderr.contains("refused global 'posix.system'"), hostile.stderr)
        XCTAssertEqual(hostile.stderr.split(separator: "\n").count, 1, hostile.stderr)
    }
}
