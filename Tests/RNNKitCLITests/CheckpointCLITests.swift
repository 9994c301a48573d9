import Foundation
import XCTest

/// `rnnkit` on hostile PyTorch checkpoints: exit 2, a message naming the file
/// and the refused global, and nothing run.
final class CheckpointCLITests: XCTestCase {
    /// A legacy checkpoint (magic, protocol 1001, sys info) whose data pickle
    /// is `os.system("touch <marker>")`, as a `__reduce__` exploit writes it.
    func osSystemCheckpoint(marker: String) -> Data {
        var bytes: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]
        bytes += [0x80, 0x02, 0x4D, 0xE9, 0x03, 0x2E]      // BININT2 1001, STOP
        bytes += [0x80, 0x02, 0x7D, 0x2E]                  // EMPTY_DICT, STOP
        let command = Array("touch \(marker)".utf8)
        bytes += [0x80, 0x02, 0x63] + Array("os\nsystem\n".utf8)  // GLOBAL os system
        bytes += [0x28, 0x58] + withUnsafeBytes(of: UInt32(command.count).littleEndian) { Array($0) } + command
        bytes += [0x74, 0x52, 0x2E]                        // TUPLE, REDUCE, STOP
        return Data(bytes)
    }

    func testInspectRefusesAHostileCheckpointWithExitTwo() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnnkit-cli-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let marker = folder.appendingPathComponent("pwned").path
        let file = folder.appendingPathComponent("exploit.pt").path
        try osSystemCheckpoint(marker: marker).write(to: URL(fileURLWithPath: file))
        let result = try CLI.run(["inspect", file])
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(result.stderr.contains(file), result.stderr)
        XCTAssertTrue(result.stderr.contains("refused global 'os.system'"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker))
    }

    func testInspectReadsAWholePickledModuleFixture() throws {
        for file in ["whole_module.pt", "whole_module_legacy.pt"] {
            let path = CLI.fixtures.appendingPathComponent("checkpoints/\(file)").path
            let result = try CLI.run(["inspect", path])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stdout.contains("PyTorch pickled module"), result.stdout)
            XCTAssertTrue(result.stdout.contains("(root): module torch.nn.modules.rnn.LSTM (batch_first=False)"), result.stdout)
            XCTAssertTrue(result.stdout.contains("Module (root): LSTM layer"), result.stdout)
        }
    }

    /// Issue 5's promise: every fixture's `weights.pt` and `weights_legacy.pt`
    /// twin runs to PyTorch's stored outputs, like the fixture's own weights file.
    func testEveryFixtureVerifiesFromItsCheckpointTwins() throws {
        let manager = FileManager.default
        let tree = manager.temporaryDirectory.appendingPathComponent("rnnkit-twins-\(getpid())")
        try? manager.removeItem(at: tree)
        var count = 0
        for name in try manager.contentsOfDirectory(atPath: CLI.fixtures.path).sorted() {
            let source = CLI.fixtures.appendingPathComponent(name)
            guard let data = manager.contents(atPath: source.appendingPathComponent("fixture.json").path),
                  var manifest = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { continue }
            for twin in ["weights.pt", "weights_legacy.pt"] {
                let copy = tree.appendingPathComponent("\(name)_\(twin.dropLast(3))")
                try manager.createDirectory(at: copy, withIntermediateDirectories: true)
                for file in try manager.contentsOfDirectory(atPath: source.path) where file.hasSuffix(".npy") || file.hasSuffix(".npz") || file == twin {
                    try manager.createSymbolicLink(at: copy.appendingPathComponent(file), withDestinationURL: source.appendingPathComponent(file))
                }
                manifest["weights"] = twin
                manifest["format"] = "pytorch"
                try JSONSerialization.data(withJSONObject: manifest).write(to: copy.appendingPathComponent("fixture.json"))
                count += 1
            }
        }
        defer { try? manager.removeItem(at: tree) }
        XCTAssertGreaterThanOrEqual(count, 140)
        let result = try CLI.run(["verify", tree.path])
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        XCTAssertTrue(result.stdout.contains("\(count) fixtures: \(count) passed, 0 failed"), String(result.stdout.suffix(500)))
    }
}
