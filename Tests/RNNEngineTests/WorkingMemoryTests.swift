import RNNLayouts
import TensorFiles
import XCTest

@testable import RNNEngine

/// The memory check counts what a call allocates: the packed path's input
/// projection is one chunk of steps, not the whole sequence.
final class WorkingMemoryTests: XCTestCase {
    /// An LSTM with 256 gate rows over 6 000 steps: the whole sequence's
    /// projection (6.1 MB) is most of what the reference path allocates (7.7
    /// MB), while the packed path keeps a 4 MB chunk of it (5.7 MB in all).
    private let steps = 6_000
    private let limit = 6_500_000

    private func network() throws -> RNNNetwork {
        try RNNNetwork(module: TestModules.make(RNNArchitecture(mode: .lstm, inputSize: 8, hiddenSize: 64)))
    }

    private func input() -> Tensor {
        var numbers = SeededNumbers(seed: 5)
        return numbers.floats([steps, 1, 8])
    }

    func testALongSequenceWhoseProjectionChunkFitsRunsOnThePackedPath() throws {
        let network = try network(), input = input()
        // Before the chunks were counted: T·(input + 2·output + gate rows) floats, 9.4 MB, above the limit.
        XCTAssertGreaterThan(steps * (8 + 2 * 64 + 256) * 4, limit)
        for threads in [1, 2] {
            let options = ExecutionOptions(threads: threads)
            let memory = WorkingMemory(network.architecture, plan: try plan(network, input), computeType: .float32, options: options)
            XCTAssertLessThan(try XCTUnwrap(memory.bytes), limit)
            let limited = try WorkingMemory.$limitOverride.withValue(limit) { try network.forward(input: input, options: options) }
            let reference = try network.forward(input: input, options: ExecutionOptions(kernels: .reference))
            try assertClose(limited.output, reference.output, accuracy: 1e-5)
            try assertClose(limited.hN, reference.hN, accuracy: 1e-5)
            try assertClose(limited.cN, reference.cN, accuracy: 1e-5)
        }
    }

    func testTheReferencePathCountsTheWholeSequencesProjection() throws {
        let network = try network(), input = input()
        let options = ExecutionOptions(kernels: .reference)
        let memory = WorkingMemory(network.architecture, plan: try plan(network, input), computeType: .float32, options: options)
        XCTAssertGreaterThan(try XCTUnwrap(memory.bytes), steps * 256 * 4)
        XCTAssertThrowsError(try WorkingMemory.$limitOverride.withValue(limit) { try network.forward(input: input, options: options) }) {
            guard case .workingMemory? = $0 as? EngineError else { return XCTFail("\($0)") }
        }
    }

    func testTheLimitStillRefusesThePackedPathWhenTheOutputAloneExceedsIt() throws {
        let network = try network(), input = input()
        // The output tensor alone: 6 000 × 64 floats, 1.5 MB.
        XCTAssertThrowsError(try WorkingMemory.$limitOverride.withValue(1 << 20) { try network.forward(input: input) }) {
            guard case .workingMemory? = $0 as? EngineError else { return XCTFail("\($0)") }
        }
    }

    /// With the output going to a receiver, the last layer writes a ring of
    /// two chunks (here 500 steps each) instead of the 1.5 MB output tensor:
    /// the same call fits in 1 MiB, and sends the whole output.
    func testAReceiversRingOfChunksIsCountedInsteadOfTheOutputTensor() throws {
        let network = try network(), input = input()
        let plan = try plan(network, input)
        let (sending, keeping) = ProjectionChunking.$stepsOverride.withValue(500) {
            (WorkingMemory(network.architecture, plan: plan, computeType: .float32, options: .automatic, sendsOutput: true),
             WorkingMemory(network.architecture, plan: plan, computeType: .float32, options: .automatic))
        }
        XCTAssertEqual(try XCTUnwrap(keeping.bytes) - XCTUnwrap(sending.bytes), (steps - 1_000) * 64 * 4)
        final class Collector: OutputReceiver {
            var bytes = Data()
            func begin(shape: [Int], dtype: DType) throws {}
            func receive(_ piece: UnsafeRawBufferPointer) throws { bytes.append(contentsOf: piece) }
        }
        let collector = Collector()
        let expected = try ProjectionChunking.$stepsOverride.withValue(500) {
            try WorkingMemory.$limitOverride.withValue(1 << 20) {
                XCTAssertThrowsError(try network.forward(input: input))
                _ = try network.forward(input: input, sendingOutputTo: collector)
            }
            return try network.forward(input: input).output  // the same chunks: the same GEMMs
        }
        XCTAssertEqual(collector.bytes, try expected.data())
    }

    private func plan(_ network: RNNNetwork, _ input: Tensor) throws -> SequencePlan {
        try SequencePlan(architecture: network.architecture, input: input, computeType: .float32, lengths: nil, batchFirst: false)
    }
}
