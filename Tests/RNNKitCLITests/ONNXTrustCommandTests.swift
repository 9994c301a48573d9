import Foundation
import TensorFiles
import XCTest

/// `rnnkit run`, `inspect` and `convert` on the ONNX files of issue 13
/// (Fixtures/onnx/*/case.json): a stored initial state and lengths, a
/// batch-major input behind other nodes, recurrent nodes in If/Loop
/// subgraphs, an unknown layout. Expected numbers come from PyTorch or ONNX Runtime.
final class ONNXTrustCommandTests: XCTestCase {
    private struct Case: Decodable {
        var module: String
        var flags: [String]
        var stored_state: Bool?
        var stored_lengths: [Int]?
        var batch_first: Bool?
        var layout_unknown: Bool?
    }

    private var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("rnnkit-onnx-trust-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: work)
    }

    private func cases() throws -> [(URL, Case)] {
        let root = CLI.fixtures.appendingPathComponent("onnx")
        let folders = try FileManager.default.contentsOfDirectory(at: root, includingPropertiesForKeys: nil)
            .filter { FileManager.default.fileExists(atPath: $0.appendingPathComponent("case.json").path) }
            .sorted { $0.path < $1.path }
        XCTAssertGreaterThanOrEqual(folders.count, 12, "Fixtures/onnx/*/case.json (scripts/fixturegen/onnx_trust_files.py)")
        return try folders.map { ($0, try JSONDecoder().decode(Case.self, from: Data(contentsOf: $0.appendingPathComponent("case.json")))) }
    }

    private func fixture(_ name: String) -> URL { CLI.fixtures.appendingPathComponent("onnx/\(name)") }

    /// The largest difference between the arrays of two NPZ files, relative to `1 + max|expected|`.
    private func difference(_ got: URL, _ expected: URL, file: StaticString = #filePath, line: UInt = #line) throws -> Double {
        let have = Dictionary(uniqueKeysWithValues: try TensorFile.open(got.path).tensors.map { ($0.name, $0.tensor) })
        var worst = 0.0
        for named in try TensorFile.open(expected.path).tensors {
            let want = try named.tensor.doubles()
            guard let tensor = have[named.name] else {
                XCTFail("\(got.lastPathComponent) lacks \(named.name)", file: file, line: line)
                return .infinity
            }
            XCTAssertEqual(tensor.shape, named.tensor.shape, named.name, file: file, line: line)
            let values = try tensor.doubles()
            guard values.count == want.count else { return .infinity }
            let scale = 1 + (want.map(abs).max() ?? 0)
            worst = max(worst, zip(values, want).map { abs($0 - $1) / scale }.max() ?? 0)
        }
        return worst
    }

    private func run(_ model: URL, _ folder: URL, module: String, flags: [String], output: String) throws -> CLIResult {
        try CLI.run(["run", model.path, "--module", module.isEmpty ? "(root)" : module, "--input",
                     folder.appendingPathComponent("input.npy").path, "--output", work.appendingPathComponent(output).path] + flags)
    }

    func testEveryFileRunsToTheLibrarysNumbersWithItsStoredDefaults() throws {
        for (folder, spec) in try cases() {
            let name = folder.lastPathComponent
            let result = try run(folder.appendingPathComponent("model.onnx"), folder, module: spec.module, flags: spec.flags, output: "\(name).npz")
            XCTAssertEqual(result.status, 0, "\(name): \(result.stderr)")
            guard result.status == 0 else { continue }
            XCTAssertLessThan(try difference(work.appendingPathComponent("\(name).npz"), folder.appendingPathComponent("expected.npz")), 1e-5, name)
            // What the run takes from the file is said (a state dict's tensor of that name may be one the forward ignores).
            if spec.stored_state == true { XCTAssertTrue(result.stderr.contains("the file stores an initial state"), "\(name): \(result.stderr)") }
            if spec.stored_lengths != nil { XCTAssertTrue(result.stderr.contains("the file stores sequence lengths"), "\(name): \(result.stderr)") }
        }
    }

    func testStoredStateAndLengthsMatter() throws {
        // Starting from zeros (what rnnkit did before) or full lengths gives other numbers.
        for name in ["lstm_learned_state_ts", "lstm_constant_state_lengths", "gru_packed_lengths_ts", "gru_packed_batch_first_ts"] {
            let folder = fixture(name)
            let spec = try JSONDecoder().decode(Case.self, from: Data(contentsOf: folder.appendingPathComponent("case.json")))
            let x = try TensorFile.open(folder.appendingPathComponent("input.npy").path).tensors[0].tensor
            var flags: [String] = []
            if spec.stored_state == true {
                let states = 2  // both modules: 2 layers × 1 direction or 1 layer × 2 directions
                let hidden = name.hasPrefix("lstm_learned") ? 4 : 5
                let zeros = Tensor(shape: [states, x.shape[1], hidden], floats: Array(repeating: 0, count: states * x.shape[1] * hidden))
                try NPYWriter.encode(zeros).write(to: work.appendingPathComponent("zeros.npy"))
                flags += ["--h0", work.appendingPathComponent("zeros.npy").path, "--c0", work.appendingPathComponent("zeros.npy").path]
            }
            if spec.stored_lengths != nil {
                let (time, batch) = spec.batch_first == true ? (x.shape[1], x.shape[0]) : (x.shape[0], x.shape[1])
                let full = Tensor(shape: [batch], int64s: Array(repeating: Int64(time), count: batch))
                try NPYWriter.encode(full).write(to: work.appendingPathComponent("full.npy"))
                flags += ["--lengths", work.appendingPathComponent("full.npy").path]
            }
            let result = try run(folder.appendingPathComponent("model.onnx"), folder, module: spec.module, flags: flags, output: "\(name)_override.npz")
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertFalse(result.stderr.contains("the file stores"), "\(name): nothing stored is used: \(result.stderr)")
            XCTAssertGreaterThan(try difference(work.appendingPathComponent("\(name)_override.npz"), folder.appendingPathComponent("expected.npz")), 1e-3,
                                 "\(name): the flags override the stored defaults")
        }
    }

