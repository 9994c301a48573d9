import Foundation
import TensorFiles
import XCTest

/// A wrapper that passes its LSTM a learned initial state it stores beside
/// it (Fixtures/torch_code/`learned_state*`: pickled, state dict, traced).
/// rnnkit runs the module alone, from zeros, and says so, naming the rename
/// that makes the stored tensors the module's default; with it, the run
/// (and an ONNX conversion) gives the model's own output. Before, the run
/// exited 0 silently, 0.29 off the model.
final class StateShapedTensorCommandTests: XCTestCase {
    private var folder: URL!
    private let stems = ["learned_state", "learned_state_dict", "learned_state_traced"]
    private let renames = ["--rename", "h0=lstm.h0", "--rename", "c0=lstm.c0"]

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("state-shaped-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func fixture(_ file: String) -> String {
        CLI.fixtures.appendingPathComponent("torch_code/\(file)").path
    }

    private func largest(_ a: Tensor, _ b: Tensor) throws -> Float {
        XCTAssertEqual(a.shape, b.shape)
        return zip(try a.floats(), try b.floats()).map { abs($0 - $1) }.max() ?? .infinity
    }

    func testTheModuleRunsFromZerosAndSaysSo() throws {
        let expected = try TensorFile.open(fixture("expected.npz"))
        for stem in stems {
            let output = folder.appendingPathComponent("\(stem).npz").path
            let run = try CLI.run(["run", fixture("\(stem).pt"), "--input", fixture("input.npy"), "--output", output])
            XCTAssertEqual(run.status, 0, "\(stem): \(run.stderr)")
            for (tensor, option) in [("h0", "--h0"), ("c0", "--c0")] {
                XCTAssertTrue(run.stderr.contains("note: \(fixture("\(stem).pt")): the file also stores '\(tensor)' (2, 1, 5), shaped like "
                    + "this module's initial state; rnnkit runs the module alone and cannot tell whether the model passes it in, so run "
                    + "starts from zeros, the module's default, unless given \(option) (--rename \(tensor)=lstm.\(tensor) starts from it)"),
                    "\(stem): \(run.stderr)")
            }
            let got = try XCTUnwrap(try TensorFile.open(output).tensor(named: "output"))
            XCTAssertLessThan(try largest(got, try XCTUnwrap(expected.tensor(named: "learned_state_pytorch"))), 1e-5, stem)
            XCTAssertGreaterThan(try largest(got, try XCTUnwrap(expected.tensor(named: "learned_state_module"))), 1e-2, stem)
        }
        let inspect = try CLI.run(["inspect", fixture("learned_state_dict.pt")])
        XCTAssertTrue(inspect.stdout.contains("the file also stores 'h0' (2, 1, 5)"), inspect.stdout)
    }

    func testRenamedTheyAreTheModulesStoredState() throws {
        let expected = try TensorFile.open(fixture("expected.npz"))
        for stem in stems {
            let output = folder.appendingPathComponent("\(stem).npz").path
            let run = try CLI.run(["run", fixture("\(stem).pt"), "--input", fixture("input.npy"), "--output", output] + renames)
            XCTAssertEqual(run.status, 0, "\(stem): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("the file stores 'lstm.h0' (2, 1, 5); run uses it as the default --h0"), run.stderr)
            XCTAssertFalse(run.stderr.contains("also stores"), run.stderr)
            let got = try XCTUnwrap(try TensorFile.open(output).tensor(named: "output"))
            XCTAssertLessThan(try largest(got, try XCTUnwrap(expected.tensor(named: "learned_state_module"))), 1e-5, stem)
        }
        // inspect reads the renames as run does.
        let inspect = try CLI.run(["inspect", fixture("learned_state_dict.pt")] + renames)
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        XCTAssertTrue(inspect.stdout.contains("the file stores 'lstm.h0' (2, 1, 5)"), inspect.stdout)
        XCTAssertFalse(inspect.stdout.contains("also stores"), inspect.stdout)
        // Converted with the renames, the ONNX model starts from the stored state (its h0/c0 inputs' defaults).
        let model = folder.appendingPathComponent("learned.onnx").path
        let converted = try CLI.run(["convert", fixture("learned_state_dict.pt"), model] + renames)
        XCTAssertEqual(converted.status, 0, converted.stderr)
        let output = folder.appendingPathComponent("onnx.npz").path
        let run = try CLI.run(["run", model, "--input", fixture("input.npy"), "--output", output])
        XCTAssertEqual(run.status, 0, run.stderr)
        let got = try XCTUnwrap(try TensorFile.open(output).tensor(named: "output"))
        XCTAssertLessThan(try largest(got, try XCTUnwrap(expected.tensor(named: "learned_state_module"))), 1e-5)
    }
}
