import TensorFiles
import XCTest
@testable import RNNLayouts

/// One thing broken at a time, through `Inspector`: exactly that tensor is
/// reported, as the `ModuleProblem` case that says what is wrong, with the
/// expected shape and the evidence or hint, and the rest of the module is
/// still inferred.
final class ModuleEvidenceTests: XCTestCase {
    let gru = RNNArchitecture(mode: .gru, inputSize: 5, hiddenSize: 8, numLayers: 2, bidirectional: true)
    let lstm = RNNArchitecture(mode: .lstm, inputSize: 5, hiddenSize: 8, numLayers: 2)

    /// Inspects `tensors`, expecting the module to still be `architecture`
    /// and exactly one problem, about `tensor`; returns it.
    func singleProblem(
        _ tensors: [NamedTensor], about tensor: String, architecture: RNNArchitecture,
        file: StaticString = #filePath, line: UInt = #line
    ) -> ModuleProblem? {
        let inspection = Inspector.inspect(tensors)
        XCTAssertEqual(inspection.modules.map(\.architecture), [architecture], file: file, line: line)
        XCTAssertEqual(TestTensors.problemTensors(inspection), [tensor], "\(inspection.problems)", file: file, line: line)
        XCTAssertEqual(inspection.problems.first?.moduleProblem?.tensor, tensor, file: file, line: line)
        return inspection.problems.first?.moduleProblem
    }

    /// The hint of a misshaped tensor's problem, failing for any other case.
    func hint(_ problem: ModuleProblem?, file: StaticString = #filePath, line: UInt = #line) -> ShapeHint? {
        guard case .misshapedTensor(_, _, _, _, let hint)? = problem else {
            XCTFail("not a misshaped tensor: \(String(describing: problem))", file: file, line: line)
            return nil
        }
        return hint
    }

    /// The evidence of a missing tensor's problem, failing for any other case.
    func evidence(_ problem: ModuleProblem?, file: StaticString = #filePath, line: UInt = #line) -> MissingEvidence? {
        guard case .missingTensor(_, _, _, let evidence)? = problem else {
            XCTFail("not a missing tensor: \(String(describing: problem))", file: file, line: line)
            return nil
        }
        return evidence
    }

    func expectedShape(_ architecture: RNNArchitecture, _ name: String) -> [Int] {
        architecture.expectedShape(of: ParameterName(parsing: Substring(name)) ?? ParameterName(.weightIH, layer: 0))
    }

    func testMissingReverseTensorNamesItTheExpectedShapeAndWhy() {
        let reverse = ["weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
                       "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse"]
        let cases: [(String, MissingEvidence)] = [
            ("weight_hh_l0_reverse", .ownWeights(reverseExamples: reverse.filter { $0 != "weight_hh_l0_reverse" })),
            ("weight_ih_l1_reverse", .ownWeights(reverseExamples: reverse.filter { $0 != "weight_ih_l1_reverse" })),
            ("bias_hh_l1_reverse", .bias(layers: [0, 1])),
        ]
        for (name, expected) in cases {
            let tensors = TestTensors.replacing(name, with: nil, in: TestTensors.module(gru))
            let problem = singleProblem(tensors, about: name, architecture: gru)
            guard case .missingTensor(name, expectedShape(gru, name), gru.shapeReason(of: ParameterName(parsing: Substring(name))!), let evidence)? = problem else {
                return XCTFail("\(String(describing: problem))")
            }
            switch (evidence, expected) {
            case (.ownWeights(let found?), .ownWeights(let wanted?)): XCTAssertEqual(Set(found), Set(wanted), name)
            default: XCTAssertEqual(evidence, expected, name)
            }
        }
    }

    func testAWholeReverseDirectionMissing() {
        let tensors = TestTensors.module(gru).filter { !$0.name.hasSuffix("l1_reverse") }
        let inspection = Inspector.inspect(tensors)
        let evidences = inspection.problems.compactMap { problem -> MissingEvidence? in
            guard case .missingTensor(_, _, _, let evidence)? = problem.moduleProblem else { return nil }
            return evidence
        }
        XCTAssertEqual(evidences.count, 4, "\(inspection.problems)")
        for evidence in evidences {
            guard case .bidirectional(layer: 1, let examples) = evidence else { return XCTFail("\(evidence)") }
            XCTAssertTrue(examples.allSatisfy { $0.hasSuffix("l0_reverse") }, "\(examples)")
        }
    }

    func testMisshapedTensorSaysExpectedShapeAndWhy() {
        let tensors = TestTensors.replacing("weight_ih_l1", with: TestTensors.zeros([24, 9]), in: TestTensors.module(gru))
        let problem = singleProblem(tensors, about: "weight_ih_l1", architecture: gru)
        guard case .misshapedTensor("weight_ih_l1", [24, 9], [24, 16], let reason, nil)? = problem else {
            return XCTFail("\(String(describing: problem))")
        }
        XCTAssertEqual(reason, gru.shapeReason(of: ParameterName(.weightIH, layer: 1)))
    }

