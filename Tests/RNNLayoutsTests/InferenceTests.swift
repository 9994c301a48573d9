import TensorFiles
import XCTest
@testable import RNNLayouts

/// Inference from names and shapes: every architecture PyTorch can build is
/// read back as itself from its own state_dict names and shapes.
final class InferenceTests: XCTestCase {
    /// Every combination of mode, kind, layers, directions, bias, proj_size and dtype.
    static var architectures: [RNNArchitecture] {
        var all: [RNNArchitecture] = []
        for mode in RNNMode.allCases {
            for dtype in [DType.float32, .float16, .bfloat16, .float64] {
                for bias in [true, false] {
                    all.append(RNNArchitecture(mode: mode, kind: .cell, inputSize: 5, hiddenSize: 7, bias: bias, dtype: dtype))
                    for layers in 1 ... 3 {
                        for bidirectional in [false, true] {
                            for proj in mode == .lstm ? [0, 3] : [0] {
                                all.append(RNNArchitecture(
                                    mode: mode, inputSize: 5, hiddenSize: 7, projSize: proj, numLayers: layers,
                                    bidirectional: bidirectional, bias: bias, dtype: dtype))
                            }
                        }
                    }
                }
            }
        }
        return all
    }

    func testEveryArchitectureIsInferredBackWithoutProblems() {
        for architecture in Self.architectures {
            let inspection = Inspector.inspect(TestTensors.module(architecture, named: "enc.rnn"))
            XCTAssertEqual(inspection.modules.map(\.architecture), [architecture], "\(architecture)")
            XCTAssertEqual(inspection.problems, [], "\(architecture)")
            XCTAssertTrue(inspection.otherTensors.isEmpty)
        }
    }

    func testParameterCountIsTheSumOfExpectedShapes() {
        for architecture in Self.architectures {
            let tensors = TestTensors.module(architecture)
            XCTAssertEqual(architecture.parameterCount, tensors.reduce(0) { $0 + $1.tensor.elementCount })
        }
    }

    func testModulesAreGroupedByPrefixInFileOrderAndOthersKept() throws {
        let encoder = RNNArchitecture(mode: .gru, inputSize: 16, hiddenSize: 8, numLayers: 2, bidirectional: true)
        let decoder = RNNArchitecture(mode: .lstm, kind: .cell, inputSize: 16, hiddenSize: 12)
        let head = RNNArchitecture(mode: .rnn, inputSize: 12, hiddenSize: 4, bias: false)
        let tensors = [NamedTensor(name: "embedding.weight", tensor: TestTensors.zeros([100, 16]))]
            + TestTensors.module(encoder, named: "model.encoder.gru")
            + TestTensors.module(decoder, named: "model.decoder.cell")
            + [NamedTensor(name: "model.out.weight", tensor: TestTensors.zeros([100, 12]))]
            + TestTensors.module(head)
        let inspection = Inspector.inspect(tensors)
        XCTAssertEqual(inspection.modules.map(\.name), ["model.encoder.gru", "model.decoder.cell", ""])
        XCTAssertEqual(inspection.modules.map(\.architecture), [encoder, decoder, head])
        XCTAssertEqual(inspection.otherTensors.map(\.name), ["embedding.weight", "model.out.weight"])
        XCTAssertEqual(inspection.problems, [])
        XCTAssertEqual(try inspection.selectModule(named: "(root)").architecture, head)
        XCTAssertEqual(try inspection.selectModule(named: "model.decoder.cell").architecture, decoder)
    }

