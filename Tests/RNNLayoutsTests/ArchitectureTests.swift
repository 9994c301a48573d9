import XCTest
@testable import RNNLayouts

/// The PyTorch-facing descriptions of an architecture.
final class ArchitectureTests: XCTestCase {
    func testConstructorCallNamesNonDefaultsAndUnknowns() {
        let lstm = RNNArchitecture(mode: .lstm, inputSize: 5, hiddenSize: 8, numLayers: 2, bidirectional: true)
        XCTAssertEqual(lstm.pytorchConstructor,
                       "nn.LSTM(input_size=5, hidden_size=8, num_layers=2, bidirectional=True, batch_first=?)")
        let rnn = RNNArchitecture(mode: .rnn, inputSize: 4, hiddenSize: 3, bias: false, dtype: .float64)
        XCTAssertEqual(rnn.pytorchConstructor,
                       "nn.RNN(input_size=4, hidden_size=3, bias=False, nonlinearity=?, batch_first=?, dtype=torch.float64)")
        let cell = RNNArchitecture(mode: .gru, kind: .cell, inputSize: 4, hiddenSize: 3)
        XCTAssertEqual(cell.pytorchConstructor, "nn.GRUCell(input_size=4, hidden_size=3)")
        let projected = RNNArchitecture(mode: .lstm, inputSize: 4, hiddenSize: 6, projSize: 2)
        XCTAssertTrue(projected.pytorchConstructor.contains("proj_size=2"))
    }

    func testUnstoredSettingsSayWhatWeightsCannotTell() {
        let rnn = RNNArchitecture(mode: .rnn, inputSize: 4, hiddenSize: 3, numLayers: 2)
        XCTAssertEqual(rnn.unstoredSettings.map(\.name), ["nonlinearity", "batch_first", "dropout"])
        XCTAssertTrue(rnn.unstoredSettings[0].reason.contains("relu"))
        let cell = RNNArchitecture(mode: .lstm, kind: .cell, inputSize: 4, hiddenSize: 3)
        XCTAssertEqual(cell.unstoredSettings.map(\.name), [])
        let gru = RNNArchitecture(mode: .gru, inputSize: 4, hiddenSize: 3)
        XCTAssertEqual(gru.unstoredSettings.map(\.name), ["batch_first"])
    }

    func testShapeReasonNamesTheQuantitiesThatFixEachDimension() {
        var lstm = RNNArchitecture(mode: .lstm, inputSize: 5, hiddenSize: 8, projSize: 3, numLayers: 2, bidirectional: true)
        let gates = ShapeReason.Quantity.gates(.lstm, hiddenSize: 8)
        XCTAssertEqual(lstm.shapeReason(of: ParameterName(.weightIH, layer: 0)), .matrix(rows: gates, columns: .inputSize(5)))
        XCTAssertEqual(lstm.shapeReason(of: ParameterName(.weightIH, layer: 1, reverse: true)),
                       .matrix(rows: gates, columns: .layerOutput(layer: 0, directions: 2, stateSize: 3, merge: nil)))
        XCTAssertEqual(lstm.shapeReason(of: ParameterName(.weightHH, layer: 0)), .matrix(rows: gates, columns: .projSize(3)))
        XCTAssertEqual(lstm.shapeReason(of: ParameterName(.biasHH, layer: 1)), .biasPerRow(gates))
        XCTAssertEqual(lstm.shapeReason(of: ParameterName(.weightHR, layer: 0)), .projection(hiddenSize: 8, projSize: 3))
        lstm.variant.merge = .sum
        let merged = lstm.shapeReason(of: ParameterName(.weightIH, layer: 1))
        XCTAssertEqual(merged, .matrix(rows: gates, columns: .layerOutput(layer: 0, directions: 2, stateSize: 3, merge: .sum)))
        XCTAssertEqual("\(merged)", "rows = 4 gate blocks (i, f, g, o) × hidden_size 8; "
            + "columns = layer 0's output width 3 (2 directions × 3, merged by sum)")
        let gru = RNNArchitecture(mode: .gru, kind: .cell, inputSize: 4, hiddenSize: 3)
        XCTAssertEqual(gru.shapeReason(of: ParameterName(.weightHH, layer: nil)),
                       .matrix(rows: .gates(.gru, hiddenSize: 3), columns: .hiddenSize(3)))
    }

    func testGateLayoutFollowsPyTorchRowOrder() {
        let lstm = RNNArchitecture(mode: .lstm, inputSize: 5, hiddenSize: 8)
        XCTAssertEqual(lstm.gateLayout, "i 0–7 | f 8–15 | g 16–23 | o 24–31")
        XCTAssertEqual(RNNMode.gru.gateNames, ["r", "z", "n"])
    }

    func testGRUEquationUsesPyTorchsUpdateConvention() {
        // PyTorch: h' = (1 − z) ⊙ n + z ⊙ h (z keeps the old state).
        let update = RNNMode.gru.equations.last ?? ""
        XCTAssertTrue(update.hasPrefix("h' = (1 − z) ⊙ n + z ⊙ h"), update)
    }

    func testStepEquationsShowTheProjectionOnlyWhenThereIsOne() {
        let plain = RNNArchitecture(mode: .lstm, inputSize: 4, hiddenSize: 6)
        let projected = RNNArchitecture(mode: .lstm, inputSize: 4, hiddenSize: 6, projSize: 2)
        XCTAssertEqual(plain.stepEquations.last, "h' = o ⊙ tanh(c')")
        XCTAssertTrue(projected.stepEquations.last?.hasPrefix("h' = W_hr (o ⊙ tanh(c'))") ?? false)
        XCTAssertEqual(plain.stepEquations.count, projected.stepEquations.count)
    }

    func testExpectedShapesFollowPyTorch() {
        let lstm = RNNArchitecture(mode: .lstm, inputSize: 10, hiddenSize: 20, projSize: 5, numLayers: 2, bidirectional: true)
        XCTAssertEqual(lstm.expectedShape(of: ParameterName(.weightIH, layer: 0)), [80, 10])
        XCTAssertEqual(lstm.expectedShape(of: ParameterName(.weightIH, layer: 1)), [80, 10])
        XCTAssertEqual(lstm.expectedShape(of: ParameterName(.weightHH, layer: 1, reverse: true)), [80, 5])
        XCTAssertEqual(lstm.expectedShape(of: ParameterName(.weightHR, layer: 0)), [5, 20])
        XCTAssertEqual(lstm.parameterNames.count, 2 * 2 * 5)
    }
}
