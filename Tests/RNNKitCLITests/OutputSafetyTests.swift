#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TensorFiles
import XCTest

/// What `--force` may replace, and what nothing replaces (docs/reliability.md,
/// "Outputs"): situations made here — folders holding the input or other
/// files, FIFOs, sockets, device nodes, symbolic links, racing converts.
final class OutputSafetyTests: XCTestCase {
    private var folder: URL!
    private var input: String { path("w.safetensors") }

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnnkit-output-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try OutputSafetyTests.writeLSTM(size: 8, to: input)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// A one-layer LSTM (input and hidden size `size`) as safetensors.
    static func writeLSTM(size: Int, to path: String) throws {
        var value: Float = 0
        func ramp(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape, floats: (0 ..< shape.reduce(1, *)).map { _ in value += 0.001; return value })
        }
        let tensors = [("weight_ih_l0", [4 * size, size]), ("weight_hh_l0", [4 * size, size]),
                       ("bias_ih_l0", [4 * size]), ("bias_hh_l0", [4 * size])]
            .map { NamedTensor(name: $0.0, tensor: ramp($0.1)) }
        try SafetensorsWriter.write(tensors, to: path)
    }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    private func entries(_ name: String = "") -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: name.isEmpty ? folder.path : path(name))) ?? []).sorted()
    }

    private func assertRefused(_ result: CLIResult, naming what: String, _ line: UInt = #line) {
        XCTAssertEqual(result.status, 2, result.stderr, line: line)
        XCTAssertTrue(result.stderr.contains(what), result.stderr, line: line)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr, line: line)
    }

    func testForceNeverReplacesAFolderHoldingTheInputOrAnythingButNPYFiles() throws {
        // The probe of issue 12: `convert dir/w dir --force` removed everything.
        let dir = path("dir")
        try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: input, toPath: dir + "/w.safetensors")
        try Data("notes".utf8).write(to: URL(fileURLWithPath: dir + "/notes.txt"))
        assertRefused(try CLI.run(["convert", dir + "/w.safetensors", dir, "--force"]), naming: "holds the input")
        XCTAssertEqual(entries("dir"), ["notes.txt", "sub", "w.safetensors"])

        // A folder of unrelated files as an .npy-folder target, the input elsewhere.
        assertRefused(try CLI.run(["convert", input, dir, "--force"]), naming: "holds 'notes.txt', which is not a .npy file")
        XCTAssertEqual(entries("dir"), ["notes.txt", "sub", "w.safetensors"])

        // A folder named like an .npy file is not one.
        let npyNamedFolder = path("npy")
        try FileManager.default.createDirectory(atPath: npyNamedFolder + "/x.npy", withIntermediateDirectories: true)
        assertRefused(try CLI.run(["convert", input, npyNamedFolder, "--force"]), naming: "holds 'x.npy', which is not a .npy file")
        XCTAssertEqual(entries("npy"), ["x.npy"])

        // A folder of .npy files alone is what rnnkit writes: --force replaces it.
        let npyFolder = path("old_npy")
        try FileManager.default.createDirectory(atPath: npyFolder, withIntermediateDirectories: true)
        try Data("old".utf8).write(to: URL(fileURLWithPath: npyFolder + "/old.npy"))
        assertRefused(try CLI.run(["convert", input, npyFolder]), naming: "already exists")
        let replaced = try CLI.run(["convert", input, npyFolder, "--force"])
        XCTAssertEqual(replaced.status, 0, replaced.stderr)
        XCTAssertEqual(entries("old_npy"), ["bias_hh_l0.npy", "bias_ih_l0.npy", "weight_hh_l0.npy", "weight_ih_l0.npy"])

        // A folder where a file goes, and a file where a folder goes.
        assertRefused(try CLI.run(["convert", input, dir + "/missing/o.h5", "--force"]), naming: "does not exist")
        try FileManager.default.createDirectory(atPath: path("o.safetensors"), withIntermediateDirectories: false)
        assertRefused(try CLI.run(["convert", input, path("o.safetensors"), "--force"]), naming: "is a folder")
        try Data("file".utf8).write(to: URL(fileURLWithPath: path("plain")))
        assertRefused(try CLI.run(["convert", input, path("plain"), "--force"]), naming: "is a file")
        XCTAssertEqual(try String(contentsOfFile: path("plain"), encoding: .utf8), "file")
        XCTAssertEqual(entries().filter { $0.hasPrefix(".") }, [], "temporaries left")
    }

    func testRunOutputIsCheckedLikeConvertOutput() throws {
        let dir = path("dir")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data("notes".utf8).write(to: URL(fileURLWithPath: dir + "/notes.txt"))
        try NPYWriter.encode(Tensor(shape: [2, 1, 8], floats: Array(repeating: 0.5, count: 16))).write(to: URL(fileURLWithPath: path("x.npy")))
        assertRefused(try CLI.run(["run", input, "--input", path("x.npy"), "--output", dir, "--force"]), naming: "is a folder")
        XCTAssertEqual(entries("dir"), ["notes.txt"])
        XCTAssertEqual(mkfifo(path("fifo.npz"), 0o600), 0)
        assertRefused(try CLI.run(["run", input, "--input", path("x.npy"), "--output", path("fifo.npz"), "--force"]),
                      naming: "is not a regular file (a FIFO)")
        let written = try CLI.run(["run", input, "--input", path("x.npy"), "--output", path("out.npz")])
        XCTAssertEqual(written.status, 0, written.stderr)
    }

    func testTargetsThatAreNotRegularFilesAreRefusedEvenWithForce() throws {
        XCTAssertEqual(mkfifo(path("fifo.safetensors"), 0o600), 0)
        var targets = [("fifo.safetensors", "a FIFO")]
        // A Unix socket.
        let socketPath = path("socket.h5")
        let socketFD = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socketFD) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(socketPath.utf8)
            raw.copyBytes(from: bytes.prefix(raw.count - 1))
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if bound == 0 { targets.append(("socket.h5", "a socket")) }
        // A copy of /dev/null's device node (as root; skipped elsewhere).
        if mknod(path("null.npz"), S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0 { targets.append(("null.npz", "a character device")) }
        for (name, kind) in targets {
            var before = stat()
            XCTAssertEqual(lstat(path(name), &before), 0)
            for force in [false, true] {
                assertRefused(try CLI.run(["convert", input, path(name)] + (force ? ["--force"] : [])),
                              naming: "is not a regular file (\(kind))")
                var after = stat()
                XCTAssertEqual(lstat(path(name), &after), 0)
                XCTAssertEqual(after.st_mode, before.st_mode, name)
                XCTAssertEqual(after.st_ino, before.st_ino, "\(name) was replaced")
            }
        }
        XCTAssertEqual(entries().filter { $0.hasPrefix(".") }, [], "temporaries left")
    }

    func testSymbolicLinksAreNeitherWrittenThroughNorReplaced() throws {
        try Data("precious".utf8).write(to: URL(fileURLWithPath: path("real.h5")))
        try FileManager.default.createSymbolicLink(atPath: path("link.h5"), withDestinationPath: path("real.h5"))
        try FileManager.default.createSymbolicLink(atPath: path("dangling.npz"), withDestinationPath: path("nowhere.npz"))
        try FileManager.default.createDirectory(atPath: path("real_npy"), withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: path("linked_npy"), withDestinationPath: path("real_npy"))
        for name in ["link.h5", "dangling.npz", "linked_npy"] {
            for force in [false, true] {
                assertRefused(try CLI.run(["convert", input, path(name)] + (force ? ["--force"] : [])), naming: "is a symbolic link")
                XCTAssertNotNil(try? FileManager.default.destinationOfSymbolicLink(atPath: path(name)), "\(name) was replaced")
            }
        }
        XCTAssertEqual(try String(contentsOfFile: path("real.h5"), encoding: .utf8), "precious")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("nowhere.npz")))
        XCTAssertEqual(entries("real_npy"), [])
    }

    func testConcurrentConvertsWithoutForceLeaveOneWinner() throws {
        // 2 MiB: the four have all checked the target before the first publishes.
        let big = path("big.safetensors")
        try OutputSafetyTests.writeLSTM(size: 256, to: big)
        for target in ["o.safetensors", "o.h5", "o_npy"] {
            let results = try CLI.runAll(Array(repeating: ["convert", big, path(target)], count: 4))
            XCTAssertEqual(results.filter { $0.status == 0 }.count, 1, "\(target): \(results.map(\.stderr))")
            for loser in results where loser.status != 0 {
                assertRefused(loser, naming: "already exists")
            }
            XCTAssertEqual(try TensorFile.open(path(target)).tensors.count, 4)
        }
        XCTAssertEqual(entries().filter { $0.hasPrefix(".") }, [], "temporaries left")
    }

    func testEveryWriterFsyncsTheFileThenRenamesThenFsyncsTheFolder() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") else { throw XCTSkip("strace is not installed") }
        for target in ["o.safetensors", "o.npz", "o.h5", "o.keras", "o.weights.h5", "o.onnx", "o_npy"] {
            let log = path("\(target).trace")
            let result = try CLI.run(["convert", input, path(target)], wrappedIn: [
                "/usr/bin/strace", "-f", "-qq", "-o", log, "-e", "trace=openat,fsync,rename,renameat2,link"])
            XCTAssertEqual(result.status, 0, result.stderr)
            let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
            // What each file descriptor was last opened on: the temporary output or the folder.
            var opened: [String: String] = [:]
            var order: [String] = []
            for line in lines {
                let fields = line.split(separator: " ", maxSplits: 1).map(String.init)
                guard fields.count == 2 else { continue }
                // strace pads the process id: "123  openat(…" and "12345 openat(…".
                let call = fields[1].trimmingCharacters(in: .whitespaces)
                if call.hasPrefix("openat("), let fd = call.split(separator: "=").last?.trimmingCharacters(in: .whitespaces) {
                    opened[fd] = call.contains(".\(target).rnnkit-") ? "fsync file" : call.contains("\"\(folder.path)\"") ? "fsync folder" : nil
                } else if call.hasPrefix("fsync("), let fd = call.dropFirst(6).split(separator: ")").first, let kind = opened[String(fd)] {
                    order.append(kind)
                } else if call.hasPrefix("renameat2("), call.contains("\"\(path(target))\"") {
                    order.append("rename")
                }
            }
            XCTAssertTrue(order.contains("fsync file"), "\(target): \(order)")
            XCTAssertEqual(order.drop { $0 == "fsync file" }, ["rename", "fsync folder"], "\(target): \(order)")
        }
    }
}
