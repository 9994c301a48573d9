import XCTest
@testable import RNNLayouts

/// Shape flow. The exact shapes of every fixture are compared with PyTorch in
/// FixtureInspectionTests; here: the shapes PyTorch printed in the seed notes
/// (shared/seeds 000–004), the layout rules, the errors and the explanation.
final class ShapeFlowTests: XCTestCase {
    struct SeedCase {
        var architecture: RNNArchitecture
        var input: [Int]
        var batchFirst: Bool
        var output: [Int]
        var hN: [Int]
        var cN: [Int]?
    }

    /// Shapes as PyTorch printed them in the seed notebooks.
    let seeds: [SeedCase] = [
        // 000: BiGRU(100, 256), batch_first, input (32, 20, 100).
        SeedCase(architecture: RNNArchitecture(mode: .gru, inputSize: 100, hiddenSize: 256, bidirectional: true),
                 input: [32, 20, 100], batchFirst: true, output: [32, 20, 512], hN: [2, 32, 256]),
        // 001/002: GRU(10, 32) with 1 layer, 2 layers, 2 layers bidirectional; input (1, 35, 10), batch_first.
        SeedCase(architecture: RNNArchitecture(mode: .gru, inputSize: 10, hiddenSize: 32),
                 input: [1, 35, 10], batchFirst: true, output: [1, 35, 32], hN: [1, 1, 32]),
        SeedCase(architecture: RNNArchitecture(mode: .gru, inputSize: 10, hiddenSize: 32, numLayers: 2),
                 input: [1, 35, 10], batchFirst: true, output: [1, 35, 32], hN: [2, 1, 32]),
        SeedCase(architecture: RNNArchitecture(mode: .gru, inputSize: 10, hiddenSize: 32, numLayers: 2, bidirectional: true),
                 input: [1, 35, 10], batchFirst: true, output: [1, 35, 64], hN: [4, 1, 32]),
        // 003: LSTM(256, 512) on (20, 10, 256); GRU(256, 512, 2 layers, bidirectional) on the same.
        SeedCase(architecture: RNNArchitecture(mode: .lstm, inputSize: 256, hiddenSize: 512),
                 input: [20, 10, 256], batchFirst: false, output: [20, 10, 512], hN: [1, 10, 512], cN: [1, 10, 512]),
        SeedCase(architecture: RNNArchitecture(mode: .gru, inputSize: 256, hiddenSize: 512, numLayers: 2, bidirectional: true),
                 input: [20, 10, 256], batchFirst: false, output: [20, 10, 1024], hN: [4, 10, 512]),
        // 004: RNN(5, 8), batch_first, on (1, 10, 5); then 2 layers bidirectional.
        SeedCase(architecture: RNNArchitecture(mode: .rnn, inputSize: 5, hiddenSize: 8),
                 input: [1, 10, 5], batchFirst: true, output: [1, 10, 8], hN: [1, 1, 8]),
        SeedCase(architecture: RNNArchitecture(mode: .rnn, inputSize: 5, hiddenSize: 8, numLayers: 2, bidirectional: true),
                 input: [1, 10, 5], batchFirst: true, output: [1, 10, 16], hN: [4, 1, 8]),
    ]

    func testSeedNotebookShapes() throws {
        for seed in seeds {
            let flow = try ShapeFlow(architecture: seed.architecture,
                                     input: InputShape(seed.input, batchFirst: seed.batchFirst))
            XCTAssertEqual(flow.output, seed.output, "\(seed)")
            XCTAssertEqual(flow.hN, seed.hN, "\(seed)")
            XCTAssertEqual(flow.cN, seed.cN, "\(seed)")
        }
    }

    func testBatchFirstMovesOutputButNeverHN() throws {
        for architecture in InferenceTests.architectures {
            let seqFirst = try ShapeFlow(architecture: architecture, input: InputShape([7, 3, 5]))
            let batchFirst = try ShapeFlow(architecture: architecture, input: InputShape([3, 7, 5], batchFirst: true))
            XCTAssertEqual(batchFirst.output, [seqFirst.output[1], seqFirst.output[0], seqFirst.output[2]])
            XCTAssertEqual(batchFirst.hN, seqFirst.hN)
            XCTAssertEqual(batchFirst.cN, seqFirst.cN)
            XCTAssertEqual(seqFirst.hN[1], 3, "batch is dimension 1 of h_n")
        }
    }