    func testModuleSelectionErrorsListTheModules() {
        let one = TestTensors.module(RNNArchitecture(mode: .gru, inputSize: 3, hiddenSize: 2), named: "a")
        let two = TestTensors.module(RNNArchitecture(mode: .rnn, inputSize: 3, hiddenSize: 2), named: "b")
        let inspection = Inspector.inspect(one + two)
        let entries = [LayoutError.ModuleEntry(path: ModulePath("a"), mode: .gru, inputSize: 3),
                       LayoutError.ModuleEntry(path: ModulePath("b"), mode: .rnn, inputSize: 3)]
        XCTAssertThrowsError(try inspection.selectModule(named: nil)) { error in
            XCTAssertEqual(error as? LayoutError, .severalModules(entries))
        }
        XCTAssertThrowsError(try inspection.selectModule(named: "c")) { error in
            XCTAssertEqual(error as? LayoutError, .noSuchModule("c", available: entries))
            // The exact wording of the second most common selection error.
            XCTAssertEqual("\(error)", "no module named 'c'; the file holds: 'a' (GRU), 'b' (RNN)")
        }
        XCTAssertThrowsError(try Inspector.inspect([]).selectModule(named: nil)) { error in
            XCTAssertEqual(error as? LayoutError, .noModule(problems: []))
        }
    }

    func testTheOnlyModuleThatReadsTheInputIsChosenAndSaysSo() throws {
        let encoder = TestTensors.module(RNNArchitecture(mode: .gru, inputSize: 4, hiddenSize: 2), named: "enc")
        let decoder = TestTensors.module(RNNArchitecture(mode: .lstm, inputSize: 2, hiddenSize: 3), named: "dec")
        let inspection = Inspector.inspect(encoder + decoder)
        let (module, choice) = try inspection.selectModule(named: nil, features: 4)
        XCTAssertEqual(module.name, "enc")
        XCTAssertEqual(choice, ModuleChoice(chosen: .init(path: ModulePath("enc"), mode: .gru, inputSize: 4),
                                            others: [.init(path: ModulePath("dec"), mode: .lstm, inputSize: 2)], features: 4))
        XCTAssertEqual(choice?.message(naming: { "<\($0.rawValue)>" }), "running module 'enc', the only one of 2 whose input_size is "
            + "the input's 4 features (not 'dec' (input_size 2)); choose another with <module>")
        XCTAssertNil(try inspection.selectModule(named: "dec", features: 4).choice)
        XCTAssertThrowsError(try inspection.selectModule(named: nil, features: 5)) { error in
            guard case .severalModules? = error as? LayoutError else { return XCTFail("\(error)") }
        }
    }

    func testRenameMapsFileNamesBeforeInference() throws {
        let architecture = RNNArchitecture(mode: .gru, inputSize: 4, hiddenSize: 3, bias: false)
        let own = TestTensors.module(architecture, named: "enc").map { named in
            NamedTensor(name: named.name.replacingOccurrences(of: "enc.weight_", with: "enc_w_"), tensor: named.tensor)
        }
        XCTAssertTrue(Inspector.inspect(own).modules.isEmpty)
        let renames = try ["enc_w_ih_l0=enc.weight_ih_l0", "enc_w_hh_l0=enc.weight_hh_l0"].map { try Rename(parsing: $0) }
        let inspection = Inspector.inspect(try Rename.apply(renames, to: own))
        XCTAssertEqual(inspection.modules.map(\.architecture), [architecture])
    }

    func testRenameErrors() throws {
        let tensors = TestTensors.module(RNNArchitecture(mode: .rnn, inputSize: 2, hiddenSize: 2))
        XCTAssertThrowsError(try Rename(parsing: "no-equals"))
        XCTAssertThrowsError(try Rename(parsing: "=x"))
        XCTAssertThrowsError(try Rename.apply([Rename(old: "absent", new: "x")], to: tensors)) { error in
            XCTAssertEqual(error as? LayoutError, .noTensorToRename("absent", available: tensors.map(\.name), more: false))
        }
        XCTAssertThrowsError(try Rename.apply([Rename(old: "weight_ih_l0", new: "weight_hh_l0")], to: tensors)) { error in
            XCTAssertEqual(error as? LayoutError, .renameCollision("weight_hh_l0"))
        }
        XCTAssertThrowsError(try Rename.apply(
            [Rename(old: "weight_ih_l0", new: "a"), Rename(old: "weight_ih_l0", new: "b")], to: tensors))
    }
}

