import Foundation
import XCTest
import ZIPFoundation
@testable import TensorFiles

/// Exported programs written by real PyTorch (`Fixtures/pt2/`, made by
/// `scripts/fixturegen/pt2_files.py`): the weights come out under
/// `state_dict()`'s names, in its order, with torch's values; the graph says
/// how each recurrent module runs; the same files broken one way at a time
/// are refused naming what is wrong.
final class ExportedProgramArchiveTests: XCTestCase {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/pt2")

    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("pt2-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    private func cases() throws -> [String: [String: Any]] {
        let data = try Data(contentsOf: Self.folder.appendingPathComponent("cases.json"))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try XCTUnwrap(json["cases"] as? [String: [String: Any]])
    }

    private func fixture(_ stem: String) -> String { Self.folder.appendingPathComponent("\(stem).pt2").path }

    func testWeightsAreTheStateDictInOrderWithTorchsValues() throws {
        let values = try TensorFile.open(Self.folder.appendingPathComponent("state_dicts.npz").path)
        let all = try cases()
        XCTAssertEqual(all.count, 14)
        for (stem, entry) in all {
            XCTAssertEqual(try FormatSniffer.format(of: fixture(stem)), .pytorchExport, stem)
            let file = try TensorFile.open(fixture(stem))
            XCTAssertEqual(file.format, .pytorchExport, stem)
            XCTAssertEqual(file.tensors.map(\.name), entry["state_dict"] as? [String], stem)
            XCTAssertTrue(file.tensors.allSatisfy { !$0.tensor.isLoaded }, "\(stem): weights read while opening")
            for named in file.tensors {
                let expected = try XCTUnwrap(values.tensor(named: "\(stem):\(named.name)"), named.name)
                XCTAssertEqual(named.tensor.shape, expected.shape, "\(stem) \(named.name)")
                XCTAssertEqual(try named.tensor.floats(), try expected.floats(), "\(stem) \(named.name)")
            }
        }
    }

    func testTheGraphSaysHowEachModuleRuns() throws {
        let recorded: [String: (module: String, batchFirst: Bool?, nonlinearity: String?)] = [
            "lstm_wrapped_batch_first": ("lstm", true, nil), "gru_2l_bi_batch_first": ("", true, nil),
            "rnn_relu": ("", false, "relu"), "lstm_proj": ("", false, nil), "lstm_strided_weight": ("", false, nil),
            "lstmcell": ("", nil, nil), "gru_given_state": ("gru", false, nil),
        ]
        for (stem, entry) in try cases() {
            let file = try TensorFile.open(fixture(stem))
            if entry["accepted"] as? Bool == true {
                let expected = try XCTUnwrap(recorded[stem], stem)
                XCTAssertEqual(file.unrunCode, [:], stem)
                let settings = try XCTUnwrap(file.moduleSettings[expected.module], stem)
                XCTAssertEqual(settings.batchFirst, expected.batchFirst, stem)
                XCTAssertEqual(settings.nonlinearity, expected.nonlinearity, stem)
            } else if entry["flag"] as? String == "--full-precision" {
                XCTAssertEqual(file.moduleSettings[""]?.computeDType, .float16, stem)
                XCTAssertEqual(file.unrunCode, [:], stem)
            } else {
                let module = ["gru_forward_hook", "gru_learned_state"].contains(stem) ? "gru" : ""
                let code = try XCTUnwrap(file.unrunCode[module], stem)
                XCTAssertFalse(code.graph.isEmpty && code.className == nil, "\(stem): \(code)")
            }
        }
        XCTAssertEqual(try TensorFile.open(fixture("gru_given_state")).moduleSettings["gru"]?.stateInputs, ["h0": "h"])
        let reasons = ["gru_forward_hook": "aten.mul.Tensor", "subclass_forward": "aten.mul.Tensor",
                       "lstm_decomposed": "aten.addmm.default", "lstm_train_dropout": "training mode, with dropout 0.5",
                       "subclass_swapped_states": "its class is __main__.SwappedLSTM",
                       "gru_learned_state": "initial state computed from the file's tensor 'h0'"]
        for (stem, phrase) in reasons {
            let summary = try XCTUnwrap(TensorFile.open(fixture(stem)).unrunCode.values.first).summary
            XCTAssertTrue(summary.contains(phrase), "\(stem): \(summary)")
        }
    }

    // MARK: - The same files, broken one way at a time