    func testUnbatchedDropsTheBatchDimensionEverywhere() throws {
        for architecture in InferenceTests.architectures {
            let batched = try ShapeFlow(architecture: architecture, input: InputShape([7, 1, 5]))
            for batchFirst in [false, true] {
                let unbatched = try ShapeFlow(architecture: architecture, input: InputShape([7, 5], batchFirst: batchFirst))
                XCTAssertEqual(unbatched.output, [batched.output[0], batched.output[2]])
                XCTAssertEqual(unbatched.hN, [batched.hN[0], batched.hN[2]])
                XCTAssertEqual(unbatched.cN, batched.cN.map { [$0[0], $0[2]] })
            }
        }
    }

    func testWidthsFollowProjSizeAndDirections() throws {
        let lstm = RNNArchitecture(mode: .lstm, inputSize: 5, hiddenSize: 8, projSize: 3, numLayers: 2, bidirectional: true)
        let flow = try ShapeFlow(architecture: lstm, input: InputShape([7, 2, 5]))
        XCTAssertEqual(flow.output.last, lstm.directions * lstm.projSize)
        XCTAssertEqual(flow.hN, [lstm.numLayers * lstm.directions, 2, lstm.projSize])
        XCTAssertEqual(flow.cN, [lstm.numLayers * lstm.directions, 2, lstm.hiddenSize])
        XCTAssertEqual(flow.row(layer: 1, direction: 1), 3)
    }

    func testCellsRunAsOneLayerOneDirection() throws {
        let cell = RNNArchitecture(mode: .lstm, kind: .cell, inputSize: 5, hiddenSize: 8)
        let flow = try ShapeFlow(architecture: cell, input: InputShape([7, 3, 5]))
        XCTAssertEqual(flow.output, [7, 3, 8])
        XCTAssertEqual(flow.hN, [1, 3, 8])
        XCTAssertEqual(flow.cN, [1, 3, 8])
        XCTAssertTrue(flow.explanation.contains("nn.LSTMCell computes one step, x (batch, 5) → h (batch, 8) and c; rnnkit runs it over the 7 steps as a one-layer, one-direction network, returning what nn.LSTM(num_layers=1) would"), "\(flow.explanation)")
    }

    func testWrongFeatureSizeNamesTheExpectedOne() throws {
        let gru = RNNArchitecture(mode: .gru, inputSize: 5, hiddenSize: 8)
        let input = try InputShape([3, 7, 6], batchFirst: true)
        XCTAssertThrowsError(try ShapeFlow(architecture: gru, input: input, module: ModulePath("enc"))) { error in
            guard case LayoutError.featuresMismatch(let mismatch) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(mismatch.input, input)
            XCTAssertEqual(mismatch.inputSize, 5)
            XCTAssertEqual(mismatch.expected, [3, 7, 5])
            XCTAssertEqual(mismatch.module, ModulePath("enc"))
            XCTAssertEqual(mismatch.weightShape, [24, 5])
            XCTAssertEqual("\(error)", "input shape (3, 7, 6) (batch, seq, features) has 6 features, but nn.GRU of module 'enc' reads "
                + "input_size 5 (weight_ih_l0 is (24, 5)); expected (3, 7, 5)")
        }
    }

