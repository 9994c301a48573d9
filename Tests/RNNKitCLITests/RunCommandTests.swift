#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TensorFiles
import XCTest

/// End-to-end tests of `rnnkit run` through the built binary.
final class RunCommandTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnnkit-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // A one-layer LSTM (input 3, hidden 4) as a folder of .npy files, and its inputs.
        let weights = folder.appendingPathComponent("weights")
        try FileManager.default.createDirectory(at: weights, withIntermediateDirectories: true)
        var value: Float = 0
        func ramp(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape, floats: (0 ..< shape.reduce(1, *)).map { _ in value += 0.37; return sin(value) * 0.5 })
        }
        for (name, shape) in [("weight_ih_l0", [16, 3]), ("weight_hh_l0", [16, 4]), ("bias_ih_l0", [16]), ("bias_hh_l0", [16])] {
            try write(ramp(shape), to: "weights/lstm.\(name).npy")
        }
        try write(ramp([5, 2, 3]), to: "x.npy")
        try write(ramp([1, 2, 4]), to: "h0.npy")
        try write(ramp([1, 3, 4]), to: "h0_wrong.npy")
        try write(Tensor(shape: [2], int64s: [5, 3]), to: "lengths.npy")
        try write(Tensor(shape: [2], int64s: [0, 3]), to: "lengths_zero.npy")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func write(_ tensor: Tensor, to name: String) throws {
        try NPYWriter.encode(tensor).write(to: folder.appendingPathComponent(name))
    }

    private func run(_ arguments: [String]) throws -> CLIResult {
        try CLI.run(["run", "weights"] + arguments, currentDirectory: folder)
    }

    private var leftovers: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasPrefix(".") || $0.hasSuffix(".npz") }
    }

    func testWritesAnNPZWithOutputHnCn() throws {
        let result = try run(["--input", "x.npy", "--lengths", "lengths.npy", "--h0", "h0.npy", "--output", "out.npz"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("output (5, 2, 4), h_n (1, 2, 4), c_n (1, 2, 4)"), result.stdout)
        let written = try TensorFile.open(folder.appendingPathComponent("out.npz").path)
        XCTAssertEqual(written.format, .npz)
        XCTAssertEqual(written.tensors.map(\.name), ["output", "h_n", "c_n"])
        XCTAssertEqual(written.tensors.map(\.tensor.shape), [[5, 2, 4], [1, 2, 4], [1, 2, 4]])
        XCTAssertEqual(Set(written.tensors.map(\.tensor.dtype)), [.float32])
        // The second sequence has length 3: its output is zero from step 3 on.
        let output = try written.tensors[0].tensor.floats()
        for t in 3 ..< 5 { XCTAssertEqual(Array(output[(t * 2 + 1) * 4 ..< (t * 2 + 2) * 4]), [0, 0, 0, 0]) }
        XCTAssertEqual(leftovers, ["out.npz"])
    }

    func testPublishedWeightsWithRenamesReproduceTheirReference() throws {
        // g2p_en's GRU encoder, saved under its own names (Fixtures/published/g2p_en_gru/SOURCE.md).
        let fixture = CLI.fixtures.appendingPathComponent("published/g2p_en_gru")
        let renames = ["w_ih": "weight_ih_l0", "w_hh": "weight_hh_l0", "b_ih": "bias_ih_l0", "b_hh": "bias_hh_l0"]
            .flatMap { ["--rename", "enc_\($0.key)=encoder.\($0.value)"] }
        let result = try CLI.run(["run", fixture.appendingPathComponent("checkpoint20.npz").path, "--module", "encoder",
                                  "--batch-first", "--input", fixture.appendingPathComponent("input.npy").path,
                                  "--output", folder.appendingPathComponent("g2p.npz").path] + renames)
        XCTAssertEqual(result.status, 0, result.stderr)
        let written = try TensorFile.open(folder.appendingPathComponent("g2p.npz").path)
        let expected = try TensorFile.open(fixture.appendingPathComponent("expected.npz").path)
        for name in ["output", "h_n"] {
            let actual = try XCTUnwrap(written.tensor(named: name))
            let reference = try XCTUnwrap(expected.tensor(named: name))
            XCTAssertEqual(actual.shape, reference.shape)
            let worst = zip(try actual.floats(), try reference.floats()).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThanOrEqual(worst, 1e-5, name)
        }
        XCTAssertNil(written.tensor(named: "c_n"), "a GRU has no c_n")
    }

    /// `run` writes the output while it computes it (`OutputReceiver`):
    /// SIGTERM once the temporary file holds megabytes of it, before the
    /// pass ends, leaves no file at all.
    /// A tensor named `<module>.h0` beside the weights is the run's default
    /// initial state, and run says so: in a state dict it may be a buffer the
    /// model's forward ignores (0.22 off then, with no word before).
    func testAStoredStateTheRunUsesIsSaid() throws {
        try write(Tensor(shape: [1, 2, 4], floats: (0 ..< 8).map { Float($0) / 8 }), to: "weights/lstm.h0.npy")
        let stored = try run(["--input", "x.npy", "--output", "stored.npz"])
        XCTAssertEqual(stored.status, 0, stored.stderr)
        XCTAssertEqual(stored.stderr, "note: weights: the file stores 'lstm.h0' (1, 2, 4); run uses it as the default --h0\n")
        let given = try run(["--input", "x.npy", "--h0", "h0.npy", "--output", "given.npz"])
        XCTAssertEqual(given.status, 0, given.stderr)
        XCTAssertEqual(given.stderr, "", "the given h0 is used: nothing from the file")
    }

    func testARunStoppedWhileItWritesItsOutputLeavesNoFile() throws {
        try write(Tensor(shape: [3_000_000, 2, 3], floats: [Float](repeating: 0.25, count: 18_000_000)), to: "long.npy")
        let process = Process()
        process.executableURL = CLI.productsDirectory.appendingPathComponent("rnnkit")
        process.arguments = ["run", "weights", "--input", "long.npy", "--output", "out.npz"]
        process.currentDirectoryURL = folder
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var stopped = false
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning, Date() < deadline {
            let temporary = leftovers.first { $0.hasPrefix(".out.npz.rnnkit-") }
            if let temporary, let size = try? FileManager.default.attributesOfItem(
                atPath: folder.appendingPathComponent(temporary).path)[.size] as? Int, size > 4 << 20 {
                stopped = kill(process.processIdentifier, SIGTERM) == 0
                break
            }
            usleep(200)
        }
        process.waitUntilExit()
        // 96 MB of output: the temporary file grew past 4 MB while the pass still ran.
        XCTAssertTrue(stopped, "the run finished before its output reached the file")
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)
        XCTAssertEqual(leftovers, [])
    }

    func testBadInputsExitTwoNamingTheFileAndLeaveNoOutput() throws {
        let cases: [([String], String, String)] = [
            (["--input", "h0.npy"], "h0.npy", "input_size is 3"),
            (["--input", "x.npy", "--h0", "h0_wrong.npy"], "h0_wrong.npy", "expected (1, 2, 4)"),
            (["--input", "x.npy", "--lengths", "lengths_zero.npy"], "lengths_zero.npy", "1…5"),
            (["--input", "x.npy", "--c0", "missing.npy"], "missing.npy", "no such file"),
            (["--input", "x.npy", "--module", "decoder"], "weights", "no module named 'decoder'"),
            (["--input", "x.npy", "--rename", "nothing=weight_ih_l0"], "weights", "no tensor named 'nothing'"),
        ]
        for (arguments, file, message) in cases {
            let result = try run(arguments + ["--output", "out.npz"])
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(file) && result.stderr.contains(message), "\(arguments): \(result.stderr)")
            XCTAssertEqual(leftovers, [], "\(arguments) left a file")
        }
    }

    func testAnOutputNotNamedNPZIsRefusedBeforeRunning() throws {
        // The file would be an NPZ archive under another container's name.
        for (name, named) in [("out.safetensors", "ends in '.safetensors'"), ("out.h5", "ends in '.h5'"), ("out", "has no suffix")] {
            let result = try run(["--input", "x.npy", "--output", name])
            XCTAssertEqual(result.status, 2, "\(name): \(result.stderr)")
            XCTAssertEqual(result.stderr, "rnnkit: error: \(name): a run writes an .npz archive (output, h_n, c_n) and this name "
                + "\(named); name it *.npz (rnnkit convert turns the .npz into another container)\n")
            XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path), name)
            XCTAssertEqual(leftovers, [], "\(name) left a file")
        }
        let upper = try run(["--input", "x.npy", "--output", "OUT.NPZ"])
        XCTAssertEqual(upper.status, 0, upper.stderr)
    }

    func testRefusesToOverwriteWithoutForceAndNeverAnInput() throws {
        try Data("keep".utf8).write(to: folder.appendingPathComponent("out.npz"))
        let refused = try run(["--input", "x.npy", "--output", "out.npz"])
        XCTAssertEqual(refused.status, 2)
        // One line naming the file and the reason; the CLI adds the flag that resolves it.
        XCTAssertEqual(refused.stderr, "rnnkit: error: out.npz: already exists (pass --force to overwrite)\n")
        XCTAssertEqual(try String(contentsOf: folder.appendingPathComponent("out.npz"), encoding: .utf8), "keep")

        let forced = try run(["--input", "x.npy", "--output", "out.npz", "--force"])
        XCTAssertEqual(forced.status, 0, forced.stderr)

        try FileManager.default.createDirectory(at: folder.appendingPathComponent("results"), withIntermediateDirectories: true)
        let directory = try run(["--input", "x.npy", "--output", "results", "--force"])
        XCTAssertEqual(directory.status, 2)
        XCTAssertEqual(directory.stderr,
                       "rnnkit: error: results: is a folder; the output is a file, and overwriting does not replace a folder\n")

        let input = try run(["--input", "x.npy", "--output", "x.npy", "--force"])
        XCTAssertEqual(input.status, 2)
        XCTAssertEqual(input.stderr, "rnnkit: error: x.npy: refusing to overwrite the input file\n")
    }

    func testUsageErrorsAndHelp() throws {
        let bad = try run(["--input", "x.npy", "--output", "out.npz", "--nonlinearity", "sigmoid"])
        XCTAssertEqual(bad.status, 64, bad.stderr)
        let help = try CLI.run(["run", "--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("EXAMPLES"), help.stdout)
        XCTAssertTrue(help.stdout.contains("--batch-first"), help.stdout)
    }
}