    func testOneDirectionWidthInALayerAboveABidirectionalOne() {
        let tensors = TestTensors.replacing("weight_ih_l1_reverse", with: TestTensors.zeros([24, 8]), in: TestTensors.module(gru))
        let problem = singleProblem(tensors, about: "weight_ih_l1_reverse", architecture: gru)
        XCTAssertEqual(hint(problem), .oneDirectionWidth(columns: 8, layer: 1, state: 8))
    }

    func testTwoDirectionsWidthInAOneDirectionModule() {
        let tensors = TestTensors.replacing("weight_ih_l1", with: TestTensors.zeros([32, 16]), in: TestTensors.module(lstm))
        XCTAssertEqual(hint(singleProblem(tensors, about: "weight_ih_l1", architecture: lstm)), .twoDirectionWidth(columns: 16, state: 8))
    }

    func testInputSizeReadByALayerAboveTheFirst() {
        let tensors = TestTensors.replacing("weight_ih_l1", with: TestTensors.zeros([32, 5]), in: TestTensors.module(lstm))
        XCTAssertEqual(hint(singleProblem(tensors, about: "weight_ih_l1", architecture: lstm)), .inputSizeAboveLayer0(columns: 5, layer: 1))
    }

    func testReverseDirectionOfTheFirstLayerReadsTheSameInput() {
        let tensors = TestTensors.replacing("weight_ih_l0_reverse", with: TestTensors.zeros([24, 6]), in: TestTensors.module(gru))
        XCTAssertEqual(hint(singleProblem(tensors, about: "weight_ih_l0_reverse", architecture: gru)), .reverseReadsSameInput(inputSize: 5))
    }

    func testTransposedMatrixIsRecognised() {
        let tensors = TestTensors.replacing("weight_hh_l1", with: TestTensors.zeros([8, 24]), in: TestTensors.module(gru))
        XCTAssertEqual(hint(singleProblem(tensors, about: "weight_hh_l1", architecture: gru)), .transposed)
    }

    func testLayersThatDisagreeOnHiddenSize() {
        // Layer 1 built with hidden_size 6: each of its tensors says so.
        let other = RNNArchitecture(mode: .lstm, inputSize: 8, hiddenSize: 6)
        let layer1 = TestTensors.module(other).map { NamedTensor(name: $0.name.replacingOccurrences(of: "_l0", with: "_l1"), tensor: $0.tensor) }
        let tensors = TestTensors.module(RNNArchitecture(mode: .lstm, inputSize: 5, hiddenSize: 8)) + layer1
        let inspection = Inspector.inspect(tensors)
        XCTAssertEqual(inspection.modules.map(\.architecture), [lstm])
        XCTAssertEqual(TestTensors.problemTensors(inspection), ["weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"])
        for problem in inspection.problems {
            XCTAssertEqual(hint(problem.moduleProblem), .hiddenSizeDisagrees(rowsSay: 6, moduleSays: 8, mode: .lstm, kind: .layer))
        }
    }

    func testBiasOnOneLayerOnly() {
        let tensors = TestTensors.module(lstm).filter { !($0.name.hasPrefix("bias") && $0.name.hasSuffix("l1")) }
        let inspection = Inspector.inspect(tensors)
        XCTAssertEqual(inspection.modules.map(\.architecture), [lstm])
        XCTAssertEqual(TestTensors.problemTensors(inspection), ["bias_ih_l1", "bias_hh_l1"])
        for problem in inspection.problems { XCTAssertEqual(evidence(problem.moduleProblem), .bias(layers: [0])) }
    }

    func testMixedDTypesNameTheOddTensor() {
        let tensors = TestTensors.replacing("enc.bias_hh_l0", with: TestTensors.zeros([32], .float16),
                                            in: TestTensors.module(lstm, named: "enc"))
        XCTAssertEqual(singleProblem(tensors, about: "enc.bias_hh_l0", architecture: lstm),
                       .mixedDType(tensor: "enc.bias_hh_l0", dtype: .float16, module: ModulePath("enc"), moduleDType: .float32))
    }

    func testIntegerWeights() {
        let tensors = TestTensors.replacing("weight_hh_l1", with: TestTensors.zeros([32, 8], .int32), in: TestTensors.module(lstm))
        XCTAssertEqual(singleProblem(tensors, about: "weight_hh_l1", architecture: lstm), .notFloatingPoint(tensor: "weight_hh_l1", dtype: .int32))
    }

    func testProjectionWeightOnANonLSTM() {
        let plain = RNNArchitecture(mode: .gru, inputSize: 5, hiddenSize: 8)
        let tensors = TestTensors.module(plain) + [NamedTensor(name: "weight_hr_l0", tensor: TestTensors.zeros([3, 8]))]
        XCTAssertEqual(singleProblem(tensors, about: "weight_hr_l0", architecture: plain),
                       .unexpectedTensor(tensor: "weight_hr_l0", why: .projectionNotLSTM(mode: .gru)))
    }