    func testParsingInputShapes() throws {
        XCTAssertEqual(try InputShape(parsing: "7,3,5").dimensions, [7, 3, 5])
        XCTAssertEqual(try InputShape(parsing: "(7, 3, 5)").dimensions, [7, 3, 5])
        XCTAssertEqual(try InputShape(parsing: "[7,5]").dimensions, [7, 5])
        XCTAssertEqual(try InputShape(parsing: " 7 3  5 ").dimensions, [7, 3, 5])
        XCTAssertEqual(try InputShape(parsing: "7,0,5").batch, 0, "PyTorch accepts an empty batch")
        let batchFirst = try InputShape(parsing: "3,7,5", batchFirst: true)
        XCTAssertEqual([batchFirst.sequenceLength, batchFirst.batch, batchFirst.features], [7, 3, 5])
        let refusals: [(String, LayoutError)] = [
            ("7", .inputShapeRank([7], batchFirst: false)), ("7,3,5,1", .inputShapeRank([7, 3, 5, 1], batchFirst: false)),
            ("a,b,c", .unparsableInputShape("a,b,c", batchFirst: false)), ("7,,5", .unparsableInputShape("7,,5", batchFirst: false)),
            ("", .unparsableInputShape("", batchFirst: false)), ("7,-3,5", .negativeDimension([7, -3, 5])),
            ("0,3,5", .emptySequence([0, 3, 5], axis: 0, batchFirst: false)),
            ("7 3,5 1", .unparsableInputShape("7 3,5 1", batchFirst: false)), ("7x3x5", .unparsableInputShape("7x3x5", batchFirst: false)),
        ]
        for (bad, expected) in refusals {
            XCTAssertThrowsError(try InputShape(parsing: bad), bad) { error in
                XCTAssertEqual(error as? LayoutError, expected, bad)
            }
        }
        XCTAssertThrowsError(try InputShape(parsing: "3,0,5", batchFirst: true)) { error in
            XCTAssertEqual(error as? LayoutError, .emptySequence([3, 0, 5], axis: 1, batchFirst: true))
        }
    }

    func testExplanationTeachesTheSeedLessons() throws {
        let gru = RNNArchitecture(mode: .gru, inputSize: 100, hiddenSize: 256, numLayers: 2, bidirectional: true)
        let lines = try ShapeFlow(architecture: gru, input: InputShape([32, 20, 100], batchFirst: true)).explanation
        // Each lesson is one exact line of the explanation.
        XCTAssertTrue(lines.contains("output (32, 20, 512) = (batch, seq, 2·hidden_size = 2·256 = 512): the last layer's h at every step, forward and reverse concatenated on the last axis — output[:, t, :256] is the forward direction, output[:, t, 256:] the reverse one; that is where 2·hidden_size comes from"), "\(lines)")
        XCTAssertTrue(lines.contains("h_n (4, 32, 256) = (num_layers·directions = 2·2, batch, hidden_size): the final h of every layer and direction; batch_first never applies to h_n (or c_n): batch is always dimension 1"), "\(lines)")
        XCTAssertTrue(lines.contains("h_n rows are layer-major: h_n[0] = layer 0 forward, h_n[1] = layer 0 reverse, h_n[2] = layer 1 forward, h_n[3] = layer 1 reverse; h_n.view(2, 2, batch, 256) separates layers and directions"), "\(lines)")
        XCTAssertTrue(lines.contains("h_n[2] == output[:, -1, :256]: the forward direction ends at the last step"), "\(lines)")
        XCTAssertTrue(lines.contains("h_n[3] == output[:, 0, 256:]: the reverse direction runs from the last step back to the first, so it ends at step 0"), "\(lines)")
        XCTAssertTrue(lines.contains("with a packed batch (pack_padded_sequence with lengths), each sequence b stops at its own length: the forward row equals output at step lengths[b]−1, not −1, the reverse row still equals step 0, and output is zero after each sequence's length"), "\(lines)")
        let seqFirst = try ShapeFlow(architecture: gru, input: InputShape([20, 32, 100])).explanation
        XCTAssertTrue(seqFirst.contains("h_n[2] == output[-1, :, :256]: the forward direction ends at the last step"), "\(seqFirst)")
        XCTAssertTrue(seqFirst.contains("h_n[3] == output[0, :, 256:]: the reverse direction runs from the last step back to the first, so it ends at step 0"), "\(seqFirst)")
    }

    func testExplanationOfProjectionAndCellState() throws {
        let lstm = RNNArchitecture(mode: .lstm, inputSize: 5, hiddenSize: 8, projSize: 3)
        let lines = try ShapeFlow(architecture: lstm, input: InputShape([7, 2, 5])).explanation
        XCTAssertTrue(lines.contains("proj_size=3: each step's h is weight_hr (3×8) · (o ⊙ tanh(c)), so h, output (1·3) and h_n are 3 wide, weight_hh is (32, 3) because it reads the projected h, and c_n keeps hidden_size 8"), "\(lines)")
        XCTAssertTrue(lines.contains("c_n (1, 2, 8) = (num_layers·directions, batch, hidden_size): the final cell state of every layer and direction, rows ordered like h_n; c never appears in output"), "\(lines)")
        XCTAssertTrue(lines.contains("h_n[0] == output[-1]: the last layer's h at the last step"), "\(lines)")
    }
}