/// `--rename` suggestions for names in other conventions.
final class RenameSuggestionTests: XCTestCase {
    func testSuggestsPyTorchNamesForCommonConventions() {
        let names = ["enc_emb", "enc_w_ih", "enc_w_hh", "enc_b_ih", "enc_b_hh", "dec/W_ih", "dec/W_hh", "fc_w", "lstm.weight_ih_l0"]
        let suggestions = Rename.suggestions(for: names)
        XCTAssertEqual(suggestions.map { "\($0.old)=\($0.new)" }, [
            "enc_w_ih=enc.weight_ih_l0", "enc_w_hh=enc.weight_hh_l0", "enc_b_ih=enc.bias_ih_l0", "enc_b_hh=enc.bias_hh_l0",
            "dec/W_ih=dec.weight_ih_l0", "dec/W_hh=dec.weight_hh_l0",
        ])
    }

    func testNoSuggestionWithoutBothWeightsOrInsideAWord() {
        XCTAssertEqual(Rename.suggestions(for: ["enc_w_ih", "enc_b_ih"]), [])
        XCTAssertEqual(Rename.suggestions(for: ["encxw_ih", "encxw_hh"]), [])
        XCTAssertEqual(Rename.suggestions(for: ["weight_ih", "weight_hh"]), [], "already PyTorch's cell names")
        XCTAssertEqual(Rename.suggestions(for: ["w_ih", "w_hh"]).map(\.new), ["weight_ih_l0", "weight_hh_l0"])
    }

    func testSuggestionsMakeAModule() throws {
        let own = [NamedTensor(name: "g_Wih", tensor: TestTensors.zeros([12, 3])),
                   NamedTensor(name: "g_Whh", tensor: TestTensors.zeros([12, 4]))]
        let renamed = try Rename.apply(Rename.suggestions(for: own.map(\.name)), to: own)
        let inspection = Inspector.inspect(renamed)
        XCTAssertEqual(inspection.modules.map(\.name), ["g"])
        XCTAssertEqual(inspection.modules.map(\.architecture),
                       [RNNArchitecture(mode: .gru, inputSize: 3, hiddenSize: 4, bias: false)])
    }

    func testUnreadableSizesBecomeOneProblemAndOtherTensors() {
        let single = RNNArchitecture(mode: .gru, inputSize: 5, hiddenSize: 8)
        let tensors = TestTensors.replacing("weight_hh_l0", with: TestTensors.zeros([24, 7]), in: TestTensors.module(single))
        let inspection = Inspector.inspect(tensors)
        XCTAssertTrue(inspection.modules.isEmpty)
        XCTAssertEqual(TestTensors.problemTensors(inspection), ["weight_hh_l0"])
        XCTAssertEqual(inspection.problems[0].kind, .ambiguousMode(rows: 24, columns: 7, modes: [.rnn, .gru, .lstm]))
        XCTAssertNil(inspection.problems[0].moduleProblem)
        XCTAssertEqual(inspection.otherTensors.count, tensors.count)
    }

    func testMissingInputWeightIsNamed() {
        let single = RNNArchitecture(mode: .rnn, inputSize: 5, hiddenSize: 8)
        let inspection = Inspector.inspect(TestTensors.replacing("weight_ih_l0", with: nil, in: TestTensors.module(single)))
        XCTAssertEqual(TestTensors.problemTensors(inspection), ["weight_ih_l0"])
        XCTAssertEqual(inspection.problems[0].kind,
                       .cannotInfer(module: .root, parameter: "weight_ih_l0", shape: nil, inferring: .inputSize))
    }

    func testCellAndLayerNamesInOneModule() {
        let cell = TestTensors.module(RNNArchitecture(mode: .gru, kind: .cell, inputSize: 5, hiddenSize: 8))
        let layer = [NamedTensor(name: "weight_ih_l0", tensor: TestTensors.zeros([24, 5]))]
        let inspection = Inspector.inspect(cell + layer)
        XCTAssertTrue(inspection.modules.isEmpty)
        XCTAssertEqual(TestTensors.problemTensors(inspection), ["weight_ih_l0"])
    }
}
