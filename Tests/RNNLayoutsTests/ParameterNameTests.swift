import XCTest
@testable import RNNLayouts

final class ParameterNameTests: XCTestCase {
    func testLayerAndCellForms() {
        XCTAssertEqual(ParameterName(parsing: "weight_ih_l0"), ParameterName(.weightIH, layer: 0))
        XCTAssertEqual(ParameterName(parsing: "bias_hh_l12_reverse"), ParameterName(.biasHH, layer: 12, reverse: true))
        XCTAssertEqual(ParameterName(parsing: "weight_hr_l1"), ParameterName(.weightHR, layer: 1))
        XCTAssertEqual(ParameterName(parsing: "weight_hh"), ParameterName(.weightHH, layer: nil))
        XCTAssertNil(ParameterName(parsing: "weight_hr"))
        XCTAssertNil(ParameterName(parsing: "weight_ih_l"))
        XCTAssertNil(ParameterName(parsing: "weight_ih_l01"))
        XCTAssertNil(ParameterName(parsing: "weight_ih_l0_rev"))
        XCTAssertNil(ParameterName(parsing: "weight"))
    }

    func testSplitModulePrefix() throws {
        let split = try XCTUnwrap(ParameterName.split("encoder.rnn.weight_hh_l1_reverse"))
        XCTAssertEqual(split.module, "encoder.rnn")
        XCTAssertEqual(split.parameter.text, "weight_hh_l1_reverse")
        XCTAssertEqual(ParameterName.split("bias_ih")?.module, "")
        XCTAssertNil(ParameterName.split("embedding.weight"))
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