    /// The members of fixture `stem`, changed by `change`, written to a new archive.
    private func broken(_ stem: String, _ change: (inout [String: Data]) throws -> Void) throws -> String {
        let source = try Archive(url: URL(fileURLWithPath: fixture(stem)), accessMode: .read)
        var members: [String: Data] = [:]
        for entry in source where entry.type == .file {
            var data = Data()
            _ = try source.extract(entry, skipCRC32: true) { data.append($0) }
            members[entry.path] = data
        }
        try change(&members)
        let url = scratch.appendingPathComponent("\(stem)-\(UUID().uuidString).pt2")
        let archive = try Archive(url: url, accessMode: .create)
        for (path, data) in members.sorted(by: { $0.key < $1.key }) {
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count)) { position, size in
                data.subdata(in: Int(position) ..< Int(position) + size)
            }
        }
        return url.path
    }

    /// `text` with `old` replaced by `new` (which must occur).
    private func edited(_ data: Data?, _ old: String, _ new: String) throws -> Data {
        let text = String(decoding: try XCTUnwrap(data), as: UTF8.self)
        XCTAssertTrue(text.contains(old), old)
        return Data(text.replacingOccurrences(of: old, with: new).utf8)
    }

    private func assertRefused(_ path: String, _ reason: TensorFileError.Reason, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try TensorFile.open(path), file: file, line: line) { error in
            XCTAssertEqual((error as? TensorFileError)?.reason, reason, "\(error)", file: file, line: line)
        }
    }

    func testArchiveLevelProblemsAreRefusedByName() throws {
        assertRefused(try broken("rnn_relu") { $0["rnn_relu/archive_format"] = Data("zip".utf8) },
                      .exportedProgram(.archiveFormat("zip")))
        assertRefused(try broken("rnn_relu") { $0["rnn_relu/archive_version"] = Data("7".utf8) },
                      .exportedProgram(.archiveVersion("7", supported: "0")))
        assertRefused(try broken("rnn_relu") { $0["rnn_relu/byteorder"] = Data("big".utf8) }, .exportedProgram(.bigEndian))
        assertRefused(try broken("rnn_relu") { $0["rnn_relu/models/model.json"] = nil }, .exportedProgram(.noProgram(members: [
            "data/constants/model_constants_config.json", "data/sample_inputs/model.pt", "data/weights/model_weights_config.json",
            "data/weights/weight_0", "data/weights/weight_1", "data/weights/weight_2", "data/weights/weight_3",
        ])))
        assertRefused(try broken("rnn_relu") { $0["rnn_relu/models/other.json"] = $0["rnn_relu/models/model.json"] },
                      .exportedProgram(.severalPrograms(["model", "other"])))
        assertRefused(try broken("rnn_relu") { $0["rnn_relu/models/model.json"] = Data("{\"graph_module\": [".utf8) },
                      .exportedProgram(.unparsable(member: "models/model.json")))
        assertRefused(try broken("rnn_relu") {
            $0["rnn_relu/models/model.json"] = try edited($0["rnn_relu/models/model.json"], "\"major\": 8", "\"major\": 9")
        }, .exportedProgram(.schemaVersion(major: 9, supported: 8)))
        assertRefused(try broken("rnn_relu") { $0["rnn_relu/data/weights/weight_1"] = nil },
                      .exportedProgram(.missingWeightMember(weight: "weight_hh_l0", member: "data/weights/weight_1")))
    }

    /// A member listed twice: torch's reader and rnnkit's could take different copies.
    func testAMemberListedTwiceIsRefused() throws {
        for (stem, member) in [("rnn_relu", "rnn_relu/data/weights/weight_0"), ("gru_given_state", "gru_given_state/models/model.json")] {
            let url = scratch.appendingPathComponent("\(stem)-twice.pt2")
            try FileManager.default.copyItem(atPath: fixture(stem), toPath: url.path)
            let archive = try Archive(url: url, accessMode: .update)
            let zeros = Data(count: 80)
            try archive.addEntry(with: member, type: .file, uncompressedSize: Int64(zeros.count)) { position, size in
                zeros.subdata(in: Int(position) ..< Int(position) + size)
            }
            assertRefused(url.path, .zip(.duplicateMember(member)))
        }
    }

    /// torch.export.save before PyTorch 2.6 wrote a plain zip of these members.
    func testTheLayoutBeforePyTorch26IsRefusedWithTheRemedy() throws {
        let path = try broken("rnn_relu") { members in
            members = ["serialized_exported_program.json": Data("{}".utf8), "serialized_state_dict.pt": Data(),
                       "serialized_constants.pt": Data(), "version": Data("1".utf8)]
        }
        XCTAssertEqual(try FormatSniffer.format(of: path), .pytorchExport)
        assertRefused(path, .exportedProgram(.olderLayout))
        XCTAssertTrue(ExportedProgramProblem.olderLayout.description.contains("state_dict"))
    }

    func testWeightDescriptionsAreCheckedBeforeUse() throws {
        let config = "rnn_relu/data/weights/model_weights_config.json"
        func weight(_ old: String, _ new: String) throws -> String {
            try broken("rnn_relu") { $0[config] = try edited($0[config], old, new) }
        }
        // Sizes past the bytes stored: weight_ih_l0 is (5, 4) in 80 bytes.
        let past = try weight("\"sizes\": [{\"as_int\": 5}, {\"as_int\": 4}]", "\"sizes\": [{\"as_int\": 50}, {\"as_int\": 4}]")
        XCTAssertThrowsError(try TensorFile.open(past)) { error in
            guard case .torchStorage? = (error as? TensorFileError)?.reason else { return XCTFail("\(error)") }
        }
        let overflowing = try weight("\"sizes\": [{\"as_int\": 5}, {\"as_int\": 4}]",
                                     "\"sizes\": [{\"as_int\": 4611686018427387904}, {\"as_int\": 4}]")
        XCTAssertThrowsError(try TensorFile.open(overflowing)) { error in
            guard case .torchStorage(.shapeOverflows)? = (error as? TensorFileError)?.reason else { return XCTFail("\(error)") }
        }
        let negative = try weight("\"strides\": [{\"as_int\": 4}, {\"as_int\": 1}]", "\"strides\": [{\"as_int\": -4}, {\"as_int\": 1}]")
        XCTAssertThrowsError(try TensorFile.open(negative)) { error in
            guard case .exportedProgram(.unexpected)? = (error as? TensorFileError)?.reason else { return XCTFail("\(error)") }
        }
        let symbolic = try weight("\"sizes\": [{\"as_int\": 5}, {\"as_int\": 4}]", "\"sizes\": [{\"as_expr\": \"s0\"}, {\"as_int\": 4}]")
        XCTAssertThrowsError(try TensorFile.open(symbolic)) { error in
            guard case .exportedProgram(.unexpected(_, _, let expected))? = (error as? TensorFileError)?.reason else {
                return XCTFail("\(error)")
            }
            XCTAssertTrue(expected.contains("concrete integer"), expected)
        }
        // A dtype rnnkit has not (complex64, ScalarType 10) is listed, not read.
        let complex = try TensorFile.open(try weight("\"dtype\": 7", "\"dtype\": 10"))
        XCTAssertFalse(complex.tensors.contains { $0.name == "weight_ih_l0" })
        XCTAssertTrue(complex.otherItems.contains { $0.name == "weight_ih_l0" && $0.summary.contains("ScalarType 10") })
    }

    func testHostileGraphsAreRefusedOrReadWithoutCrashing() throws {
        let model = "rnn_relu/models/model.json"
        func graph(_ old: String, _ new: String) throws -> String {
            try broken("rnn_relu") { $0[model] = try edited($0[model], old, new) }
        }
        // Layer counts that no weight list fits: the module is not run as recorded.
        for layers in ["-3", "0", "9223372036854775807"] {
            let file = try TensorFile.open(try graph("\"num_layers\", \"arg\": {\"as_int\": 1}", "\"num_layers\", \"arg\": {\"as_int\": \(layers)}"))
            let code = try XCTUnwrap(file.unrunCode[""], layers)
            XCTAssertTrue(code.summary.contains("other tensors than its weights"), code.summary)
        }
        // The packed form records no padded layout: run must be told.
        let packed = try TensorFile.open(try graph("torch.ops.aten.rnn_relu.input", "torch.ops.aten.rnn_relu.data"))
        XCTAssertEqual(packed.moduleSettings[""]?.layoutUnknown, true)
        XCTAssertNil(packed.moduleSettings[""]?.batchFirst)
        XCTAssertTrue(try TensorFile.open(fixture("rnn_relu")).moduleSettings[""]?.layoutUnknown == false)
        // A flag of the wrong kind is named.
        XCTAssertThrowsError(try TensorFile.open(try graph("\"batch_first\", \"arg\": {\"as_bool\": false}",
                                                           "\"batch_first\", \"arg\": {\"as_bool\": \"no\"}"))) { error in
            guard case .exportedProgram(.unexpected(_, _, "true or false"))? = (error as? TensorFileError)?.reason else {
                return XCTFail("\(error)")
            }
        }
        // No record of which module ran each operator: nothing to check the module against.
        let unstacked = try broken("rnn_relu") { members in
            let text = String(decoding: try XCTUnwrap(members[model]), as: UTF8.self)
            members[model] = Data(text.replacingOccurrences(of: "\"nn_module_stack\"", with: "\"other_stack\"").utf8)
        }
        XCTAssertTrue(try XCTUnwrap(TensorFile.open(unstacked).unrunCode[""]).summary.contains("nn_module_stack"))
        // JSON nested far deeper than any graph: refused, not a stack overflow.
        let deep = try broken("rnn_relu") { $0[model] = Data((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8) }
        XCTAssertThrowsError(try TensorFile.open(deep))
    }
}
