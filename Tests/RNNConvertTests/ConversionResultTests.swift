import Foundation
import RNNLayouts
import TensorFiles
import XCTest
@testable import RNNConvert

/// `Converter.convert`'s structured result, and the typed errors' messages:
/// the library names options in words, never a CLI flag.
final class ConversionResultTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = try ModuleFactory.temporaryFolder()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func out(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// A GRU's weights as a safetensors file.
    private func gruFile() throws -> String {
        let module = ModuleFactory.module(RNNArchitecture(mode: .gru, inputSize: 3, hiddenSize: 2))
        let tensors = module.architecture.parameterNames.compactMap { name in
            module.tensor(name).map { NamedTensor(name: module.qualifiedName(of: name), tensor: $0) }
        }
        try TensorFileWriter.write(tensors, as: .safetensors, to: out("gru.safetensors"))
        return out("gru.safetensors")
    }

    private func size(_ path: String) throws -> Int {
        try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
    }

    func testONNXResultSaysWhatWasWritten() throws {
        let input = try gruFile()
        let result = try Converter.convert(ConversionRequest(input: input, output: out("g.onnx"), batchFirst: true))
        XCTAssertEqual(result.target, .onnx)
        XCTAssertEqual(result.output, out("g.onnx"))
        XCTAssertEqual(result.modules, [ModulePath("encoder.rnn")])
        XCTAssertEqual(result.tensorCount, 4)
        XCTAssertEqual(result.dtypes, [.float32])
        XCTAssertEqual(result.bytes, try size(out("g.onnx")))
        XCTAssertNil(result.stored)
        XCTAssertEqual(result.notes, [])
        XCTAssertTrue(result.contents.hasPrefix("ONNX opset 17, nn.GRU(3, 2) 'encoder.rnn' in float32"), result.contents)
    }

    func testKerasAndContainerResults() throws {
        let input = try gruFile()
        let keras = try Converter.convert(ConversionRequest(input: input, output: out("g.keras")))
        XCTAssertEqual(keras.target, .keras)
        XCTAssertEqual(keras.bytes, try size(out("g.keras")))
        XCTAssertTrue(keras.contents.hasPrefix("Keras 3 model Sequential: GRU(2"), keras.contents)
        XCTAssertTrue(keras.contents.hasSuffix("from 'encoder.rnn'"), keras.contents)
        let folderResult = try Converter.convert(ConversionRequest(input: input, output: out("npy/"), dtype: .float16))
        XCTAssertEqual(folderResult.target, .npyDirectory)
        XCTAssertEqual(folderResult.tensorCount, 4)
        XCTAssertEqual(folderResult.dtypes, [.float16])
        let files = try FileManager.default.contentsOfDirectory(atPath: out("npy"))
        XCTAssertEqual(folderResult.bytes, try files.reduce(0) { $0 + (try size(out("npy/\($1)"))) })
    }

    func testOptionsANonRecordingTargetDropsAreNotes() throws {
        let input = try gruFile()
        _ = try Converter.convert(ConversionRequest(input: input, output: out("g.onnx"), batchFirst: true))
        let result = try Converter.convert(ConversionRequest(input: out("g.onnx"), output: out("g.npz"), batchFirst: true))
        XCTAssertEqual(result.notes, [.batchFirstNotRecorded(target: .npz)])
        XCTAssertEqual(result.notes[0].message(naming: { "<\($0.rawValue)>" }), "NPZ does not record batch_first; run it with <batchFirst>")
        XCTAssertThrowsError(try Converter.convert(ConversionRequest(input: input, output: out("h.npz"), nonlinearity: .relu))) { error in
            XCTAssertEqual(error as? ConversionError, .nonlinearityNotRecorded(file: input, nonlinearity: .relu, target: .npz, recorded: []))
        }
    }

    /// A module with problems is checked once, by the exporter's
    /// `ModuleValidation`, and the error names the input file.
    func testAModuleWithProblemsIsRefusedOnceNamingTheFile() throws {
        let complete = try SafetensorsReader.read(path: try gruFile())
        try TensorFileWriter.write(complete.tensors.filter { !$0.name.hasSuffix("bias_hh_l0") }, as: .safetensors, to: out("lacking.safetensors"))
        for target in ["x.onnx", "x.keras", "x.weights.h5"] {
            XCTAssertThrowsError(try Converter.convert(ConversionRequest(input: out("lacking.safetensors"), output: out(target)))) { error in
                let named = error as? FileInputError
                XCTAssertEqual(named?.file, out("lacking.safetensors"), "\(target): \(error)")
                guard case .missingTensor("encoder.rnn.bias_hh_l0", [6], _, _)? = (named?.underlying as? ModuleValidationError)?.problems.first
                else { return XCTFail("\(target): \(error)") }
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: out(target)), target)
        }
    }

    /// `convert --json`: the result encodes under the keys the CLI has
    /// always printed, each note as an object with its kind, data and message.
    func testResultEncodesNotesAsObjects() throws {
        let result = ConversionResult(
            input: "in.onnx", output: "out.npz", target: .npz, contents: "NPZ, 4 tensors", modules: [ModulePath("rnn"), .root], tensorCount: 4, bytes: 10,
            dtypes: [.float32], stored: .tensors(["rnn.h0"]),
            notes: [.batchFirstNotRecorded(target: .npz), .input(module: ModulePath("rnn"), .storedLengths([3, 2])),
                    .input(module: ModulePath("rnn"), .inputMask(InputMask(source: .maskValue(0), layer: "Masking layer 'm'", zeroOutput: true)))])
        let encoder = JSONEncoder()
        encoder.userInfo[.optionNaming] = OptionNaming { "--\($0.rawValue)" }
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: try encoder.encode(result)) as? [String: Any])
        XCTAssertEqual(Set(object.keys), ["input", "output", "target", "contents", "modules", "tensors", "bytes", "dtypes", "storedInputs", "notes"])
        XCTAssertEqual(object["target"] as? String, "npz")
        XCTAssertEqual(object["tensors"] as? Int, 4)
        XCTAssertEqual(object["modules"] as? [String], ["rnn", "(root)"], "modules by display name")
        XCTAssertEqual(object["storedInputs"] as? [String], ["rnn.h0"])
        let notes = try XCTUnwrap(object["notes"] as? [[String: Any]])
        XCTAssertEqual(notes.count, 3)
        XCTAssertEqual(notes[0]["kind"] as? String, "batchFirstNotRecorded")
        XCTAssertEqual(notes[0]["target"] as? String, "npz")
        XCTAssertEqual(notes[0]["message"] as? String, "NPZ does not record batch_first; run it with --batchFirst")
        XCTAssertEqual(notes[1]["kind"] as? String, "storedLengths")
        XCTAssertEqual(notes[1]["module"] as? String, "rnn")
        XCTAssertEqual(notes[1]["lengths"] as? [Int], [3, 2])
        XCTAssertEqual(notes[1]["message"] as? String, "the file stores sequence lengths [3, 2]; run uses them unless --lengths is given")
        let mask = try XCTUnwrap(notes[2]["mask"] as? [String: Any])
        XCTAssertEqual(mask["source"] as? String, "maskValue")
        XCTAssertEqual(mask["maskValue"] as? Double, 0)
        XCTAssertEqual(mask["zeroOutput"] as? Bool, true)
        // Without a naming, options are named in words, as `description` does.
        let plain = try XCTUnwrap(try JSONSerialization.jsonObject(with: try JSONEncoder().encode(result.notes[1])) as? [String: Any])
        XCTAssertEqual(plain["message"] as? String, result.notes[1].description)
    }

    /// The wording of the most common refusals, as the library says them.
    func testMessagesOfTheCommonRefusals() {
        XCTAssertEqual(TensorFileError(file: "m.txt", .unknownSuffix("txt")).description,
                       "m.txt: unknown output suffix '.txt'; rnnkit writes .onnx, .keras, .weights.h5, .safetensors, .npz, .h5, .hdf5 "
                        + "and directories of .npy (a path without suffix)")
        XCTAssertEqual(TensorFileError(file: "out.onnx", .outputExists).description, "out.onnx: already exists")
        let modules = [LayoutError.ModuleEntry(path: .init("dec"), mode: .gru, inputSize: 3), .init(path: .init("enc"), mode: .gru, inputSize: 3)]
        XCTAssertEqual(LayoutError.severalModules(modules).description,
                       "the file holds 2 modules; choose one with the module option: 'dec' (GRU), 'enc' (GRU)")
    }

    /// Every message names options through `name`: with a marker namer, no
    /// "--" is left, and the marker shows where each option is.
    func testMessagesNameOptionsOnlyThroughTheNamer() {
        let errors: [ConversionError] = [
            .maskNotRecorded(file: "m.keras", module: .root, mask: InputMask(source: .maskValue(0), layer: "Masking layer 'm'", zeroOutput: false),
                             target: .npz),
            .nonlinearityNotRecorded(file: "a.npz", nonlinearity: .relu, target: .npz, recorded: [.tanh]),
            .batchFirstNotRecorded(file: "a.npz", target: .npz),
            .nonlinearityContradictsFile(file: "a.onnx", nonlinearity: .relu, recorded: .tanh, module: ModulePath("rnn")),
            .dtypeNotWritable(file: "a.npz", target: .npz, dtype: .bfloat16, tensor: "w", choices: [.float32, .float16]),
        ]
        for error in errors {
            XCTAssertFalse(error.description.contains("--"), error.description)
            XCTAssertTrue(error.message(naming: { "<\($0.rawValue)>" }).contains("<"), "\(error)")
        }
        let notes: [ModuleNote] = [
            .layoutUnknown(stoppedAt: nil), .storedState(shape: [1, 2, 3], states: ["h0", "c0"]),
            .runtimeInput(role: "initial_h", node: "LSTM node 'l'", input: "h", option: .h0), .storedLengths([3, 2]),
            .storedTensor(name: "rnn.lengths", shape: [2], option: .lengths), .simpleRNNActivation(layer: nil, file: "a .weights.h5 file"),
            .weightlessLayersUnrecorded,
        ]
        for note in notes {
            XCTAssertFalse(note.description.contains("--"), note.description)
            XCTAssertTrue(note.message(naming: { "<\($0.rawValue)>" }).contains("<"), "\(note)")
        }
        XCTAssertEqual(ModuleNote.storedState(shape: [1, 2, 3], states: ["h0", "c0"]).message(naming: { "--\($0.rawValue)" }),
                       "the file stores an initial state (1, 2, 3) (h0, c0); run uses it unless --h0/--c0 are given")
    }
}
