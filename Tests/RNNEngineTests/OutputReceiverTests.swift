import Foundation
import RNNLayouts
import TensorFiles
import XCTest
@testable import RNNEngine

/// `OutputReceiver`: the output's bytes arrive in order, each once, equal to
/// the output `forward` returns without a receiver, chunk by chunk where the
/// last layer finishes its rows before the pass ends (from a ring of chunks
/// when every sequence has all T steps); a receiver's error ends the call.
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
    /// path sends one piece per chunk (4, 4, 3 steps; the third from the
    /// ring's first slot again when there are no lengths), any other pass one
    /// at the end. The states are those of the pass without a receiver.
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
                let (sent, result) = try ProjectionChunking.$stepsOverride.withValue(4) {
                    (try network.forward(input: input, lengths: lengths, options: options, sendingOutputTo: recorder),
                     try network.forward(input: input, lengths: lengths, options: options))
                }
                let label = "case \(index) \(options)"
                XCTAssertEqual(recorder.shape, result.output.shape, label)
                XCTAssertEqual(sent.outputShape, result.output.shape, label)
                XCTAssertEqual(recorder.dtype, .float32, label)
                XCTAssertEqual(sent.outputDType, .float32, label)
                XCTAssertEqual(recorder.pieces.reduce(Data(), +), try result.output.data(), label)
                XCTAssertEqual(try sent.hN.data(), try result.hN.data(), label)
                XCTAssertEqual(try sent.cN?.data(), try result.cN?.data(), label)
                let inCallersOrder = lengths.map { $0 == $0.sorted(by: >) } ?? true
                let streams = options.kernels != .reference && architecture.directions == 1 && inCallersOrder
                let stepBytes = batch * architecture.outputSize * 4
                XCTAssertEqual(recorder.pieces.map(\.count), streams ? [4, 4, 3].map { $0 * stepBytes } : [11 * stepBytes], label)
            }
        }
    }

    /// A receiver slower than the engine (a slow disk; it waits in every
    /// piece) while two threads run a two-layer LSTM with projections in
    /// chunks of 2 of 40 steps: the last layer writes a ring of two chunks,
    /// and a member that runs ahead while member 0 sends must not overwrite
    /// a slot before it is sent. The pieces are the output, one per chunk.
    func testARingOfChunksWaitsForASlowReceiver() throws {
        let architecture = RNNArchitecture(mode: .lstm, inputSize: 12, hiddenSize: 64, projSize: 32, numLayers: 2)
        let module = try TestModules.pytorchInitialised(architecture, seed: 21)
        var numbers = SeededNumbers(seed: 22)
        let input = numbers.floats([40, 8, 12])
        let network = try RNNNetwork(module: module)
        let options = ExecutionOptions(threads: 2)
        XCTAssertEqual(PackedLayerRunner.teamSize(threads: 2, directions: 1, batch: 8, gateRows: 256, stateSize: 32), 2)
        final class Slow: OutputReceiver {
            let recorder = Recorder()
            func begin(shape: [Int], dtype: DType) throws { try recorder.begin(shape: shape, dtype: dtype) }
            func receive(_ bytes: UnsafeRawBufferPointer) throws {
                usleep(3_000)
                try recorder.receive(bytes)
            }
        }
        let slow = Slow()
        let (sent, expected) = try ProjectionChunking.$stepsOverride.withValue(2) {
            (try network.forward(input: input, options: options, sendingOutputTo: slow),
             try network.forward(input: input, options: options))
        }
        XCTAssertEqual(slow.recorder.pieces.count, 20)
        XCTAssertEqual(slow.recorder.pieces.reduce(Data(), +), try expected.output.data())
        XCTAssertEqual(try sent.hN.data(), try expected.hN.data())
        XCTAssertEqual(try sent.cN?.data(), try expected.cN?.data())
    }

    /// float64 (the reference path) and batch-first input (rows moved): one piece, the output.
    func testOtherLayoutsAndDTypesSendTheWholeOutput() throws {
        let module = try TestModules.make(RNNArchitecture(mode: .gru, inputSize: 6, hiddenSize: 9, numLayers: 2))
        var numbers = SeededNumbers(seed: 7)
        let network64 = try RNNNetwork(module: module, computeType: .float64)
        let recorder = Recorder()
        let doubles = numbers.doubles([5, 3, 6])
        let sent = try network64.forward(input: doubles, sendingOutputTo: recorder)
        XCTAssertEqual(recorder.dtype, .float64)
        XCTAssertEqual(sent.outputDType, .float64)
        XCTAssertEqual(recorder.pieces, [try network64.forward(input: doubles).output.data()])
        let batchFirst = Recorder()
        let network = try RNNNetwork(module: module)
        let floats = numbers.floats([3, 5, 6])
        _ = try network.forward(input: floats, batchFirst: true, sendingOutputTo: batchFirst)
        XCTAssertEqual(batchFirst.shape, [3, 5, 9])
        XCTAssertEqual(batchFirst.pieces, [try network.forward(input: floats, batchFirst: true).output.data()])
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
            try RNNNetwork(module: module).forward(input: input, options: ExecutionOptions(threads: 2), sendingOutputTo: recorder)
        }) { XCTAssertTrue($0 is Recorder.Full, "\($0)") }
        XCTAssertEqual(recorder.pieces.count, 1)
    }
}
