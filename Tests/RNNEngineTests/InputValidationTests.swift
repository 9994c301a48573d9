import RNNLayouts
import TensorFiles
import XCTest
@testable import RNNEngine

/// Every kind of bad input gives its own error, before any work.
final class InputValidationTests: XCTestCase {
    private var numbers = SeededNumbers(seed: 7)

    private func network(_ module: RNNModule) throws -> RNNNetwork {
        try RNNNetwork(module: module)
    }

    func testWrongFeatureSize() throws {
        let network = try network(TestModules.lstm())
        XCTAssertThrowsError(try network.forward(input: numbers.floats([4, 2, 7]))) { error in
            XCTAssertEqual(error as? EngineError, .featureSize(shape: [4, 2, 7], found: 7, expected: 3))
            XCTAssertTrue("\(error)".contains("input_size is 3"), "\(error)")
        }
    }

    func testWrongH0Shape() throws {
        let network = try network(TestModules.lstm(layers: 2, bidirectional: true))
        XCTAssertThrowsError(try network.forward(input: numbers.floats([4, 2, 3]), h0: numbers.floats([2, 2, 5]))) { error in
            guard case .stateShape(let name, let shape, let expected, _)? = error as? EngineError else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertEqual(name, "h0")
            XCTAssertEqual(shape, [2, 2, 5])
            XCTAssertEqual(expected, [4, 2, 5])
        }
    }

    func testH0WidthIsProjSizeWithProjection() throws {
        let network = try network(TestModules.lstm(proj: 2))
        XCTAssertThrowsError(try network.forward(input: numbers.floats([4, 2, 3]), h0: numbers.floats([1, 2, 5]))) { error in
            XCTAssertTrue("\(error)".contains("proj_size 2"), "\(error)")
        }
        XCTAssertNoThrow(try network.forward(input: numbers.floats([4, 2, 3]), h0: numbers.floats([1, 2, 2]),
                                             c0: numbers.floats([1, 2, 5])))
    }

