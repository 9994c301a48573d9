#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TensorFiles
import XCTest

/// Writes cut short: SIGINT, SIGTERM and SIGHUP during a large write, the
/// file-size limit (`ulimit -f`, set by a shell wrapper) and a full disk (a
/// 1 MiB tmpfs, when this machine lets the tests mount one). Every target
/// kind, HDF5 (written by a child process) included: no file, no temporary
/// left, one line naming the file and the reason, never a crash.
final class OutputLimitTests: XCTestCase {
    private var folder: URL!
    private let targets = ["o.safetensors", "o.npz", "o.h5", "o.keras", "o.weights.h5", "o.onnx", "o_npy"]

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnnkit-limits-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    private func contents(of directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    func testSignalsDuringALargeWriteRemoveTheTemporaryFile() throws {
        // 32 MiB of float32: long enough to catch the write under way.
        let input = path("big.safetensors")
        try OutputSafetyTests.writeLSTM(size: 1024, to: input)
        var caught = 0
        for (index, target) in targets.enumerated() {
            let signal = [SIGINT, SIGTERM, SIGHUP][index % 3]
            let process = Process()
            process.executableURL = CLI.productsDirectory.appendingPathComponent("rnnkit")
            process.arguments = ["convert", input, path(target)]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(120)
            var sent = false
            while process.isRunning, Date() < deadline, !sent {
                for entry in contents(of: folder.path) where entry.hasPrefix(".\(target).rnnkit-") {
                    var status = stat()
                    let temporary = path(entry)
                    let size = lstat(temporary, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR
                        ? contents(of: temporary).count : Int(status.st_size)
                    if size > 0 {
                        kill(process.processIdentifier, signal)
                        sent = true
                        break
                    }
                }
                if !sent { usleep(200) }
            }
            process.waitUntilExit()
            guard sent, process.terminationReason == .uncaughtSignal else { continue }
            caught += 1
            XCTAssertEqual(process.terminationStatus, signal, "\(target): ended by another signal")
            // An HDF5 child ends with its parent; give it a moment.
            for _ in 0 ..< 100 where contents(of: folder.path).contains(where: { $0.hasPrefix(".") }) { usleep(20000) }
            XCTAssertEqual(contents(of: folder.path), ["big.safetensors"], "\(target): signal \(signal) left files")
        }
        XCTAssertGreaterThanOrEqual(caught, targets.count - 2, "too few conversions were caught writing; make the input larger")
    }

    /// Runs `rnnkit convert input target` under `prefix` and checks the
    /// refusal: exit 2, one line naming the file and `reason`, nothing left.
    private func assertFails(_ input: String, into directory: String, with reason: String, wrappedIn prefix: [String] = []) throws {
        for target in targets {
            let output = (directory as NSString).appendingPathComponent(target)
            let result = try CLI.run(["convert", input, output], wrappedIn: prefix)
            XCTAssertEqual(result.status, 2, "\(target): \(result.stderr)")
            XCTAssertEqual(result.stderr, "rnnkit: error: \(output): cannot write: \(reason)\n", target)
            XCTAssertEqual(contents(of: directory).filter { $0 != "big.safetensors" }, [], "\(target): files left")
        }
    }

    func testTheFileSizeLimitIsAnErrorNotACrash() throws {
        // 2 MiB of float32 under a 512 KiB limit (`ulimit -f` counts 512-byte blocks).
        let input = path("big.safetensors")
        try OutputSafetyTests.writeLSTM(size: 256, to: input)
        try assertFails(input, into: folder.path, with: "file too large (the file-size limit, ulimit -f, was reached)",
                        wrappedIn: ["/bin/sh", "-c", "ulimit -f 1024 && exec \"$0\" \"$@\""])
    }

    func testAFullDiskIsAnErrorNotACrash() throws {
        let input = path("big.safetensors")
        try OutputSafetyTests.writeLSTM(size: 256, to: input)
        let disk = path("disk")
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: false)
        guard mount("tmpfs", disk, "tmpfs", 0, "size=1m") == 0 else {
            throw XCTSkip("cannot mount a tmpfs here (\(String(cString: strerror(errno)))); the full disk is untested")
        }
        defer { umount(disk) }
        try assertFails(input, into: disk, with: "disk full")
    }
}