    func testAStoredStateForAnotherBatchIsRefusedAndBatchOneBroadcasts() throws {
        let x = try TensorFile.open(fixture("lstm_learned_state_dynamo/input.npy").path).tensors[0].tensor
        let two = try Tensor(dtype: .float32, shape: [x.shape[0], 2, x.shape[2]], data: {
            let data = try x.data()
            let row = x.shape[1] * x.shape[2] * 4
            var out = Data()
            for step in 0 ..< x.shape[0] { out.append(data[data.startIndex + step * row ..< data.startIndex + step * row + 2 * x.shape[2] * 4]) }
            return out
        }())
        let input = work.appendingPathComponent("x2.npy")
        try NPYWriter.encode(two).write(to: input)
        // dynamo=True folds the state to the export's batch of 3.
        let model = fixture("lstm_learned_state_dynamo/model.onnx")
        let refused = try CLI.run(["run", model.path, "--input", input.path, "--output", work.appendingPathComponent("r.npz").path])
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains(model.path) && refused.stderr.contains("batch of 3") && refused.stderr.contains("--h0"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("r.npz").path))
        // The TorchScript exporter keeps batch 1 and an Expand: broadcast.
        let broadcast = try CLI.run(["run", fixture("lstm_learned_state_ts/model.onnx").path, "--input", input.path,
                                     "--output", work.appendingPathComponent("b.npz").path])
        XCTAssertEqual(broadcast.status, 0, broadcast.stderr)
    }

    /// A decoder starting from its encoder's final state is not the encoder's second layer (PyTorch's
    /// layer 2 starts from h0[1]): two modules, and the decoder's run needs that state (zeros were a guess).
    func testADecoderStartingFromTheEncodersStateIsItsOwnModuleAndNeedsH0() throws {
        let folder = fixture("gru_encoder_decoder")
        let model = folder.appendingPathComponent("model.onnx")
        let inspect = try CLI.run(["inspect", model.path])
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        XCTAssertTrue(inspect.stdout.contains("Module rnn: GRU layer, 1 layer") && inspect.stdout.contains("Module rnn_1: GRU layer, 1 layer"), inspect.stdout)
        XCTAssertTrue(inspect.stdout.contains("initial_h of GRU node '/rnn/GRU_1' is computed from the outputs of GRU node '/rnn/GRU'"), inspect.stdout)
        XCTAssertFalse(inspect.stdout.contains("graph input"), inspect.stdout)
        let decoder = ["run", model.path, "--module", "rnn_1", "--input", folder.appendingPathComponent("decoder_input.npy").path]
        let refused = try CLI.run(decoder + ["--output", work.appendingPathComponent("d0.npz").path])
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("initial h0 from the outputs of GRU node '/rnn/GRU'") && refused.stderr.contains("--h0"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("d0.npz").path))
        let given = try CLI.run(decoder + ["--h0", folder.appendingPathComponent("decoder_h0.npy").path,
                                           "--output", work.appendingPathComponent("d.npz").path])
        XCTAssertEqual(given.status, 0, given.stderr)
        XCTAssertLessThan(try difference(work.appendingPathComponent("d.npz"), folder.appendingPathComponent("decoder_expected.npz")), 1e-5)
    }

    func testAnUnknownLayoutNeedsAFlag() throws {
        let folder = fixture("gru_layout_unknown")
        let model = folder.appendingPathComponent("model.onnx")
        let refused = try run(model, folder, module: "", flags: [], output: "u.npz")
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains(model.path) && refused.stderr.contains("--batch-first or --no-batch-first"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("u.npz").path))
        let inspect = try CLI.run(["inspect", model.path])
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        XCTAssertTrue(inspect.stdout.contains("layout of the module's input is unknown") && inspect.stdout.contains("Reshape node 'Reshape_0'"), inspect.stdout)
    }

    func testInspectSaysWhatTheFileStoresAndWhereEachModuleSits() throws {
        let stored = try CLI.run(["inspect", fixture("lstm_constant_state_lengths/model.onnx").path])
        XCTAssertEqual(stored.status, 0, stored.stderr)
        XCTAssertTrue(stored.stdout.contains("stores an initial state (2, 3, 5) (h0, c0)"), stored.stdout)
        XCTAssertTrue(stored.stdout.contains("stores sequence lengths [4, 6, 2]"), stored.stdout)
        let branches = try CLI.run(["inspect", fixture("if_branch_lstm/model.onnx").path])
        XCTAssertEqual(branches.status, 0, branches.stderr)
        XCTAssertTrue(branches.stdout.contains("rnn1: read from the unnamed LSTM node writing 'then_Y' in the then_branch of If node 'If_0'"), branches.stdout)
        XCTAssertTrue(branches.stdout.contains("rnn0: read from GRU node 'gru_in_else' in the else_branch of If node 'If_0'"), branches.stdout)
        XCTAssertFalse(branches.stdout.contains("read from \n"), branches.stdout)
        let embedding = try CLI.run(["inspect", fixture("embedding_lstm_batch_first_ts/model.onnx").path])
        XCTAssertTrue(embedding.stdout.contains("batch-major input"), embedding.stdout)
    }

    func testConvertKeepsTheStoredStateAndLengthsOrRefuses() throws {
        for name in ["lstm_constant_state_lengths", "gru_packed_lengths_ts", "lstm_learned_state_ts", "lstm_packed_batch_first_ts"] {
            let folder = fixture(name)
            let spec = try JSONDecoder().decode(Case.self, from: Data(contentsOf: folder.appendingPathComponent("case.json")))
            let module = spec.module.isEmpty ? "(root)" : spec.module
            for suffix in ["onnx", "safetensors", "npz"] {
                let target = work.appendingPathComponent("\(name).\(suffix)")
                let converted = try CLI.run(["convert", folder.appendingPathComponent("model.onnx").path, target.path, "--module", module])
                XCTAssertEqual(converted.status, 0, converted.stderr)
                XCTAssertTrue(converted.stdout.contains("stored"), converted.stdout)
                // A converted file need not record the layout: say it.
                let layout = spec.batch_first == true ? ["--batch-first"] : []
                let result = try run(target, folder, module: spec.module, flags: spec.flags + layout, output: "\(name)_\(suffix).npz")
                XCTAssertEqual(result.status, 0, result.stderr)
                guard result.status == 0 else { continue }
                XCTAssertLessThan(try difference(work.appendingPathComponent("\(name)_\(suffix).npz"), folder.appendingPathComponent("expected.npz")), 1e-5,
                                  "\(name) through .\(suffix)")
            }
            let keras = work.appendingPathComponent("\(name).keras")
            let refused = try CLI.run(["convert", folder.appendingPathComponent("model.onnx").path, keras.path, "--module", module])
            XCTAssertEqual(refused.status, 2)
            XCTAssertTrue(refused.stderr.contains(folder.appendingPathComponent("model.onnx").path) && refused.stderr.contains("Keras"), refused.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: keras.path))
        }
    }

    func testTheOperatorListIsPrinted() throws {
        let result = try CLI.run(["onnx-operators"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let table = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: [[String: Any]]]
        XCTAssertEqual(table?.keys.sorted(), ["GRU", "LSTM", "RNN"])
        XCTAssertEqual(table?["LSTM"]?.filter { $0["kind"] as? String == "input" }.compactMap { $0["name"] as? String },
                       ["X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"])
        let lengths = table?["LSTM"]?.first { $0["name"] as? String == "sequence_lens" }
        XCTAssertEqual(lengths?["handling"] as? String, "read")
        XCTAssertEqual(lengths?["option"] as? String, "lengths")
        XCTAssertTrue(lengths?["default"] is NSNull)
    }

    func testTheKerasKeyListIsPrinted() throws {
        let result = try CLI.run(["keras-keys"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let table = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: [String: Any]]
        XCTAssertEqual((table?["recurrent"]?["LSTM"] as? [String: String])?["stateful"], "must-be false")
        XCTAssertEqual(table?["upstream"]?["Masking"] as? String, "masking")
    }

    /// A graph that computes more from the module's output (a Linear after the LSTM) says so: rnnkit's
    /// output is the module's; torch's plain exports, whose outputs only move into PyTorch's shapes, say nothing.
    func testInspectSaysWhenTheGraphComputesMoreAfterTheModule() throws {
        for (name, op) in [("embedding_lstm_batch_first_ts", "MatMul node '/fc/MatMul'"), ("embedding_lstm_batch_first_dynamo", "MatMul node")] {
            let result = try CLI.run(["inspect", fixture("\(name)/model.onnx").path, "--json"])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stdout.contains("\"computedAfter\""), "\(name): \(result.stdout)")
            XCTAssertTrue(result.stdout.contains(op), "\(name): \(result.stdout)")
        }
        for name in ["lstm_2l_bi", "gru_bi_batch_first", "rnn_relu_bi", "lstm_learned_state_dynamo", "gru_packed_lengths_ts"] {
            let result = try CLI.run(["inspect", fixture("\(name)/model.onnx").path])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertFalse(result.stdout.contains("computes more from this module's output"), "\(name): \(result.stdout)")
        }
    }
}