    func testWrongC0Shape() throws {
        let network = try network(TestModules.lstm(proj: 2))
        XCTAssertThrowsError(try network.forward(input: numbers.floats([4, 2, 3]), c0: numbers.floats([1, 2, 2]))) { error in
            guard case .stateShape(let name, _, let expected, _)? = error as? EngineError else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "c0")
            XCTAssertEqual(expected, [1, 2, 5])
        }
    }

    func testZeroLength() throws {
        let network = try network(TestModules.lstm())
        XCTAssertThrowsError(try network.forward(input: numbers.floats([4, 3, 3]), lengths: [4, 0, 2])) { error in
            XCTAssertEqual(error as? EngineError, .lengthOutOfRange(index: 1, value: 0, steps: 4))
        }
    }

    func testLengthAboveSteps() throws {
        let network = try network(TestModules.lstm())
        XCTAssertThrowsError(try network.forward(input: numbers.floats([4, 3, 3]), lengths: [4, 5, 2])) { error in
            XCTAssertEqual(error as? EngineError, .lengthOutOfRange(index: 1, value: 5, steps: 4))
            XCTAssertTrue("\(error)".contains("1…4"), "\(error)")
        }
    }

    func testWrongNumberOfLengths() throws {
        let network = try network(TestModules.lstm())
        XCTAssertThrowsError(try network.forward(input: numbers.floats([4, 3, 3]), lengths: [4, 2])) { error in
            XCTAssertEqual(error as? EngineError, .lengthsCount(found: 2, batch: 3))
        }
    }

    func testNonIntegerLengths() throws {
        XCTAssertThrowsError(try RNNNetwork.lengths(from: Tensor(shape: [2], floats: [3, 2]))) { error in
            XCTAssertEqual(error as? EngineError, .lengthsNotIntegers(found: .float32))
        }
        XCTAssertThrowsError(try RNNNetwork.lengths(from: Tensor(shape: [1, 2], int64s: [3, 2]))) { error in
            XCTAssertEqual(error as? EngineError, .lengthsShape(shape: [1, 2]))
        }
        XCTAssertEqual(try RNNNetwork.lengths(from: Tensor(shape: [2], int64s: [3, 2])), [3, 2])
    }

    func testC0GivenToGRU() throws {
        let module = try TestModules.make(RNNArchitecture(mode: .gru, inputSize: 3, hiddenSize: 4))
        let network = try network(module)
        XCTAssertThrowsError(try network.forward(input: numbers.floats([2, 1, 3]), c0: numbers.floats([1, 1, 4]))) { error in
            XCTAssertEqual(error as? EngineError, .cellStateNotApplicable(mode: .gru))
        }
    }

    func testInputDTypeMustMatchComputeType() throws {
        let network = try network(TestModules.lstm())
        XCTAssertThrowsError(try network.forward(input: numbers.doubles([2, 1, 3]))) { error in
            guard case .inputDType(let found, _)? = error as? EngineError else { return XCTFail("\(error)") }
            XCTAssertEqual(found, .float64)
        }
        let half = try numbers.floats([2, 1, 3]).converted(to: .float16)
        XCTAssertThrowsError(try TestModules.lstm().forward(input: half)) { error in
            XCTAssertTrue("\(error)".contains("float32 or float64"), "\(error)")
        }
    }

    func testInputRankAndEmptyInput() throws {
        let network = try network(TestModules.lstm())
        XCTAssertThrowsError(try network.forward(input: numbers.floats([3]))) { error in
            guard case .inputRank? = error as? EngineError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try network.forward(input: numbers.floats([0, 2, 3]))) { error in
            XCTAssertEqual(error as? EngineError, .emptyInput(shape: [0, 2, 3]))
        }
    }

    func testMissingAndMisshapedTensorsAreListed() throws {
        var module = try TestModules.lstm(layers: 2)
        module.parameters[ParameterName(.biasHH, layer: 1)] = nil
        module.parameters[ParameterName(.weightHH, layer: 1)] = numbers.floats([20, 4])
        XCTAssertThrowsError(try RNNNetwork(module: module)) { error in
            guard case .invalidModule(let name, let problems)? = error as? EngineError else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "rnn")
            XCTAssertEqual(problems.count, 2, "\(problems)")
            guard case .misshapedTensor("rnn.weight_hh_l1", [20, 4], [20, 5], _, _) = problems[0] else { return XCTFail("\(problems)") }
            guard case .missingTensor("rnn.bias_hh_l1", [20], _, _) = problems[1] else { return XCTFail("\(problems)") }
            XCTAssertTrue(error is BadInputError)
        }
    }

    func testReluOnlyForRNN() throws {
        XCTAssertThrowsError(try RNNNetwork(module: TestModules.lstm(), nonlinearity: .relu)) { error in
            XCTAssertEqual(error as? EngineError, .invalidModule(module: "rnn", problems: [.nonlinearityNotApplicable(.relu, mode: .lstm)]))
        }
        let rnn = try TestModules.make(RNNArchitecture(mode: .rnn, inputSize: 3, hiddenSize: 4))
        XCTAssertNoThrow(try RNNNetwork(module: rnn, nonlinearity: .relu))
    }

    func testAWorkspaceLargerThanMemoryIsRefusedBeforeAllocating() throws {
        // 4M steps of one feature is a small input (16 MB) but its GRU projection
        // with hidden 1000 would need 4M × 3000 floats per direction.
        let module = try TestModules.make(RNNArchitecture(mode: .gru, inputSize: 1, hiddenSize: 1000, bidirectional: true))
        let network = try RNNNetwork(module: module)
        let steps = 4_000_000
        let input = Tensor(shape: [steps, 1, 1], floats: [Float](repeating: 0.5, count: steps))
        XCTAssertThrowsError(try network.forward(input: input)) { error in
            guard case .tooLarge(let why)? = error as? EngineError else { return XCTFail("\(error)") }
            XCTAssertTrue(why.contains("working memory"), why)
        }
    }
}
