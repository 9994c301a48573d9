#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest

/// An input truncated by another program while rnnkit has it mapped (as
/// `torch.save` rewrites an existing checkpoint in place): a read of a page
/// the file no longer has raises SIGBUS. rnnkit must end with exit 2, one
/// line naming the file, and no output or temporary file left — not a crash.
final class ShrinkingInputTests: XCTestCase {
    private var folder: URL!
    private var input: String { folder.appendingPathComponent("big.safetensors").path }
    private var headerEnd = 0

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnnkit-shrink-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// A one-layer LSTM with input and hidden size 4096 (512 MiB of float32),
    /// sparse: the data are holes, so writing it costs nothing.
    private func writeSparseLSTM() throws {
        let hidden = 4096
        let shapes: [(String, [Int])] = [
            ("lstm.weight_ih_l0", [4 * hidden, hidden]), ("lstm.weight_hh_l0", [4 * hidden, hidden]),
            ("lstm.bias_ih_l0", [4 * hidden]), ("lstm.bias_hh_l0", [4 * hidden]),
        ]
        var entries: [String] = [], offset = 0
        for (name, shape) in shapes {
            let bytes = shape.reduce(4, *)
            entries.append("\"\(name)\":{\"dtype\":\"F32\",\"shape\":\(shape),\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        var header = Data(("{" + entries.joined(separator: ",") + "}").utf8)
        header.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8))
        var file = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Data($0) }
        file.append(header)
        try file.write(to: URL(fileURLWithPath: input))
        headerEnd = file.count
        XCTAssertEqual(truncate(input, off_t(headerEnd + offset)), 0)
    }

    /// Runs rnnkit on a fresh sparse input and, as soon as the process has
    /// mapped it, truncates it to its header (or runs `action` with its
    /// process identifier instead). Returns the exit status (nil when it died
    /// of a signal) and what it printed on stderr.
    private func runWhileTruncating(_ arguments: [String], environment: [String: String] = [:],
                                    action: ((Int32) -> Void)? = nil) throws -> (status: Int32?, stderr: String) {
        try writeSparseLSTM()
        let mapped = URL(fileURLWithPath: input).resolvingSymlinksInPath().path
        let process = Process()
        process.executableURL = CLI.productsDirectory.appendingPathComponent("rnnkit")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let maps = "/proc/\(process.processIdentifier)/maps"
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning, Date() < deadline {
            if let text = try? String(contentsOfFile: maps, encoding: .utf8), text.contains(mapped) { break }
            usleep(200)
        }
        if let action { action(process.processIdentifier) } else { XCTAssertEqual(truncate(input, off_t(headerEnd)), 0) }
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationReason == .exit ? process.terminationStatus : nil, stderr)
    }

    private var expectedLine: String {
        "rnnkit: error: \(input): the file shrank while rnnkit was reading it (another program truncated or rewrote it)\n"
    }

    func testInspectingAFileTruncatedMeanwhileEndsWithOneLine() throws {
        // The truncation almost always lands while the values are read
        // through the map (the fault); rarely between the format sniffer's
        // map and the reader's, which then finds the file short. Each try
        // must end cleanly; the fault's line must come within five.
        var sawFault = false
        for _ in 0 ..< 5 where !sawFault {
            let result = try runWhileTruncating(["inspect", "--check-values", input])
            XCTAssertEqual(result.status, 2, result.stderr)
            XCTAssertTrue(result.stderr == expectedLine || (result.stderr.hasPrefix("rnnkit: error: \(input): ")
                && result.stderr.contains("truncated: ") && result.stderr.filter { $0 == "\n" }.count == 1), result.stderr)
            sawFault = result.stderr == expectedLine
        }
        XCTAssertTrue(sawFault, "no try faulted in the map")
    }

    func testConvertingAFileTruncatedMeanwhileLeavesNoOutput() throws {
        for target in ["out.npz", "out.safetensors"] {
            let output = folder.appendingPathComponent(target).path
            let result = try runWhileTruncating(["convert", input, output])
            XCTAssertEqual(result.status, 2, "\(target): \(result.stderr)")
            // `convert` opens its input more than once; a truncation that
            // falls between two opens is found by the next one ("truncated:
            // … bytes needed"). Either way: one line naming the file.
            let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            XCTAssertEqual(lines.count, 1, "\(target): \(result.stderr)")
            XCTAssertTrue(result.stderr.hasPrefix("rnnkit: error: \(input): "), "\(target): \(result.stderr)")
            XCTAssertTrue(result.stderr == expectedLine || result.stderr.contains("truncated: "), "\(target): \(result.stderr)")
            let left = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0 != "big.safetensors" }
            XCTAssertEqual(left, [], "\(target): output or temporary files left")
        }
    }

    func testABusErrorOfAnotherCauseGoesToTheHandlerBefore() throws {
        // SIGBUS sent from outside, not a fault in a mapped input: passed on
        // to the action that was there before, never reported as a shrunk
        // file. Without the Swift runtime's backtracer that action is the
        // default one: the process dies of the signal.
        let result = try runWhileTruncating(["inspect", "--check-values", input],
                                            environment: ["SWIFT_BACKTRACE": "enable=no"]) { kill($0, SIGBUS) }
        XCTAssertNil(result.status, result.stderr)
        XCTAssertFalse(result.stderr.contains("shrank"), result.stderr)
    }
}
