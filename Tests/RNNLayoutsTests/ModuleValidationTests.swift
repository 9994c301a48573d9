import TensorFiles
import XCTest
@testable import RNNLayouts

/// `ModuleValidation` on modules built with one thing wrong: each yields
/// exactly its `ModuleProblem` case, and a sound module none.
final class ModuleValidationTests: XCTestCase {
    let gru = RNNArchitecture(mode: .gru, inputSize: 3, hiddenSize: 4)
    let lstm = RNNArchitecture(mode: .lstm, inputSize: 3, hiddenSize: 4)
    let rnn = RNNArchitecture(mode: .rnn, inputSize: 3, hiddenSize: 4)

    /// The problems of a complete `architecture` module carrying `variant`.
    func problems(_ architecture: RNNArchitecture, _ variant: CellVariant = .pytorch, nonlinearity: Nonlinearity? = nil) -> [ModuleProblem] {
        var architecture = architecture
        architecture.variant = variant
        return ModuleValidation.problems(of: TestTensors.rnnModule(architecture), nonlinearity: nonlinearity)
    }

    func testSoundModulesHaveNoProblems() {
        for architecture in InferenceTests.architectures {
            XCTAssertEqual(problems(architecture), [], "\(architecture)")
            XCTAssertEqual(problems(architecture, nonlinearity: .tanh), [], "\(architecture)")
        }
        XCTAssertEqual(problems(rnn, nonlinearity: .relu), [])
    }

    func testSizes() {
        XCTAssertEqual(problems(RNNArchitecture(mode: .gru, inputSize: 3, hiddenSize: 4, projSize: 2)).first,
                       .projectionNotLSTM(projSize: 2, mode: .gru))
        XCTAssertEqual(problems(RNNArchitecture(mode: .lstm, inputSize: 3, hiddenSize: 4, projSize: 4)).first,
                       .projectionTooLarge(projSize: 4, hiddenSize: 4))
        XCTAssertEqual(problems(RNNArchitecture(mode: .rnn, inputSize: 3, hiddenSize: 0)).first, .hiddenSizeTooSmall(0))
    }

    func testIntegerWeightsAreRefusedEvenWhenAllAreIntegers() {
        let ints = RNNArchitecture(mode: .rnn, kind: .cell, inputSize: 3, hiddenSize: 4, bias: false, dtype: .int32)
        XCTAssertEqual(problems(ints), [.notFloatingPoint(tensor: "weight_ih", dtype: .int32), .notFloatingPoint(tensor: "weight_hh", dtype: .int32)])
    }

    func testMixedDTypesAreJudgedByTheTensorsNotTheDeclaredDType() {
        // Every tensor converted to float16, architecture.dtype still float32: one dtype, no problem.
        var module = TestTensors.rnnModule(gru)
        for name in module.parameters.keys { module.parameters[name] = TestTensors.zeros(module.parameters[name]!.shape, .float16) }
        XCTAssertEqual(ModuleValidation.problems(of: module), [])
        module.parameters[ParameterName(.biasIH, layer: 0)] = TestTensors.zeros([12], .float64)
        XCTAssertEqual(ModuleValidation.problems(of: module),
                       [.mixedDType(tensor: "bias_ih_l0", dtype: .float64, module: .root, moduleDType: .float16)])
    }

    func testCellOptionsOfAnotherMode() {
        XCTAssertEqual(problems(gru, CellVariant(peepholes: true)),
                       [.optionNotApplicable(.peepholes, mode: .gru), .missingPeepholes(layer: 0, reverse: nil, expected: 12)])
        XCTAssertEqual(problems(gru, CellVariant(inputForget: true)), [.optionNotApplicable(.inputForget, mode: .gru)])
        XCTAssertEqual(problems(lstm, CellVariant(linearBeforeReset: false)), [.optionNotApplicable(.resetBeforeLinear, mode: .lstm)])
        XCTAssertEqual(problems(rnn, CellVariant(gate: .relu)), [.activationNotApplicable(mode: .rnn, gate: .relu, output: .tanh)])
        XCTAssertEqual(problems(gru, CellVariant(output: .sigmoid)), [.activationNotApplicable(mode: .gru, gate: .sigmoid, output: .sigmoid)])
        XCTAssertEqual(problems(lstm, CellVariant(gate: .relu, output: .sigmoid)), [])
    }

    func testCellOptionValues() {
        XCTAssertEqual(problems(gru, CellVariant(clip: -1)), [.invalidClip(-1)])
        XCTAssertEqual(problems(gru, CellVariant(clip: .infinity)), [.invalidClip(.infinity)])
        XCTAssertEqual(problems(gru, CellVariant(gate: .hardSigmoid(alpha: .nan, beta: 0.5))).count, 1)
        guard case .nonFiniteHardSigmoid(_, 0.5)? = problems(gru, CellVariant(gate: .hardSigmoid(alpha: .nan, beta: 0.5))).first else {
            return XCTFail()
        }
    }

