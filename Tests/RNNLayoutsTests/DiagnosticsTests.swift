import TensorFiles
import XCTest
@testable import RNNLayouts

/// One thing broken at a time: exactly that tensor is reported, with the
/// expected shape and the reason, and the rest of the module is still inferred.
final class DiagnosticsTests: XCTestCase {
    let gru = RNNArchitecture(mode: .gru, inputSize: 5, hiddenSize: 8, numLayers: 2, bidirectional: true)
    let lstm = RNNArchitecture(mode: .lstm, inputSize: 5, hiddenSize: 8, numLayers: 2)

    /// Inspects `tensors`, expecting the module to still be `architecture`
    /// and exactly one problem, about `tensor`; returns its message.
    func singleProblem(
        _ tensors: [NamedTensor], about tensor: String, architecture: RNNArchitecture,
        file: StaticString = #filePath, line: UInt = #line
    ) -> String {
        let inspection = Inspector.inspect(tensors)
        XCTAssertEqual(inspection.modules.map(\.architecture), [architecture], file: file, line: line)
        XCTAssertEqual(TestTensors.problemTensors(inspection), [tensor], "\(inspection.problems)", file: file, line: line)
        return inspection.problems.first?.message ?? ""
    }

    func expectedShapeText(_ architecture: RNNArchitecture, _ name: String) -> String {
        shapeText(architecture.expectedShape(of: ParameterName(parsing: Substring(name)) ?? ParameterName(.weightIH, layer: 0)))
    }

    func testMissingReverseTensorNamesItTheExpectedShapeAndWhy() {
        for name in ["weight_hh_l0_reverse", "weight_ih_l1_reverse", "bias_hh_l1_reverse"] {
            let tensors = TestTensors.replacing(name, with: nil, in: TestTensors.module(gru))
            let message = singleProblem(tensors, about: name, architecture: gru)
            XCTAssertTrue(message.hasPrefix("missing; expected shape \(expectedShapeText(gru, name))"), message)
            XCTAssertTrue(message.contains("bidirectional") || message.contains("bias=True"), message)
        }
    }

    func testMisshapedTensorSaysExpectedShapeAndWhy() {
        let tensors = TestTensors.replacing("weight_ih_l1", with: TestTensors.zeros([24, 9]), in: TestTensors.module(gru))
        let message = singleProblem(tensors, about: "weight_ih_l1", architecture: gru)
        XCTAssertTrue(message.hasPrefix("shape (24, 9), expected \(expectedShapeText(gru, "weight_ih_l1"))"), message)
        XCTAssertTrue(message.contains("layer 0's output width"), message)
    }

    func testOneDirectionWidthInALayerAboveABidirectionalOne() {
        let tensors = TestTensors.replacing("weight_ih_l1_reverse", with: TestTensors.zeros([24, 8]), in: TestTensors.module(gru))
        let message = singleProblem(tensors, about: "weight_ih_l1_reverse", architecture: gru)
        XCTAssertTrue(message.contains("one direction's width"), message)
    }

