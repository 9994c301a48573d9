import Foundation
import TensorFiles
import XCTest

/// Files whose recurrent module holds tensors in a form rnnkit does not read
/// (Fixtures/unreadable/, written by h5py, safetensors, numpy and torch:
/// HDF5 external storage and external links, float8, an NPZ member that is
/// no NPY array, lists in a state dict). Run without them the module would be
/// another one (no biases, a layer fewer), so `run`, `verify` and `convert`
/// refuse it naming each tensor (exit 2, one line, no file), and `inspect`
/// lists them as problems of the module it shows with them.
final class UnreadableTensorCommandTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("unreadable-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func fixture(_ file: String) -> String { CLI.fixtures.appendingPathComponent("unreadable/\(file)").path }

    private func cases() throws -> [(file: String, module: String, unreadable: [String])] {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture("unreadable.json")))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let files = try XCTUnwrap(json["files"] as? [[String: Any]])
        XCTAssertEqual(files.count, 5)
        return try files.map {
            (try XCTUnwrap($0["file"] as? String), try XCTUnwrap($0["module"] as? String), try XCTUnwrap($0["unreadable"] as? [String]))
        }
    }

    /// An input of `features` features, (T 5, B 2).
    private func input(features: Int) throws -> String {
        let path = folder.appendingPathComponent("x\(features).npy").path
        if !FileManager.default.fileExists(atPath: path) {
            let values = (0 ..< 5 * 2 * features).map { Float($0 % 7) * 0.1 - 0.3 }
            try TensorFileWriter.write([NamedTensor(name: "x", tensor: Tensor(shape: [5, 2, features], floats: values))],
                                       as: .npy, to: path)
        }
        return path
    }

    func testRunAndVerifyRefuseNamingEveryUnreadableTensor() throws {
        for (file, _, unreadable) in try cases() {
            let output = folder.appendingPathComponent("\(file).npz").path
            let run = try CLI.run(["run", fixture(file), "--input", try input(features: 3), "--output", output])
            XCTAssertEqual(run.status, 2, "\(file): \(run.stderr)")
            XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
            for name in unreadable {
                XCTAssertTrue(run.stderr.contains("\(name): in the file, but rnnkit cannot read it"), "\(file) \(name): \(run.stderr)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: output), file)
        }
    }

    func testConvertRefusesToWriteAModuleWithoutThem() throws {
        for (file, _, unreadable) in try cases() {
            for suffix in [".safetensors", ".onnx"] {
                let output = folder.appendingPathComponent("\(file)\(suffix)").path
                let result = try CLI.run(["convert", fixture(file), output])
                XCTAssertEqual(result.status, 2, "\(file)\(suffix): \(result.stderr)")
                XCTAssertTrue(result.stderr.contains(unreadable.sorted()[0]) || result.stderr.contains(unreadable[0]),
                              "\(file)\(suffix): \(result.stderr)")
                XCTAssertTrue(result.stderr.contains("cannot read it"), result.stderr)
                XCTAssertFalse(FileManager.default.fileExists(atPath: output), "\(file)\(suffix)")
            }
        }
    }

    func testInspectShowsTheModuleTheNamesDescribeWithItsProblems() throws {
        let shown = ["bias_external.h5": "nn.LSTM(input_size=3, hidden_size=4, batch_first=?)",
                     "layer1_float8.safetensors": "nn.LSTM(input_size=3, hidden_size=4, num_layers=2, bidirectional=True",
                     "bias_raw_bytes.npz": "nn.GRU(input_size=3, hidden_size=4, batch_first=?)"]
        for (file, _, unreadable) in try cases() {
            let result = try CLI.run(["inspect", fixture(file)])
            XCTAssertEqual(result.status, 0, "\(file): \(result.stderr)")
            XCTAssertFalse(result.stdout.contains("No problems found"), "\(file): \(result.stdout)")
            XCTAssertFalse(result.stdout.contains("bias=False"), "\(file): \(result.stdout)")
            if let module = shown[file] { XCTAssertTrue(result.stdout.contains(module), "\(file): \(result.stdout)") }
            let json = try CLI.run(["inspect", fixture(file), "--json"])
            let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            let problems = try XCTUnwrap(report["problems"] as? [[String: Any]])
            XCTAssertEqual(Set(problems.compactMap { $0["tensor"] as? String }), Set(unreadable), file)
        }
    }
}
