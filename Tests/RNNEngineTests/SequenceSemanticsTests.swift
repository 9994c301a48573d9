import RNNLayouts
import TensorFiles
import XCTest
@testable import RNNEngine

/// Properties PyTorch's semantics imply, checked without reference numbers:
/// a packed batch equals each sequence run alone; layouts only move values.
/// (Parity with PyTorch itself is FixtureParityTests.)
final class SequenceSemanticsTests: XCTestCase {
    private var numbers = SeededNumbers(seed: 11)

    func testPackedBatchEqualsEachSequenceAlone() throws {
        let architectures = [
            RNNArchitecture(mode: .lstm, inputSize: 3, hiddenSize: 5, projSize: 2, numLayers: 2, bidirectional: true),
            RNNArchitecture(mode: .gru, inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true),
            RNNArchitecture(mode: .rnn, inputSize: 3, hiddenSize: 4, numLayers: 1, bidirectional: true, bias: false),
        ]
        let lengths = [2, 6, 4, 6, 1]
        let steps = 6
        for architecture in architectures {
            let module = try TestModules.make(architecture)
            let network = try RNNNetwork(module: module)
            let count = architecture.numLayers * architecture.directions
            let input = numbers.floats([steps, lengths.count, 3])
            let h0 = numbers.floats([count, lengths.count, architecture.stateSize])
            let c0 = architecture.mode == .lstm ? numbers.floats([count, lengths.count, 5]) : nil
            let packed = try network.forward(input: input, lengths: lengths, h0: h0, c0: c0)
            for (b, length) in lengths.enumerated() {
                let alone = try network.forward(
                    input: slice(slice(input, axis: 0, 0 ..< length), axis: 1, b ..< b + 1),
                    h0: slice(h0, axis: 1, b ..< b + 1), c0: c0.map { try slice($0, axis: 1, b ..< b + 1) })
                let mine = try slice(packed.output, axis: 1, b ..< b + 1)
                try assertClose(slice(mine, axis: 0, 0 ..< length), alone.output, "\(architecture.mode) sequence \(b)")
                if length < steps {
                    XCTAssertTrue(try slice(mine, axis: 0, length ..< steps).doubles().allSatisfy { $0 == 0 },
                                  "output past length \(length) must be zero")
                }
                try assertClose(slice(packed.hN, axis: 1, b ..< b + 1), alone.hN, "h_n of sequence \(b)")
                try assertClose(packed.cN.map { try slice($0, axis: 1, b ..< b + 1) }, alone.cN, "c_n of sequence \(b)")
            }
        }
    }

    func testBatchFirstOnlyMovesInputAndOutput() throws {
        let network = try RNNNetwork(module: TestModules.lstm(layers: 2, bidirectional: true))
        let input = numbers.floats([4, 3, 3])
        let h0 = numbers.floats([4, 3, 5])
        let timeFirst = try network.forward(input: input, lengths: [4, 2, 3], h0: h0)
        let batchFirst = try network.forward(input: transposed01(input), lengths: [4, 2, 3], h0: h0, batchFirst: true)
        try assertClose(transposed01(batchFirst.output), timeFirst.output, accuracy: 0)
        try assertClose(batchFirst.hN, timeFirst.hN, accuracy: 0)
        try assertClose(batchFirst.cN, timeFirst.cN, accuracy: 0)
    }

    func testUnbatchedInputIsOneSequenceWithoutBatchDimension() throws {
        let network = try RNNNetwork(module: TestModules.lstm(bidirectional: true))
        let input = numbers.floats([5, 3])
        let unbatched = try network.forward(input: input)
        let batched = try network.forward(input: input.reshaped([5, 1, 3])!)
        XCTAssertEqual(unbatched.output.shape, [5, 10])
        XCTAssertEqual(unbatched.hN.shape, [2, 5])
        try assertClose(unbatched.output.reshaped([5, 1, 10]), batched.output, accuracy: 0)
        try assertClose(unbatched.hN.reshaped([2, 1, 5]), batched.hN, accuracy: 0)
    }

    func testCellAcceptsStateWithoutLeadingOne() throws {
        let cell = try TestModules.make(RNNArchitecture(mode: .gru, kind: .cell, inputSize: 3, hiddenSize: 4), name: "")
        let network = try RNNNetwork(module: cell)
        let input = numbers.floats([3, 2, 3])
        let h0 = numbers.floats([2, 4])
        let short = try network.forward(input: input, h0: h0)
        let full = try network.forward(input: input, h0: h0.reshaped([1, 2, 4])!)
        XCTAssertEqual(short.hN.shape, [1, 2, 4])
        try assertClose(short.output, full.output, accuracy: 0)
    }

    func testFloat64AgreesWithFloat32AndHalfWeightsConvert() throws {
        let module = try TestModules.lstm(layers: 2, proj: 3)
        let input = numbers.doubles([5, 2, 3])
        let double = try module.forward(input: input)
        let single = try module.forward(input: input.converted(to: .float32))
        XCTAssertEqual(double.output.dtype, .float64)
        XCTAssertEqual(single.output.dtype, .float32)
        try assertClose(single.output, double.output.converted(to: .float32), accuracy: 1e-5)

        var half = module
        for (name, tensor) in module.parameters { half.parameters[name] = try tensor.converted(to: .float16) }
        let fromHalf = try half.forward(input: input.converted(to: .float32))
        XCTAssertEqual(fromHalf.output.dtype, .float32)
        try assertClose(fromHalf.output, single.output, accuracy: 1e-2)
    }

    private func transposed01(_ tensor: Tensor) throws -> Tensor {
        let (a, b, c) = (tensor.shape[0], tensor.shape[1], tensor.shape[2])
        let values = try tensor.floats()
        var result = [Float](repeating: 0, count: values.count)
        for i in 0 ..< a { for j in 0 ..< b { for k in 0 ..< c { result[(j * a + i) * c + k] = values[(i * b + j) * c + k] } } }
        return Tensor(shape: [b, a, c], floats: result)
    }
}
