import RNNLayouts
import TensorFiles
import XCTest
@testable import RNNEngine

/// Every execution path (kernels × threads × GEMM) agrees with the reference
/// path on random networks large enough for the threads to split the steps
/// (and reproduces PyTorch on every fixture: RNNKitTests' ExecutionPathFixtureTests).
final class ExecutionPathTests: XCTestCase {
    static let paths: [ExecutionOptions] = [
        ExecutionOptions(threads: 1, kernels: .reference),
        ExecutionOptions(threads: 2, kernels: .reference),
        ExecutionOptions(threads: 1, kernels: .avx512),
        ExecutionOptions(threads: 2, kernels: .avx512),
        ExecutionOptions(threads: 2, kernels: .avx512, gemm: .openblas),
        ExecutionOptions(threads: 1, kernels: .avx2),
        ExecutionOptions(threads: 2, kernels: .avx2),
        ExecutionOptions(threads: 1, kernels: .avx2, gemm: .openblas),
        ExecutionOptions(threads: 1, kernels: .portable),
        ExecutionOptions(threads: 2, kernels: .portable),
    ]

    /// Shapes above the team's threshold (so two threads split each step's
    /// blocks, with barriers), odd sizes, projection, packed lengths, h0/c0;
    /// 11 steps each.
    static let cases: [(RNNArchitecture, batch: Int, lengths: [Int]?)] = [
        (RNNArchitecture(mode: .lstm, inputSize: 37, hiddenSize: 67), 3, nil),
        (RNNArchitecture(mode: .lstm, inputSize: 20, hiddenSize: 130), 1, nil),
        (RNNArchitecture(mode: .gru, inputSize: 19, hiddenSize: 75, numLayers: 2), 5, [9, 3, 11, 1, 11]),
        (RNNArchitecture(mode: .rnn, inputSize: 8, hiddenSize: 150, bias: false), 4, [2, 11, 7, 11]),
        (RNNArchitecture(mode: .lstm, inputSize: 13, hiddenSize: 90, projSize: 41, numLayers: 2, bidirectional: true), 6,
         [11, 4, 9, 1, 11, 6]),
        (RNNArchitecture(mode: .lstm, inputSize: 13, hiddenSize: 90, projSize: 41), 7, [5, 11, 2, 8, 11, 3, 10]),
        (RNNArchitecture(mode: .gru, inputSize: 16, hiddenSize: 33, bidirectional: true), 9, nil),
        // 11 · 190 rows: enough for the team to share the input projection by rows.
        (RNNArchitecture(mode: .gru, inputSize: 24, hiddenSize: 40), 190, nil),
        // Sorted lengths (no sequence moved: the input is read in place), two layers.
        (RNNArchitecture(mode: .lstm, inputSize: 10, hiddenSize: 70, numLayers: 2), 4, [11, 11, 7, 2]),
    ]

    /// Runs every case of `cases` on every path of `paths` (with `chunks`
    /// steps per projection chunk, nil: the engine's choice) and compares
    /// with the reference path; weights initialised as PyTorch does, within
    /// the fixtures' tolerance.
    func assertPathsAgree(_ paths: [ExecutionOptions], chunks: [Int?] = [nil]) throws {
        for (index, (architecture, batch, lengths)) in Self.cases.enumerated() {
            let module = try TestModules.pytorchInitialised(architecture, seed: UInt64(index + 3))
            var numbers = SeededNumbers(seed: UInt64(100 + index))
            let input = numbers.floats([11, batch, architecture.inputSize])
            let states = architecture.numLayers * architecture.directions
            let h0 = numbers.floats([states, batch, architecture.stateSize])
            let c0 = architecture.mode == .lstm ? numbers.floats([states, batch, architecture.hiddenSize]) : nil
            for relu in architecture.mode == .rnn ? [false, true] : [false] {
                let network = try RNNNetwork(module: module, nonlinearity: relu ? .relu : .tanh)
                let reference = try network.forward(input: input, lengths: lengths, h0: h0, c0: c0,
                                                    options: ExecutionOptions(threads: 1, kernels: .reference))
                for options in paths {
                    for chunk in chunks {
                        let result = try ProjectionChunking.$stepsOverride.withValue(chunk) {
                            try network.forward(input: input, lengths: lengths, h0: h0, c0: c0, options: options)
                        }
                        let label = "case \(index) relu \(relu) \(options) chunk \(chunk.map(String.init) ?? "auto")"
                        try assertClose(result.output, reference.output, accuracy: 1e-5, label)
                        try assertClose(result.hN, reference.hN, accuracy: 1e-5, label)
                        try assertClose(result.cN, reference.cN, accuracy: 1e-5, label)
                    }
                }
            }
        }
    }

    func testRandomNetworksAgreeWithTheReferencePath() throws {
        try assertPathsAgree(Array(Self.paths.dropFirst()))
    }

    /// The packed path's input projection in chunks of 1, 4 (11 steps: 4, 4,
    /// 3; reverse directions start from the short end) and all 11 steps, on
    /// one and two threads.
    func testProjectionChunksAgreeWithTheReferencePath() throws {
        try assertPathsAgree([ExecutionOptions(threads: 1, kernels: .avx512), ExecutionOptions(threads: 2, kernels: .avx512),
                              ExecutionOptions(threads: 2, kernels: .avx2, gemm: .openblas),
                              ExecutionOptions(threads: 1, kernels: .portable)],
                             chunks: [1, 4, 11])
    }

