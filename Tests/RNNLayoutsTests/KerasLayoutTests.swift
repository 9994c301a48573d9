import Foundation
import TensorFiles
import XCTest
@testable import RNNLayouts

final class KerasLayoutTests: XCTestCase {
    /// Read through both gate-name tables, the permutation pairs every Keras
    /// gate with the PyTorch gate of the same role (Keras's LSTM cell
    /// candidate is `c` where PyTorch says `g`; GRU's candidate `h` is PyTorch's `n`).
    func testPermutationPairsGatesOfTheSameRole() {
        let sameRole: [RNNMode: [String: String]] = [
            .lstm: ["i": "i", "f": "f", "c": "g", "o": "o"],
            .gru: ["z": "z", "r": "r", "h": "n"],
            .rnn: ["h": "h"],
        ]
        for mode in RNNMode.allCases {
            let taken = KerasLayout.pytorchBlock(forKerasBlock: mode).map { mode.gateNames[$0] }
            XCTAssertEqual(taken, KerasLayout.gateNames(mode).map { sameRole[mode]?[$0] ?? "?" }, "\(mode)")
            XCTAssertEqual(Set(KerasLayout.pytorchBlock(forKerasBlock: mode)), Set(0 ..< mode.gateCount))
        }
    }

    /// Each element of a PyTorch weight holds its (block, row-in-block,
    /// column) coordinates as bytes, so the test reads where each one went.
    private func labelled(_ mode: RNNMode, hidden: Int, columns: Int) throws -> Tensor {
        var bytes: [UInt8] = []
        for block in 0 ..< mode.gateCount {
            for row in 0 ..< hidden {
                for column in 0 ..< columns { bytes += [UInt8(block), UInt8(row), UInt8(column), 0] }
            }
        }
        return try Tensor(dtype: .float32, shape: [mode.gateCount * hidden, columns], data: Data(bytes))
    }

    func testKernelIsTheTransposeWithGateColumnsReordered() throws {
        let hidden = 3, columns = 5
        for mode in RNNMode.allCases {
            let weight = try labelled(mode, hidden: hidden, columns: columns)
            let parameters = KerasLayout.Parameters(weightIH: weight, weightHH: weight, biases: nil)
            let variables = try KerasLayout.kerasVariables(parameters, mode: mode)
            XCTAssertEqual(variables.kernel.shape, [columns, mode.gateCount * hidden])
            XCTAssertNil(variables.bias)
            let kernel = [UInt8](try variables.kernel.data())
            let order = KerasLayout.pytorchBlock(forKerasBlock: mode)
            for column in 0 ..< columns {
                for kerasBlock in 0 ..< mode.gateCount {
                    for row in 0 ..< hidden {
                        let offset = (column * mode.gateCount * hidden + kerasBlock * hidden + row) * 4
                        XCTAssertEqual(Array(kernel[offset ..< offset + 3]), [UInt8(order[kerasBlock]), UInt8(row), UInt8(column)], "\(mode)")
                    }
                }
            }
            let back = try KerasLayout.pytorchParameters(variables, mode: mode)
            XCTAssertEqual(try back.weightIH.data(), try weight.data(), "\(mode) round trip")
            XCTAssertNil(back.biases)
        }
    }

    func testGRUBiasRowsAndMergedBiases() throws {
        let hidden = 2
        func bias(_ mode: RNNMode, _ seed: Float) -> Tensor {
            Tensor(shape: [mode.gateCount * hidden], floats: (0 ..< mode.gateCount * hidden).map { Float($0) + seed })
        }
        let gru = KerasLayout.Parameters(weightIH: try labelled(.gru, hidden: hidden, columns: 1),
                                         weightHH: try labelled(.gru, hidden: hidden, columns: hidden),
                                         biases: (bias(.gru, 0.25), bias(.gru, 100.5)))
        let variables = try KerasLayout.kerasVariables(gru, mode: .gru)
        let keras = try XCTUnwrap(variables.bias)
        XCTAssertEqual(keras.shape, KerasLayout.biasShape(RNNArchitecture(mode: .gru, inputSize: 1, hiddenSize: hidden)))
        let rows = try keras.floats()
        let ih = try bias(.gru, 0.25).floats(), hh = try bias(.gru, 100.5).floats()
        // Row 0 is bias_ih, row 1 bias_hh, each in z, r, h order: z is PyTorch's block 1.
        XCTAssertEqual(Array(rows[0 ..< hidden]), Array(ih[hidden ..< 2 * hidden]))
        XCTAssertEqual(Array(rows[3 * hidden ..< 4 * hidden]), Array(hh[hidden ..< 2 * hidden]))
        let back = try KerasLayout.pytorchParameters(variables, mode: .gru)
        XCTAssertEqual(try back.biases?.ih.floats(), ih)
        XCTAssertEqual(try back.biases?.hh.floats(), hh)

        for mode in [RNNMode.lstm, .rnn] {
            let weight = try labelled(mode, hidden: hidden, columns: hidden)
            let parameters = KerasLayout.Parameters(weightIH: weight, weightHH: weight, biases: (bias(mode, 0.25), bias(mode, 100.5)))
            let merged = try XCTUnwrap(try KerasLayout.kerasVariables(parameters, mode: mode).bias)
            XCTAssertEqual(merged.shape, [mode.gateCount * hidden])
            XCTAssertEqual(try merged.floats(), zip(try bias(mode, 0.25).floats(), try bias(mode, 100.5).floats()).map { $0 + $1 })
            let split = try KerasLayout.pytorchParameters(KerasLayout.Variables(kernel: weight, recurrentKernel: weight, bias: merged), mode: mode)
            XCTAssertEqual(try split.biases?.ih.data(), try merged.data(), "\(mode): bias_ih = merged")
            XCTAssertEqual(try split.biases?.hh.floats(), [Float](repeating: 0, count: mode.gateCount * hidden), "\(mode): bias_hh = 0")
        }
    }

    func testNamesShapesAndRefusals() {
        XCTAssertEqual(RNNMode.allCases.map(KerasLayout.layerClass), ["SimpleRNN", "GRU", "LSTM"])
        XCTAssertEqual(RNNMode.allCases.map(KerasLayout.cellName), ["simple_rnn_cell", "gru_cell", "lstm_cell"])
        XCTAssertEqual(KerasLayout.mode(ofLayerClass: "SimpleRNN"), .rnn)
        XCTAssertNil(KerasLayout.mode(ofLayerClass: "ConvLSTM1D"))
        // Keras's to_snake_case on class names (its weight paths).
        XCTAssertEqual(["Bidirectional", "LSTM", "SimpleRNN", "GRUCell", "Conv1D", "MyRNNLayer"].map(KerasLayout.snakeCase),
                       ["bidirectional", "lstm", "simple_rnn", "gru_cell", "conv1d", "my_rnn_layer"])
        let lstm = RNNArchitecture(mode: .lstm, inputSize: 5, hiddenSize: 8, numLayers: 2, bidirectional: true)
        XCTAssertEqual(KerasLayout.kernelShape(lstm, layer: 0), [lstm.inputSize, lstm.gateRows])
        XCTAssertEqual(KerasLayout.kernelShape(lstm, layer: 1), [lstm.outputSize, lstm.gateRows])
        XCTAssertEqual(KerasLayout.recurrentKernelShape(lstm), [lstm.hiddenSize, lstm.gateRows])
        XCTAssertEqual(KerasLayout.biasShape(lstm), [lstm.gateRows])
    }
}
