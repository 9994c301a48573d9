import Foundation
import XCTest
@testable import RNNLayouts

final class ONNXLayoutTests: XCTestCase {
    /// The permutation, read through both gate-name tables, pairs every ONNX
    /// gate with the PyTorch gate of the same role (ONNX calls LSTM's cell
    /// candidate `c` where PyTorch says `g`, and GRU's candidate `h` where PyTorch says `n`).
    func testPermutationPairsGatesOfTheSameRole() {
        let sameRole: [RNNMode: [String: String]] = [
            .lstm: ["i": "i", "o": "o", "f": "f", "c": "g"],
            .gru: ["z": "z", "r": "r", "h": "n"],
            .rnn: ["h": "h"],
        ]
        for mode in RNNMode.allCases {
            let onnxNames = ONNXLayout.gateNames(mode)
            let taken = ONNXLayout.pytorchBlock(forONNXBlock: mode).map { mode.gateNames[$0] }
            XCTAssertEqual(taken, onnxNames.map { sameRole[mode]![$0]! }, "\(mode)")
            XCTAssertEqual(Set(ONNXLayout.pytorchBlock(forONNXBlock: mode)), Set(0 ..< mode.gateCount))
        }
    }

    func testReorderMovesWholeBlocksAndInverts() {
        for mode in RNNMode.allCases {
            let rows = 3
            // Each row holds its PyTorch block index and row, as bytes.
            let pytorch = Data((0 ..< mode.gateCount).flatMap { block in (0 ..< rows).flatMap { row in [UInt8(block), UInt8(row)] } })
            let onnx = ONNXLayout.pytorchToONNX(pytorch, mode: mode)
            let blockSize = rows * 2
            for (position, source) in ONNXLayout.pytorchBlock(forONNXBlock: mode).enumerated() {
                let block = onnx[(position * blockSize) ..< ((position + 1) * blockSize)]
                XCTAssertEqual(Array(block), Array(pytorch[(source * blockSize) ..< ((source + 1) * blockSize)]), "\(mode) block \(position)")
            }
            XCTAssertEqual(ONNXLayout.onnxToPyTorch(onnx, mode: mode), pytorch, "\(mode) round trip")
        }
    }

    func testOperatorShapes() {
        let lstm = RNNArchitecture(mode: .lstm, inputSize: 5, hiddenSize: 8, numLayers: 2, bidirectional: true)
        XCTAssertEqual(ONNXLayout.weightShape(lstm, layer: 0), [2, lstm.gateRows, lstm.inputSize])
        XCTAssertEqual(ONNXLayout.weightShape(lstm, layer: 1), [2, lstm.gateRows, lstm.outputSize])
        XCTAssertEqual(ONNXLayout.recurrenceShape(lstm), [2, lstm.gateRows, lstm.hiddenSize])
        XCTAssertEqual(ONNXLayout.biasShape(lstm), [2, 2 * lstm.gateRows])
        XCTAssertEqual(ONNXLayout.operatorName(.gru), "GRU")
        XCTAssertEqual(ONNXLayout.mode(ofOperator: "LSTM"), .lstm)
        XCTAssertNil(ONNXLayout.mode(ofOperator: "Scan"))
    }
}
