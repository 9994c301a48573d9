import Foundation
import RNNLayouts
import TensorFiles
import XCTest

/// `rnnkit inspect` end to end on small files written here (the fixture-based
/// comparison with PyTorch is in InspectFixtureTests).
final class InspectCommandTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnnkit-inspect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// Writes `tensors` as a directory of .npy files and returns its path.
    func npyDirectory(_ name: String, _ tensors: [NamedTensor]) throws -> String {
        let directory = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for named in tensors {
            try NPYWriter.encode(named.tensor).write(to: directory.appendingPathComponent(named.name + ".npy"))
        }
        return directory.path
    }

    /// PyTorch-named zero tensors for `architecture`.
    func tensors(_ architecture: RNNArchitecture, prefix: String = "") -> [NamedTensor] {
        architecture.parameterNames.map { parameter in
            let shape = architecture.expectedShape(of: parameter)
            return NamedTensor(name: prefix + parameter.text,
                               tensor: Tensor(shape: shape, floats: [Float](repeating: 0.25, count: shape.reduce(1, *))))
        }
    }

    func jsonObject(_ text: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try XCTUnwrap(object as? [String: Any], text)
    }

    let lstm = RNNArchitecture(mode: .lstm, inputSize: 5, hiddenSize: 8, projSize: 3, numLayers: 2, bidirectional: true)

    func testJSONHasExactlyTheDocumentedSchema() throws {
        let extra = NamedTensor(name: "head.weight", tensor: Tensor(shape: [2, 6], floats: [Float](repeating: 0, count: 12)))
        let path = try npyDirectory("lstm", tensors(lstm, prefix: "enc.lstm.") + [extra])
        let result = try CLI.run(["inspect", path, "--json", "--input-shape", "7,3,5"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let document = try jsonObject(result.stdout)
        XCTAssertEqual(Set(document.keys), ["file", "format", "tensors", "modules", "problems", "notes"])
        XCTAssertEqual(document["file"] as? String, path)
        XCTAssertEqual(document["format"] as? String, "npy_directory")
        let tensors = try XCTUnwrap(document["tensors"] as? [[String: Any]])
        XCTAssertEqual(tensors.count, lstm.parameterNames.count + 1)
        for tensor in tensors {
            XCTAssertEqual(Set(tensor.keys), ["name", "dtype", "shape", "bytes"])
            XCTAssertEqual(tensor["dtype"] as? String, "float32")
        }
        let head = try XCTUnwrap(tensors.first { $0["name"] as? String == "head.weight" })
        XCTAssertEqual(head["shape"] as? [Int], [2, 6])
        XCTAssertEqual(head["bytes"] as? Int, 48)
        let modules = try XCTUnwrap(document["modules"] as? [[String: Any]])
        XCTAssertEqual(modules.count, 1)
        let module = modules[0]
        XCTAssertEqual(Set(module.keys), ["name", "mode", "kind", "input_size", "hidden_size", "num_layers",
                                          "bidirectional", "proj_size", "bias", "dtype", "parameters", "shapes"])
        XCTAssertEqual(module["name"] as? String, "enc.lstm")
        XCTAssertEqual(module["mode"] as? String, "LSTM")
        XCTAssertEqual(module["kind"] as? String, "layer")
        XCTAssertEqual(module["input_size"] as? Int, lstm.inputSize)
        XCTAssertEqual(module["hidden_size"] as? Int, lstm.hiddenSize)
        XCTAssertEqual(module["num_layers"] as? Int, lstm.numLayers)
        XCTAssertEqual(module["bidirectional"] as? Bool, true)
        XCTAssertEqual(module["proj_size"] as? Int, lstm.projSize)
        XCTAssertEqual(module["bias"] as? Bool, true)
        XCTAssertEqual(module["dtype"] as? String, "float32")
        XCTAssertEqual(module["parameters"] as? Int, lstm.parameterCount)
        let flow = try ShapeFlow(architecture: lstm, input: InputShape([7, 3, 5]))
        let shapes = try XCTUnwrap(module["shapes"] as? [String: [Int]])
        XCTAssertEqual(shapes, ["output": flow.output, "h_n": flow.hN, "c_n": flow.cN ?? []])
        XCTAssertEqual((document["problems"] as? [Any])?.count, 0)
        XCTAssertEqual((document["notes"] as? [Any])?.count, 0)
    }

    /// inspect's notes are the objects convert's are: `kind`, the data,
    /// `module` for a reader's note, and `message`, the line the text prints.
    func testNotesAreObjectsLikeConvertsNotes() throws {
        let gru = RNNArchitecture(mode: .gru, inputSize: 4, hiddenSize: 3)
        let onnx = folder.appendingPathComponent("g.onnx").path
        XCTAssertEqual(try CLI.run(["convert", try npyDirectory("gru", tensors(gru, prefix: "enc.")), onnx, "--batch-first"]).status, 0)
        let result = try CLI.run(["inspect", onnx, "--json", "--no-check-values"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let notes = try XCTUnwrap(try jsonObject(result.stdout)["notes"] as? [[String: Any]])
        XCTAssertEqual(notes.compactMap { $0["kind"] as? String }, ["readFrom", "batchMajorInput", "valueCheckSkipped"])
        XCTAssertEqual(notes[1]["module"] as? String, "enc")
        XCTAssertEqual(notes[1]["message"] as? String, "the model takes batch-major input (batch_first=True)")
        XCTAssertEqual(notes[2]["message"] as? String, "Values not read (--no-check-values): NaN/Inf were not looked for.")
        let text = try CLI.run(["inspect", onnx, "--no-check-values"])
        XCTAssertTrue(text.stdout.contains("enc: the model takes batch-major input (batch_first=True)"), text.stdout)
    }

    func testShapesOnlyWithInputShapeAndNoCellStateForGRU() throws {
        let gru = RNNArchitecture(mode: .gru, inputSize: 4, hiddenSize: 3)
        let path = try npyDirectory("gru", tensors(gru))
        let plain = try jsonObject(try CLI.run(["inspect", path, "--json"]).stdout)
        XCTAssertNil((plain["modules"] as? [[String: Any]])?.first?["shapes"])
        let result = try CLI.run(["inspect", path, "--json", "--input-shape", "2,6,4", "--batch-first"])
        let shapes = (try jsonObject(result.stdout)["modules"] as? [[String: Any]])?.first?["shapes"] as? [String: [Int]]
        XCTAssertEqual(shapes?.keys.sorted(), ["h_n", "output"])
    }

    /// `architecture`'s tensors without `missing`, written as a directory, and
    /// the problems `inspect --json` lists for it (it exits 0).
    func brokenModule(_ architecture: RNNArchitecture, without missing: String) throws -> (path: String, problems: [[String: Any]]) {
        let path = try npyDirectory("broken", tensors(architecture).filter { $0.name != missing })
        let json = try CLI.run(["inspect", path, "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        return (path, try XCTUnwrap(try jsonObject(json.stdout)["problems"] as? [[String: Any]]))
    }

    func testProblemsExitZeroAndNameTheTensor() throws {
        let (path, problems) = try brokenModule(lstm, without: "weight_hh_l1_reverse")
        XCTAssertEqual(problems.compactMap { $0["tensor"] as? String }, ["weight_hh_l1_reverse"])
        let expected = shapeText(lstm.expectedShape(of: ParameterName(.weightHH, layer: 1, reverse: true)))
        XCTAssertTrue((problems.first?["message"] as? String ?? "").contains(expected))
        let text = try CLI.run(["inspect", path])
        XCTAssertEqual(text.status, 0)
        XCTAssertTrue(text.stdout.contains("Problems (1):"), text.stdout)
        XCTAssertTrue(text.stdout.contains("weight_hh_l1_reverse  missing"), text.stdout)
    }

    /// One validation, one wording: the problem `inspect` lists is the one
    /// `run` and `convert` refuse the module with, on one line, exit 2.
    func testABrokenModuleIsWordedAlikeByInspectRunAndConvert() throws {
        let gru = RNNArchitecture(mode: .gru, inputSize: 3, hiddenSize: 4, numLayers: 2)
        let (path, problems) = try brokenModule(gru, without: "bias_hh_l1")
        let message = try XCTUnwrap(problems.first?["message"] as? String)
        XCTAssertEqual(problems.count, 1)
        XCTAssertTrue(message.hasPrefix("missing; expected shape (12,): "), message)
        let input = folder.appendingPathComponent("x.npy")
        try NPYWriter.encode(Tensor(shape: [2, 1, 3], floats: [Float](repeating: 0.5, count: 6))).write(to: input)
        let output = folder.appendingPathComponent("out").path
        for arguments in [["run", path, "--input", input.path, "--output", output + ".npz"],
                          ["convert", path, output + ".onnx"], ["convert", path, output + ".keras"]] {
            let result = try CLI.run(arguments)
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.hasPrefix("rnnkit: error: \(path): "), "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("bias_hh_l1: \(message)"), "\(arguments): \(result.stderr)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(), ["broken", "x.npy"])
    }

    func testNonFiniteWeightsAreProblemsUnlessSkipped() throws {
        var poisoned = tensors(RNNArchitecture(mode: .rnn, inputSize: 2, hiddenSize: 2))
        poisoned[1].tensor = Tensor(shape: [2, 2], floats: [0, .nan, 0, 0])
        let path = try npyDirectory("nan", poisoned)
        let result = try CLI.run(["inspect", path, "--json"])
        let problems = try XCTUnwrap(try jsonObject(result.stdout)["problems"] as? [[String: Any]])
        XCTAssertEqual(problems.compactMap { $0["tensor"] as? String }, ["weight_hh_l0"])
        let skipped = try jsonObject(try CLI.run(["inspect", path, "--json", "--no-check-values"]).stdout)
        XCTAssertEqual((skipped["problems"] as? [Any])?.count, 0)
        XCTAssertEqual((skipped["notes"] as? [[String: Any]])?.compactMap { $0["kind"] as? String }, ["valueCheckSkipped"])
        let text = try CLI.run(["inspect", path, "--no-check-values"])
        XCTAssertTrue(text.stdout.contains("Values not read (--no-check-values)"), text.stdout)
    }

    func testLargeModulesAreNotReadUnlessAsked() throws {
        // A 2-layer-sized LSTM whose weight_ih_l0 alone is 320 MiB, written as sparse .npy files
        // (a header, then a hole): only headers are read, and the output says so.
        let architecture = RNNArchitecture(mode: .lstm, inputSize: 20_480, hiddenSize: 1024)
        let directory = folder.appendingPathComponent("large")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for parameter in architecture.parameterNames {
            let shape = architecture.expectedShape(of: parameter)
            let header = try NPYHeader.encode(dtype: .float32, shape: shape)
            let url = directory.appendingPathComponent(parameter.text + ".npy")
            try header.write(to: url)
            let handle = try FileHandle(forWritingTo: url)
            try handle.truncate(atOffset: UInt64(header.count + shape.reduce(4, *)))
            try handle.close()
        }
        let result = try CLI.run(["inspect", directory.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("Values not read: the module weights total 336.0 MB (over 256.0 MB); pass --check-values"),
                      result.stdout)
        XCTAssertTrue(result.stdout.contains("No problems found."), result.stdout)
    }

    func testHumanOutputShowsTableConstructorUnknownsAndShapeFlow() throws {
        let path = try npyDirectory("lstm", tensors(lstm, prefix: "enc."))
        let result = try CLI.run(["inspect", path, "--input-shape", "3,7,5", "--batch-first"])
        XCTAssertEqual(result.status, 0, result.stderr)
        for expected in ["Module enc: LSTM layer, 2 layers, bidirectional", lstm.pytorchConstructor,
                         "Parameter", "Total", groupedCount(lstm.parameterCount), "batch_first:",
                         "Shape flow for input (3, 7, 5), batch_first=True", "c_n keeps hidden_size", "No problems found."] {
            XCTAssertTrue(result.stdout.contains(expected), "missing '\(expected)' in:\n\(result.stdout)")
        }
    }

    func groupedCount(_ value: Int) -> String {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.groupingSeparator = ","
        formatter.usesGroupingSeparator = true
        return formatter.string(from: NSNumber(value: value)) ?? "\(value)"
    }

    func testWrongFeatureSizeExitsTwoNamingFileAndExpectedSize() throws {
        let path = try npyDirectory("lstm", tensors(lstm))
        let result = try CLI.run(["inspect", path, "--input-shape", "7,3,6"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains(path) && result.stderr.contains("input_size 5"), result.stderr)
        XCTAssertEqual(result.stdout, "")
        let malformed = try CLI.run(["inspect", path, "--input-shape", "seven"])
        XCTAssertEqual(malformed.status, 2)
        XCTAssertTrue(malformed.stderr.contains("--input-shape 'seven'"), malformed.stderr)
    }

    func testSeveralModulesGetShapesWhereTheInputFits() throws {
        let encoder = RNNArchitecture(mode: .gru, inputSize: 5, hiddenSize: 4)
        let decoder = RNNArchitecture(mode: .gru, inputSize: 4, hiddenSize: 4)
        let path = try npyDirectory("two", tensors(encoder, prefix: "enc.") + tensors(decoder, prefix: "dec."))
        let result = try CLI.run(["inspect", path, "--json", "--input-shape", "7,3,5"])
        let modules = try XCTUnwrap(try jsonObject(result.stdout)["modules"] as? [[String: Any]])
        let withShapes = modules.filter { $0["shapes"] != nil }.compactMap { $0["name"] as? String }
        XCTAssertEqual(withShapes, ["enc"])
        let chosen = try CLI.run(["inspect", path, "--json", "--input-shape", "7,3,5", "--module", "dec"])
        XCTAssertEqual(chosen.status, 2)
        XCTAssertTrue(chosen.stderr.contains("module 'dec'"), chosen.stderr)
        let none = try CLI.run(["inspect", path, "--input-shape", "7,3,9"])
        XCTAssertEqual(none.status, 2)
        XCTAssertTrue(none.stderr.contains("'enc' reads 5") && none.stderr.contains("'dec' reads 4"), none.stderr)
    }

    func testRenameBeforeInference() throws {
        let gru = RNNArchitecture(mode: .gru, inputSize: 4, hiddenSize: 3, bias: false)
        let own = tensors(gru).map { NamedTensor(name: "my_" + $0.name, tensor: $0.tensor) }
        let path = try npyDirectory("own", own)
        let result = try CLI.run(["inspect", path, "--json",
                                  "--rename", "my_weight_ih_l0=enc.weight_ih_l0", "--rename", "my_weight_hh_l0=enc.weight_hh_l0"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let modules = try XCTUnwrap(try jsonObject(result.stdout)["modules"] as? [[String: Any]])
        XCTAssertEqual(modules.first?["name"] as? String, "enc")
        let bad = try CLI.run(["inspect", path, "--rename", "nothing=enc.weight_ih_l0"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("nothing"), bad.stderr)
    }

    func testSuggestsRenamesForOtherConventions() throws {
        let path = try npyDirectory("g2p", [
            NamedTensor(name: "enc_w_ih", tensor: Tensor(shape: [6, 3], floats: [Float](repeating: 0, count: 18))),
            NamedTensor(name: "enc_w_hh", tensor: Tensor(shape: [6, 2], floats: [Float](repeating: 0, count: 12))),
        ])
        let result = try CLI.run(["inspect", path])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("--rename enc_w_ih=enc.weight_ih_l0"), result.stdout)
        XCTAssertTrue(result.stdout.contains("--rename enc_w_hh=enc.weight_hh_l0"), result.stdout)
    }

    func testUnreadableInputsExitTwoWithTheFileName() throws {
        let empty = folder.appendingPathComponent("empty.bin")
        try Data().write(to: empty)
        let random = folder.appendingPathComponent("random.bin")
        try Data((0 ..< 512).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }).write(to: random)
        for path in [empty.path, random.path, folder.appendingPathComponent("absent.h5").path] {
            let result = try CLI.run(["inspect", path, "--json"])
            XCTAssertEqual(result.status, 2, path)
            XCTAssertTrue(result.stderr.contains(path), result.stderr)
            XCTAssertEqual(result.stdout, "")
        }
    }

    func testUsageErrorsAndHelp() throws {
        let help = try CLI.run(["inspect", "--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("Examples:") && help.stdout.contains("--input-shape 32,20,100 --batch-first"))
        let batchFirstAlone = try CLI.run(["inspect", "x.h5", "--batch-first"])
        XCTAssertEqual(batchFirstAlone.status, 64)
    }
}
