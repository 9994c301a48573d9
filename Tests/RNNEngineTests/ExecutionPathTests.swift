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
    /// weights initialised as PyTorch does, within the fixtures' tolerance.
    func testRandomNetworksAgreeWithTheReferencePath() throws {
        let cases: [(RNNArchitecture, batch: Int, lengths: [Int]?)] = [
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
        ]
        for (index, (architecture, batch, lengths)) in cases.enumerated() {
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
                for options in Self.paths.dropFirst() {
                    let result = try network.forward(input: input, lengths: lengths, h0: h0, c0: c0, options: options)
                    let label = "case \(index) relu \(relu) \(options)"
                    try assertClose(result.output, reference.output, accuracy: 1e-5, label)
                    try assertClose(result.hN, reference.hN, accuracy: 1e-5, label)
                    try assertClose(result.cN, reference.cN, accuracy: 1e-5, label)
                }
            }
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
