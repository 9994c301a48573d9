import Foundation
import RNNLayouts
import TensorFiles
import XCTest
@testable import RNNEngine

/// `OutputReceiver`: the output's bytes arrive in order, each once, equal to
/// the returned output, chunk by chunk where the last layer finishes its
/// rows before the pass ends; a receiver's error ends the call.
final class OutputReceiverTests: XCTestCase {
    /// Records what it is given; throws `Full` on piece `failAt` (counted from 0).
    final class Recorder: OutputReceiver {
        struct Full: Error {}
        var shape: [Int]?
        var dtype: DType?
        var pieces: [Data] = []
        var failAt: Int?

        func begin(shape: [Int], dtype: DType) throws {
            XCTAssertNil(self.shape, "begin twice")
            self.shape = shape
            self.dtype = dtype
        }

        func receive(_ bytes: UnsafeRawBufferPointer) throws {
            XCTAssertNotNil(shape, "bytes before begin")
            if pieces.count == failAt { throw Full() }
            pieces.append(Data(bytes))
        }
    }

    /// Every case of ExecutionPathTests, on the reference path and the packed
    /// one (one and two threads), in projection chunks of 4 of the 11 steps:
    /// the pieces put together are the output; a unidirectional last layer
    /// whose rows are the caller's (no lengths, or sorted ones) on the packed
    /// path sends one piece per chunk (4, 4, 3 steps), any other pass one at the end.
    func testPiecesAreTheOutputInOrderAndComeChunkByChunk() throws {
        let paths = [ExecutionOptions(threads: 1, kernels: .reference), ExecutionOptions(threads: 1),
                     ExecutionOptions(threads: 2)]
        for (index, (architecture, batch, lengths)) in ExecutionPathTests.cases.enumerated() {
            let module = try TestModules.pytorchInitialised(architecture, seed: UInt64(index + 3))
            var numbers = SeededNumbers(seed: UInt64(100 + index))
            let input = numbers.floats([11, batch, architecture.inputSize])
            let network = try RNNNetwork(module: module)
            for options in paths {
                let recorder = Recorder()
                let result = try ProjectionChunking.$stepsOverride.withValue(4) {
                    try network.forward(input: input, lengths: lengths, options: options, receiver: recorder)
                }
                let label = "case \(index) \(options)"
                XCTAssertEqual(recorder.shape, result.output.shape, label)
                XCTAssertEqual(recorder.dtype, .float32, label)
                XCTAssertEqual(recorder.pieces.reduce(Data(), +), try result.output.data(), label)
                let inCallersOrder = lengths.map { $0 == $0.sorted(by: >) } ?? true
                let streams = options.kernels != .reference && architecture.directions == 1 && inCallersOrder
                let stepBytes = batch * architecture.outputSize * 4
                XCTAssertEqual(recorder.pieces.map(\.count), streams ? [4, 4, 3].map { $0 * stepBytes } : [11 * stepBytes], label)
            }
        }
    }

    /// float64 (the reference path) and batch-first input (rows moved): one piece, the output.
    func testOtherLayoutsAndDTypesSendTheWholeOutput() throws {
        let module = try TestModules.make(RNNArchitecture(mode: .gru, inputSize: 6, hiddenSize: 9, numLayers: 2))
        var numbers = SeededNumbers(seed: 7)
        let network64 = try RNNNetwork(module: module, computeType: .float64)
        let recorder = Recorder()
        let result = try network64.forward(input: numbers.doubles([5, 3, 6]), receiver: recorder)
        XCTAssertEqual(recorder.dtype, .float64)
        XCTAssertEqual(recorder.pieces, [try result.output.data()])
        let batchFirst = Recorder()
        let network = try RNNNetwork(module: module)
        let moved = try network.forward(input: numbers.floats([3, 5, 6]), batchFirst: true, receiver: batchFirst)
        XCTAssertEqual(batchFirst.shape, [3, 5, 9])
        XCTAssertEqual(batchFirst.pieces, [try moved.output.data()])
    }

    /// A receiver that fails (a full disk) on its second piece: the call
    /// throws that error and sends nothing after it.
    func testAReceiversErrorEndsTheCall() throws {
        let module = try TestModules.pytorchInitialised(RNNArchitecture(mode: .lstm, inputSize: 20, hiddenSize: 130), seed: 5)
        var numbers = SeededNumbers(seed: 9)
        let input = numbers.floats([11, 1, 20])
        let recorder = Recorder()
        recorder.failAt = 1
        XCTAssertThrowsError(try ProjectionChunking.$stepsOverride.withValue(4) {
            try RNNNetwork(module: module).forward(input: input, options: ExecutionOptions(threads: 2), receiver: recorder)
        }) { XCTAssertTrue($0 is Recorder.Full, "\($0)") }
        XCTAssertEqual(recorder.pieces.count, 1)
    }
}