    func testDirectionsAndMerge() {
        let both = RNNArchitecture(mode: .gru, inputSize: 3, hiddenSize: 4, bidirectional: true)
        XCTAssertEqual(problems(both, CellVariant(direction: .reverse)), [.directionOnBidirectional(.reverse)])
        XCTAssertEqual(problems(gru, CellVariant(merge: .sum)), [.mergeWithoutTwoDirections(.sum)])
        XCTAssertEqual(problems(both, CellVariant(merge: .sum)), [])
    }

    func testPeepholes() {
        let both = RNNArchitecture(mode: .lstm, inputSize: 3, hiddenSize: 4, bidirectional: true)
        XCTAssertEqual(problems(both, CellVariant(peepholes: true)), [
            .missingPeepholes(layer: 0, reverse: false, expected: 12), .missingPeepholes(layer: 0, reverse: true, expected: 12),
        ])
        var architecture = lstm
        architecture.variant = CellVariant(peepholes: true)
        var module = TestTensors.rnnModule(architecture)
        module.peepholes = PeepholeWeights([0: TestTensors.zeros([8], .int32)])
        XCTAssertEqual(ModuleValidation.problems(of: module), [
            .misshapedPeepholes(layer: 0, reverse: nil, shape: [8], expected: 12),
            .peepholesNotFloatingPoint(layer: 0, reverse: nil, dtype: .int32),
        ])
        module.peepholes = PeepholeWeights([0: TestTensors.zeros([12]), 1: TestTensors.zeros([12])])
        XCTAssertEqual(ModuleValidation.problems(of: module), [.unexpectedPeepholes(slice: 1, mode: .lstm, peepholes: true, slices: 1)])
        module.architecture.variant = .pytorch
        XCTAssertEqual(ModuleValidation.problems(of: module), [.unexpectedPeepholes(slice: 0, mode: .lstm, peepholes: false, slices: 1)])
    }

    func testNonlinearity() {
        XCTAssertEqual(problems(lstm, nonlinearity: .relu), [.nonlinearityNotApplicable(.relu, mode: .lstm)])
        XCTAssertEqual(problems(gru, nonlinearity: .relu), [.nonlinearityNotApplicable(.relu, mode: .gru)])
        XCTAssertEqual(problems(rnn, CellVariant(candidate: .sigmoid), nonlinearity: .relu),
                       [.nonlinearityContradictsActivation(.relu, recorded: .sigmoid)])
        XCTAssertEqual(problems(rnn, CellVariant(candidate: .sigmoid), nonlinearity: .tanh), [])
        XCTAssertEqual(problems(rnn, CellVariant(candidate: .sigmoid)), [])
    }

    func testOrderIsSizesTensorsDTypesVariantNonlinearity() {
        var architecture = RNNArchitecture(mode: .gru, inputSize: 3, hiddenSize: 4, projSize: 2)
        architecture.variant = CellVariant(clip: 0)
        var module = TestTensors.rnnModule(architecture)
        module.parameters[ParameterName(.weightIH, layer: 0)] = TestTensors.zeros([12, 3], .int8)
        module.parameters[ParameterName(.biasHH, layer: 0)] = nil
        let found = ModuleValidation.problems(of: module, nonlinearity: .relu)
        XCTAssertEqual(found.count, 5, "\(found)")
        XCTAssertEqual(found.first, .projectionNotLSTM(projSize: 2, mode: .gru))
        guard case .missingTensor("bias_hh_l0", [12], _, _) = found[1] else { return XCTFail("\(found)") }
        XCTAssertEqual(Array(found.dropFirst(2)), [
            .notFloatingPoint(tensor: "weight_ih_l0", dtype: .int8), .invalidClip(0), .nonlinearityNotApplicable(.relu, mode: .gru),
        ])
    }

    func testCheckThrowsEveryProblem() {
        var module = TestTensors.rnnModule(lstm, named: "enc")
        module.parameters[ParameterName(.weightHH, layer: 0)] = TestTensors.zeros([16, 3])
        XCTAssertNoThrow(try ModuleValidation.check(TestTensors.rnnModule(lstm)))
        XCTAssertThrowsError(try ModuleValidation.check(module, nonlinearity: .relu)) { error in
            guard let error = error as? ModuleValidationError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.module, ModulePath("enc"))
            XCTAssertEqual(error.problems, ModuleValidation.problems(of: module, nonlinearity: .relu))
            XCTAssertEqual(error.problems.count, 2)
            XCTAssertTrue(error as Error is BadInputError)
        }
    }
}