    func testProjectionWeightOnAnLSTMWithoutProjection() {
        let plain = RNNArchitecture(mode: .lstm, inputSize: 5, hiddenSize: 8)
        let tensors = TestTensors.module(plain) + [NamedTensor(name: "weight_hr_l0", tensor: TestTensors.zeros([3, 8]))]
        XCTAssertEqual(singleProblem(tensors, about: "weight_hr_l0", architecture: plain),
                       .unexpectedTensor(tensor: "weight_hr_l0", why: .projectionWithoutProjSize(hiddenSize: 8, gateRows: 32)))
    }

    func testATensorOfALayerTheModuleDoesNotHave() {
        // A bias on a module without biases: it has no place.
        let plain = RNNArchitecture(mode: .rnn, inputSize: 4, hiddenSize: 4, numLayers: 2, bias: false)
        let module = RNNModule(name: "", architecture: plain, parameters: Dictionary(uniqueKeysWithValues:
            (TestTensors.module(plain) + [NamedTensor(name: "bias_ih_l1", tensor: TestTensors.zeros([4]))]).map {
                (ParameterName(parsing: Substring($0.name))!, $0.tensor)
            }))
        XCTAssertEqual(ModuleValidation.problems(of: module), [.unexpectedTensor(
            tensor: "bias_ih_l1", why: .notInModule(mode: .rnn, kind: .layer, numLayers: 2, bidirectional: false, bias: false))])
    }

    func testMissingProjectionOfOneLayer() {
        let projected = RNNArchitecture(mode: .lstm, inputSize: 5, hiddenSize: 8, projSize: 3, numLayers: 2, bidirectional: true)
        let tensors = TestTensors.replacing("weight_hr_l1", with: nil, in: TestTensors.module(projected))
        XCTAssertEqual(evidence(singleProblem(tensors, about: "weight_hr_l1", architecture: projected)), .projection(projSize: 3, hiddenSize: 8))
    }

    func testMisshapedReferenceTensorDoesNotSpread() {
        // weight_hh_l0 is wrong; the other layer and direction outvote it.
        let tensors = TestTensors.replacing("weight_hh_l0", with: TestTensors.zeros([24, 7]), in: TestTensors.module(gru))
        guard case .misshapedTensor("weight_hh_l0", [24, 7], [24, 8], _, nil)? = singleProblem(tensors, about: "weight_hh_l0", architecture: gru) else {
            return XCTFail()
        }
    }

    func testRowsThatFitOneModeOnlyKeepTheModule() {
        // 5 rows are 1×5 and nothing else: an RNN whose weight_hh lost a column.
        let rnn = RNNArchitecture(mode: .rnn, inputSize: 10, hiddenSize: 5)
        let tensors = TestTensors.replacing("dec.weight_hh_l0", with: TestTensors.zeros([5, 4]), in: TestTensors.module(rnn, named: "dec"))
        guard case .misshapedTensor("dec.weight_hh_l0", [5, 4], [5, 5], _, _)? = singleProblem(tensors, about: "dec.weight_hh_l0", architecture: rnn) else {
            return XCTFail()
        }
    }

    func testInputSizeFromTheReverseDirectionWhenForwardIsMissing() {
        let tensors = TestTensors.replacing("weight_ih_l0", with: nil, in: TestTensors.module(gru))
        XCTAssertEqual(evidence(singleProblem(tensors, about: "weight_ih_l0", architecture: gru)), .ownWeights(reverseExamples: nil))
    }

    func testMissingMiddleLayerSaysNumLayers() {
        let three = RNNArchitecture(mode: .rnn, inputSize: 4, hiddenSize: 4, numLayers: 3, bias: false)
        let tensors = TestTensors.module(three).filter { !$0.name.hasSuffix("_l1") }
        let inspection = Inspector.inspect(tensors)
        XCTAssertEqual(inspection.modules.map(\.architecture), [three])
        XCTAssertEqual(TestTensors.problemTensors(inspection), ["weight_ih_l1", "weight_hh_l1"])
        for problem in inspection.problems {
            XCTAssertEqual(evidence(problem.moduleProblem), .higherLayerExists(topLayer: 2, examples: ["weight_ih_l2", "weight_hh_l2"], numLayers: 3))
        }
    }

    func testProblemsOfAModule() {
        let tensors = TestTensors.replacing("a.weight_hh_l0_reverse", with: nil, in: TestTensors.module(gru, named: "a"))
            + TestTensors.module(lstm, named: "b")
        let inspection = Inspector.inspect(tensors)
        guard let a = inspection.module(named: "a"), let b = inspection.module(named: "b") else {
            return XCTFail("modules a and b expected")
        }
        XCTAssertEqual(inspection.problems(of: a).count, 1)
        XCTAssertEqual(inspection.problems(of: b).count, 0)
    }
}
