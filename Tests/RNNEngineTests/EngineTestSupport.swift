import RNNLayouts
import TensorFiles
import XCTest
@testable import RNNEngine

/// Deterministic pseudo-random numbers (SplitMix64) for test weights and inputs.
struct SeededNumbers {
    private var generator: SplitMix

    init(seed: UInt64) { generator = SplitMix(seed: seed) }

    /// A value in [-1, 1).
    mutating func next() -> Double { generator.uniform() }

    mutating func floats(_ shape: [Int], scale: Double = 1) -> Tensor {
        Tensor(shape: shape, floats: (0 ..< shape.reduce(1, *)).map { _ in Float(next() * scale) })
    }

    mutating func doubles(_ shape: [Int], scale: Double = 1) -> Tensor {
        Tensor(shape: shape, doubles: (0 ..< shape.reduce(1, *)).map { _ in next() * scale })
    }
}

/// Modules with random weights, found by the inspector from their names as a
/// weight file would hold them.
enum TestModules {
    static func make(_ architecture: RNNArchitecture, name: String = "rnn", seed: UInt64 = 1) throws -> RNNModule {
        var numbers = SeededNumbers(seed: seed)
        let tensors = architecture.parameterNames.map { parameter in
            NamedTensor(
                name: name.isEmpty ? parameter.text : "\(name).\(parameter.text)",
                tensor: numbers.floats(architecture.expectedShape(of: parameter), scale: 0.5))
        }
        return try Inspector.inspect(tensors).selectModule(named: name)
    }

    /// A root module initialised as PyTorch does (uniform in ±1/√hidden), as `rnnkit bench` makes one.
    static func pytorchInitialised(_ architecture: RNNArchitecture, seed: UInt64) throws -> RNNModule {
        var numbers = SeededNumbers(seed: seed)
        let bound = 1 / Double(architecture.hiddenSize).squareRoot()
        let tensors = architecture.parameterNames.map { parameter in
            NamedTensor(name: parameter.text, tensor: numbers.floats(architecture.expectedShape(of: parameter), scale: bound))
        }
        return try Inspector.inspect(tensors).selectModule(named: "")
    }

    static func lstm(layers: Int = 1, bidirectional: Bool = false, proj: Int = 0) throws -> RNNModule {
        try make(RNNArchitecture(mode: .lstm, inputSize: 3, hiddenSize: 5, projSize: proj,
                                 numLayers: layers, bidirectional: bidirectional))
    }
}

/// Asserts two tensors have the same shape and values within `accuracy`.
func assertClose(_ actual: Tensor?, _ expected: Tensor?, accuracy: Double = 1e-6,
                 _ message: String = "", file: StaticString = #filePath, line: UInt = #line) throws {
    guard let actual, let expected else {
        XCTAssertTrue(actual == nil && expected == nil, "one tensor is missing \(message)", file: file, line: line)
        return
    }
    XCTAssertEqual(actual.shape, expected.shape, message, file: file, line: line)
    let a = try actual.doubles()
    let e = try expected.doubles()
    guard a.count == e.count else { return }
    let worst = zip(a, e).map { abs($0 - $1) }.max() ?? 0
    XCTAssertLessThanOrEqual(worst, accuracy, message, file: file, line: line)
}

/// Slices along one axis: elements `range` of axis `axis`.
func slice(_ tensor: Tensor, axis: Int, _ range: Range<Int>) throws -> Tensor {
    let shape = tensor.shape
    let outer = shape[..<axis].reduce(1, *)
    let inner = shape[(axis + 1)...].reduce(1, *)
    let values = try tensor.doubles()
    var result: [Double] = []
    for o in 0 ..< outer {
        for i in range {
            let start = (o * shape[axis] + i) * inner
            result += values[start ..< start + inner]
        }
    }
    var newShape = shape
    newShape[axis] = range.count
    let doubles = Tensor(shape: newShape, doubles: result)
    return tensor.dtype == .float64 ? doubles : try doubles.converted(to: tensor.dtype)
}
