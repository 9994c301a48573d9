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

    func testOrderIsPyTorchs() {
        let names = ["bias_hh_l1", "weight_ih_l1_reverse", "weight_hh_l0", "weight_hr_l0", "weight_ih_l0", "bias_ih_l0"]
            .compactMap { ParameterName(parsing: Substring($0)) }
        XCTAssertEqual(names.sorted().map(\.text),
                       ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "weight_hr_l0", "bias_hh_l1", "weight_ih_l1_reverse"])
    }

    func testTextRoundTrips() {
        for role in ParameterName.Role.allCases {
            for layer in [0, 3, 10] {
                for reverse in [false, true] {
                    let name = ParameterName(role, layer: layer, reverse: reverse)
                    XCTAssertEqual(ParameterName(parsing: Substring(name.text)), name)
                }
            }
        }
    }
}
