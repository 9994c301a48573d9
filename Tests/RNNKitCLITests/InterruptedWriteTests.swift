#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TensorFiles
import XCTest

/// `rnnkit convert` killed with SIGKILL while it writes each kind of target:
/// the target must be the old file or absent, and the next conversion must
/// succeed and remove the temporary file the killed one could not.
final class InterruptedWriteTests: XCTestCase {
    private var folder: URL!
    private var input: String { folder.appendingPathComponent("big.safetensors").path }

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnnkit-kill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // A one-layer LSTM with input and hidden size 1024: 32 MiB of float32.
        try OutputSafetyTests.writeLSTM(size: 1024, to: input)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// Hidden temporary files AtomicOutput left for `name`.
    private func temporaries(of name: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasPrefix(".\(name).rnnkit-") }
    }

    /// Starts `rnnkit convert` and kills it once its temporary output exists
    /// and has data in it. Returns false when it finished first.
    private func convertAndKill(to target: String) throws -> Bool {
        let process = Process()
        process.executableURL = CLI.productsDirectory.appendingPathComponent("rnnkit")
        process.arguments = ["convert", input, folder.appendingPathComponent(target).path, "--force"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning, Date() < deadline {
            if let temporary = temporaries(of: target).first,
               let size = try? FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(temporary).path)[.size] as? Int,
               size > 0 {
                kill(process.processIdentifier, SIGKILL)
                break
            }
            usleep(500)
        }
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal
    }

    func testAKilledConversionLeavesTheOldTargetOrNothing() throws {
        for target in ["out.safetensors", "out.npz", "out.h5", "out_npy", "out.onnx"] {
            let path = folder.appendingPathComponent(target).path
            // First with an old target in place, then with none.
            for oldExists in [true, false] {
                let old = Data("old content of \(target)".utf8)
                if oldExists {
                    if target == "out_npy" {
                        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
                        try old.write(to: URL(fileURLWithPath: path).appendingPathComponent("old.npy"))
                    } else {
                        try old.write(to: URL(fileURLWithPath: path))
                    }
                }
                guard try convertAndKill(to: target) else {
                    XCTFail("\(target): the conversion finished before it could be killed; make the input larger")
                    continue
                }
                if oldExists {
                    let kept = target == "out_npy" ? URL(fileURLWithPath: path).appendingPathComponent("old.npy") : URL(fileURLWithPath: path)
                    XCTAssertEqual(try? Data(contentsOf: kept), old, "\(target): the old target was changed")
                } else {
                    XCTAssertFalse(FileManager.default.fileExists(atPath: path), "\(target): a partial target was left")
                }
                // The killed process could not remove its temporary file; the next conversion does.
                XCTAssertEqual(temporaries(of: target).count, 1, "\(target)")
                let again = try CLI.run(["convert", input, path, "--force"])
                XCTAssertEqual(again.status, 0, again.stderr)
                XCTAssertEqual(temporaries(of: target), [], "\(target): a stale temporary file was not removed")
                if target != "out.onnx" {
                    XCTAssertEqual(try TensorFile.open(path).tensors.count, 4, target)
                }
                try FileManager.default.removeItem(atPath: path)
            }
        }
    }
}