    func testTransposedMatrixIsRecognised() {
        let tensors = TestTensors.replacing("weight_hh_l1", with: TestTensors.zeros([8, 24]), in: TestTensors.module(gru))
        XCTAssertTrue(singleProblem(tensors, about: "weight_hh_l1", architecture: gru).contains("transposed"))
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
            XCTAssertTrue(problem.message.contains("its rows say hidden_size 6"), problem.message)
        }
    }

    func testBiasOnOneLayerOnly() {
        let tensors = TestTensors.module(lstm).filter { !($0.name.hasPrefix("bias") && $0.name.hasSuffix("l1")) }
        let inspection = Inspector.inspect(tensors)
        XCTAssertEqual(inspection.modules.map(\.architecture), [lstm])
        XCTAssertEqual(TestTensors.problemTensors(inspection), ["bias_ih_l1", "bias_hh_l1"])
        XCTAssertTrue(inspection.problems.allSatisfy { $0.message.contains("found on layer 0 only") }, "\(inspection.problems)")
    }

    func testMixedDTypesNameTheOddTensor() {
        let tensors = TestTensors.replacing("enc.bias_hh_l0", with: TestTensors.zeros([32], .float16),
                                            in: TestTensors.module(lstm, named: "enc"))
        let message = singleProblem(tensors, about: "enc.bias_hh_l0", architecture: lstm)
        XCTAssertTrue(message.contains("float16") && message.contains("float32"), message)
    }

    func testIntegerWeights() {
        let tensors = TestTensors.replacing("weight_hh_l1", with: TestTensors.zeros([32, 8], .int32), in: TestTensors.module(lstm))
        XCTAssertTrue(singleProblem(tensors, about: "weight_hh_l1", architecture: lstm).contains("floating point"))
    }

    func testProjectionWeightOnANonLSTM() {
        let plain = RNNArchitecture(mode: .gru, inputSize: 5, hiddenSize: 8)
        let tensors = TestTensors.module(plain) + [NamedTensor(name: "weight_hr_l0", tensor: TestTensors.zeros([3, 8]))]
        XCTAssertTrue(singleProblem(tensors, about: "weight_hr_l0", architecture: plain).contains("LSTM's projection"))
    }

    func testMissingProjectionOfOneLayer() {
        let projected = RNNArchitecture(mode: .lstm, inputSize: 5, hiddenSize: 8, projSize: 3, numLayers: 2, bidirectional: true)
        let tensors = TestTensors.replacing("weight_hr_l1", with: nil, in: TestTensors.module(projected))
        let message = singleProblem(tensors, about: "weight_hr_l1", architecture: projected)
        XCTAssertTrue(message.contains("proj_size 3"), message)
    }

    func testMisshapedReferenceTensorDoesNotSpread() {
        // weight_hh_l0 is wrong; the other layer and direction outvote it.
        let tensors = TestTensors.replacing("weight_hh_l0", with: TestTensors.zeros([24, 7]), in: TestTensors.module(gru))
        _ = singleProblem(tensors, about: "weight_hh_l0", architecture: gru)
    }

    func testUnreadableSizesBecomeOneProblemAndOtherTensors() {
        let single = RNNArchitecture(mode: .gru, inputSize: 5, hiddenSize: 8)
        let tensors = TestTensors.replacing("weight_hh_l0", with: TestTensors.zeros([24, 7]), in: TestTensors.module(single))
        let inspection = Inspector.inspect(tensors)
        XCTAssertTrue(inspection.modules.isEmpty)
        XCTAssertEqual(TestTensors.problemTensors(inspection), ["weight_hh_l0"])
        XCTAssertTrue(inspection.problems[0].message.contains("cannot tell the mode"))
        XCTAssertEqual(inspection.otherTensors.count, tensors.count)
    }

    func testRowsThatFitOneModeOnlyKeepTheModule() {
        // 5 rows are 1×5 and nothing else: an RNN whose weight_hh lost a column.
        let rnn = RNNArchitecture(mode: .rnn, inputSize: 10, hiddenSize: 5)
        let tensors = TestTensors.replacing("dec.weight_hh_l0", with: TestTensors.zeros([5, 4]), in: TestTensors.module(rnn, named: "dec"))
        let message = singleProblem(tensors, about: "dec.weight_hh_l0", architecture: rnn)
        XCTAssertTrue(message.hasPrefix("shape (5, 4), expected (5, 5)"), message)
    }

    func testMissingInputWeightIsNamed() {
        let single = RNNArchitecture(mode: .rnn, inputSize: 5, hiddenSize: 8)
        let inspection = Inspector.inspect(TestTensors.replacing("weight_ih_l0", with: nil, in: TestTensors.module(single)))
        XCTAssertEqual(TestTensors.problemTensors(inspection), ["weight_ih_l0"])
        XCTAssertTrue(inspection.problems[0].message.contains("input_size"))
    }

    func testInputSizeFromTheReverseDirectionWhenForwardIsMissing() {
        let tensors = TestTensors.replacing("weight_ih_l0", with: nil, in: TestTensors.module(gru))
        _ = singleProblem(tensors, about: "weight_ih_l0", architecture: gru)
    }

    func testCellAndLayerNamesInOneModule() {
        let cell = TestTensors.module(RNNArchitecture(mode: .gru, kind: .cell, inputSize: 5, hiddenSize: 8))
        let layer = [NamedTensor(name: "weight_ih_l0", tensor: TestTensors.zeros([24, 5]))]
        let inspection = Inspector.inspect(cell + layer)
        XCTAssertTrue(inspection.modules.isEmpty)
        XCTAssertEqual(TestTensors.problemTensors(inspection), ["weight_ih_l0"])
    }

    func testMissingMiddleLayerSaysNumLayers() {
        let three = RNNArchitecture(mode: .rnn, inputSize: 4, hiddenSize: 4, numLayers: 3, bias: false)
        let tensors = TestTensors.module(three).filter { !$0.name.hasSuffix("_l1") }
        let inspection = Inspector.inspect(tensors)
        XCTAssertEqual(inspection.modules.map(\.architecture), [three])
        XCTAssertEqual(TestTensors.problemTensors(inspection), ["weight_ih_l1", "weight_hh_l1"])
        XCTAssertTrue(inspection.problems.allSatisfy { $0.message.contains("num_layers is at least 3") })
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
