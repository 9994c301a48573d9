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
            // The exact wording of the most common input error.
            XCTAssertEqual("\(error)", "input has shape (4, 2, 7): its last dimension (features) is 7, but the module's input_size is 3")
        }
    }

    func testWrongH0Shape() throws {
        let network = try network(TestModules.lstm(layers: 2, bidirectional: true))
        XCTAssertThrowsError(try network.forward(input: numbers.floats([4, 2, 3]), h0: numbers.floats([2, 2, 5]))) { error in
            XCTAssertEqual(error as? EngineError, .stateShape(name: "h0", shape: [2, 2, 5], expected: [4, 2, 5],
                                                              layers: 2, directions: 2, projected: false))
        }
    }

    func testH0WidthIsProjSizeWithProjection() throws {
        let network = try network(TestModules.lstm(proj: 2))
        XCTAssertThrowsError(try network.forward(input: numbers.floats([4, 2, 3]), h0: numbers.floats([1, 2, 5]))) { error in
            XCTAssertEqual(error as? EngineError, .stateShape(name: "h0", shape: [1, 2, 5], expected: [1, 2, 2],
                                                              layers: 1, directions: 1, projected: true))
            XCTAssertEqual("\(error)", "h0 has shape (1, 2, 5); expected (1, 2, 2) (num_layers·directions 1·1, batch 2, proj_size 2)")
        }
        XCTAssertNoThrow(try network.forward(input: numbers.floats([4, 2, 3]), h0: numbers.floats([1, 2, 2]),
                                             c0: numbers.floats([1, 2, 5])))
    }

    func testWrongC0Shape() throws {
        let network = try network(TestModules.lstm(proj: 2))
        XCTAssertThrowsError(try network.forward(input: numbers.floats([4, 2, 3]), c0: numbers.floats([1, 2, 2]))) { error in
            XCTAssertEqual(error as? EngineError, .stateShape(name: "c0", shape: [1, 2, 2], expected: [1, 2, 5],
                                                              layers: 1, directions: 1, projected: false))
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
            XCTAssertEqual(error as? EngineError, .inputDType(found: .float64, expected: .float32))
        }
        let half = try numbers.floats([2, 1, 3]).converted(to: .float16)
        XCTAssertThrowsError(try TestModules.lstm().forward(input: half)) { error in
            XCTAssertEqual(error as? EngineError, .inputDType(found: .float16, expected: nil))
        }
    }

    func testInputRankAndEmptyInput() throws {
        let network = try network(TestModules.lstm())
        XCTAssertThrowsError(try network.forward(input: numbers.floats([3]))) { error in
            XCTAssertEqual(error as? EngineError, .inputRank(shape: [3], inputSize: 3, batchFirst: false))
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
            XCTAssertEqual(name, ModulePath("rnn"))
            XCTAssertEqual(problems.count, 2, "\(problems)")
            guard case .misshapedTensor("rnn.weight_hh_l1", [20, 4], [20, 5], _, _) = problems[0] else { return XCTFail("\(problems)") }
            guard case .missingTensor("rnn.bias_hh_l1", [20], _, _) = problems[1] else { return XCTFail("\(problems)") }
            XCTAssertTrue(error is BadInputError)
        }
    }

    func testReluOnlyForRNN() throws {
        XCTAssertThrowsError(try RNNNetwork(module: TestModules.lstm(), nonlinearity: .relu)) { error in
            XCTAssertEqual(error as? EngineError, .invalidModule(module: ModulePath("rnn"), problems: [.nonlinearityNotApplicable(.relu, mode: .lstm)]))
        }
        let rnn = try TestModules.make(RNNArchitecture(mode: .rnn, inputSize: 3, hiddenSize: 4))
        XCTAssertNoThrow(try RNNNetwork(module: rnn, nonlinearity: .relu))
    }

    func testAWorkspaceLargerThanMemoryIsRefusedBeforeAllocating() throws {
        // 4M steps of one feature is a small input (16 MB), but the output of a
        // bidirectional GRU with hidden 1000 alone is 4M × 2000 floats (32 GB).
        let module = try TestModules.make(RNNArchitecture(mode: .gru, inputSize: 1, hiddenSize: 1000, bidirectional: true))
        let network = try RNNNetwork(module: module)
        let steps = 4_000_000
        let input = Tensor(shape: [steps, 1, 1], floats: [Float](repeating: 0.5, count: steps))
        XCTAssertThrowsError(try network.forward(input: input)) { error in
            guard case .workingMemory(let steps, let batch, let bytes, _)? = error as? EngineError else { return XCTFail("\(error)") }
            XCTAssertEqual(steps, 4_000_000)
            XCTAssertEqual(batch, 1)
            XCTAssertGreaterThan(bytes ?? .max, 4_000_000 * 2000 * 4)
        }
    }
}