    /// About 4 MB of projection per chunk, at least 256 rows, at most T steps.
    func testProjectionChunkSizes() {
        XCTAssertEqual(ProjectionChunking.steps(steps: 1000, batch: 64, gateRows: 2048), 8)
        XCTAssertEqual(ProjectionChunking.steps(steps: 1000, batch: 32, gateRows: 1024), 32)
        XCTAssertEqual(ProjectionChunking.steps(steps: 100, batch: 1, gateRows: 1024), 100)
        XCTAssertEqual(ProjectionChunking.steps(steps: 5000, batch: 1, gateRows: 1024), 1024)
        XCTAssertEqual(ProjectionChunking.steps(steps: 1000, batch: 512, gateRows: 4096), 1)
        XCTAssertEqual(ProjectionChunking.steps(steps: 1000, batch: 16, gateRows: 4096), 16)
        XCTAssertEqual(ProjectionChunking.steps(steps: 11, batch: 4, gateRows: 40, override: 4), 4)
        XCTAssertEqual(ProjectionChunking.steps(steps: 11, batch: 4, gateRows: 40, override: 40), 11)
    }

    /// Reading the input in place and writing the output tensor directly
    /// (time-major, sequences in decreasing length) gives the same bits as
    /// the copies made for a batch-first input or for sequences that the
    /// runner reorders.
    func testInPlaceInputAndOutputMatchTheCopiedLayouts() throws {
        let architecture = RNNArchitecture(mode: .lstm, inputSize: 12, hiddenSize: 80, numLayers: 2)
        let network = try RNNNetwork(module: try TestModules.pytorchInitialised(architecture, seed: 9))
        var numbers = SeededNumbers(seed: 10)
        let steps = 9, batch = 3
        let input = numbers.floats([steps, batch, architecture.inputSize])
        let values = try input.floats()
        func reordered(_ values: [Float], width: Int, batchFirst: Bool, order: [Int]) -> [Float] {
            var result: [Float] = []
            for outer in 0 ..< (batchFirst ? batch : steps) {
                for inner in 0 ..< (batchFirst ? steps : batch) {
                    let (t, b) = batchFirst ? (inner, order[outer]) : (outer, order[inner])
                    result += values[(t * batch + b) * width ..< (t * batch + b + 1) * width]
                }
            }
            return result
        }
        for threads in [1, 2] {
            let options = ExecutionOptions(threads: threads)
            let lengths = [9, 6, 2]
            let inPlace = try network.forward(input: input, lengths: lengths, options: options)
            let output = try inPlace.output.floats()
            // Batch-first: gathered and scattered.
            let batchFirst = try network.forward(
                input: Tensor(shape: [batch, steps, architecture.inputSize],
                              floats: reordered(values, width: architecture.inputSize, batchFirst: true, order: [0, 1, 2])),
                lengths: lengths, batchFirst: true, options: options)
            XCTAssertEqual(try batchFirst.output.floats(), reordered(output, width: 80, batchFirst: true, order: [0, 1, 2]))
            XCTAssertEqual(try batchFirst.hN.floats(), try inPlace.hN.floats())
            // Sequences in another order: the runner sorts them back.
            let order = [2, 0, 1]
            let moved = try network.forward(
                input: Tensor(shape: input.shape, floats: reordered(values, width: architecture.inputSize, batchFirst: false, order: order)),
                lengths: order.map { lengths[$0] }, options: options)
            XCTAssertEqual(try moved.output.floats(), reordered(output, width: 80, batchFirst: false, order: order))
            XCTAssertEqual(output.count, steps * batch * 80)
            // Steps past a sequence's length are zero.
            XCTAssertEqual(output[(8 * batch + 2) * 80 ..< (8 * batch + 3) * 80].filter { $0 != 0 }.count, 0)
        }
    }

    func testSmallStepsStayOnOneThreadAndDirectionsSplit() {
        XCTAssertEqual(PackedLayerRunner.teamSize(threads: 2, directions: 1, batch: 1, gateRows: 32, stateSize: 8), 1)
        XCTAssertEqual(PackedLayerRunner.teamSize(threads: 2, directions: 1, batch: 1, gateRows: 1024, stateSize: 256), 2)
        XCTAssertEqual(PackedLayerRunner.teamSize(threads: 2, directions: 2, batch: 1, gateRows: 32, stateSize: 8), 2)
        XCTAssertEqual(PackedLayerRunner.teamSize(threads: 1, directions: 2, batch: 64, gateRows: 2048, stateSize: 512), 1)
    }

    /// Few rows (batch 1): each member projects all rows for its own gate
    /// columns; many rows: chunks of rows; one member: all rows at once.
    func testInputProjectionIsSharedByColumnsWhenRowsAreFew() {
        XCTAssertEqual(ProjectionShare(rows: 100, columns: 1024, parts: 2),
                       ProjectionShare(byColumns: true, total: 1024, chunk: 512))
        XCTAssertEqual(ProjectionShare(rows: 100, columns: 768, parts: 3),
                       ProjectionShare(byColumns: true, total: 768, chunk: 256))
        XCTAssertEqual(ProjectionShare(rows: 11 * 190, columns: 120, parts: 2),
                       ProjectionShare(byColumns: false, total: 2090, chunk: 130))
        XCTAssertEqual(ProjectionShare(rows: 6400, columns: 2048, parts: 2),
                       ProjectionShare(byColumns: false, total: 6400, chunk: 400))
        XCTAssertEqual(ProjectionShare(rows: 100, columns: 1024, parts: 1),
                       ProjectionShare(byColumns: false, total: 100, chunk: 16))
    }
}
