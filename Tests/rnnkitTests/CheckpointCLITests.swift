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

    func testInspectRefusesAWholePickledModuleFixture() throws {
        for file in ["whole_module.pt", "whole_module_legacy.pt"] {
            let path = CLI.fixtures.appendingPathComponent("checkpoints/\(file)").path
            let result = try CLI.run(["inspect", path])
            XCTAssertEqual(result.status, 2, result.stderr)
            XCTAssertTrue(result.stderr.contains(path), result.stderr)
            XCTAssertTrue(result.stderr.contains("torch.nn.modules.rnn.LSTM"), result.stderr)
            XCTAssertTrue(result.stderr.contains("model.state_dict()"), result.stderr)
        }
    }
}
