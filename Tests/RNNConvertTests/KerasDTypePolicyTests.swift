import Foundation
import TensorFiles
import XCTest
@testable import RNNConvert

/// How rnnkit reads a Keras layer's dtype policy from its config, in every
/// form Keras versions write it, and which module each policy reaches.
final class KerasDTypePolicyTests: XCTestCase {
    private func object(_ className: String, _ name: String) -> [String: Any] {
        ["module": "keras", "class_name": className, "config": ["name": name], "registered_name": NSNull()]
    }

    func testFullPrecisionPoliciesAndNoneAreNotReduced() {
        for value: Any? in [nil, NSNull(), "float32", "float64", object("DTypePolicy", "float32"),
                            object("Policy", "float32"), object("FloatDTypePolicy", "float64")] {
            XCTAssertNil(KerasDTypePolicy.reduced(value, layer: "lstm"), "\(String(describing: value))")
        }
    }

    func testReducedPoliciesInEveryForm() {
        let cases: [(Any, String, DType)] = [
            ("float16", "float16", .float16), ("bfloat16", "bfloat16", .bfloat16),
            (object("DTypePolicy", "mixed_float16"), "mixed_float16", .float16),           // Keras 3
            (object("FloatDTypePolicy", "mixed_bfloat16"), "mixed_bfloat16", .bfloat16),   // Keras 3.0–3.3
            (object("Policy", "mixed_float16"), "mixed_float16", .float16),                // tf.keras 2
            (object("QuantizedDTypePolicy", "int8_from_mixed_bfloat16"), "int8_from_mixed_bfloat16", .bfloat16),
        ]
        for (value, policy, compute) in cases {
            XCTAssertEqual(KerasDTypePolicy.reduced(value, layer: "gru"), ReducedPrecision(layer: "gru", policy: policy, compute: compute))
        }
    }

    func testUnknownPoliciesAreReducedWithoutAComputeType() {
        XCTAssertEqual(KerasDTypePolicy.reduced("mixed_float8", layer: "l"), ReducedPrecision(layer: "l", policy: "mixed_float8", compute: nil))
        XCTAssertEqual(KerasDTypePolicy.reduced(["class_name": "Custom"], layer: "l")?.compute, nil)
        XCTAssertNotNil(KerasDTypePolicy.reduced(["class_name": "Custom"], layer: "l"))
        XCTAssertNotNil(KerasDTypePolicy.reduced(7, layer: "l"))
    }

    func testBidirectionalTakesItsWrappedLayersPolicy() {
        let config: [String: Any] = ["name": "bi", "dtype": "float32",
                                     "layer": ["class_name": "LSTM", "config": ["dtype": object("DTypePolicy", "mixed_float16")]]]
        XCTAssertEqual(KerasDTypePolicy.reduced(ofLayer: config, className: "Bidirectional", name: "bi")?.policy, "mixed_float16")
        XCTAssertNil(KerasDTypePolicy.reduced(ofLayer: config, className: "LSTM", name: "bi"))
    }

    func testAFloat16InputLayerRoundsTheInput() {
        var flow = KerasPrecisionFlow()
        XCTAssertEqual(flow.reaching(["dtype": "float16"], className: "InputLayer", name: "x")?.compute, .float16)
        XCTAssertEqual(flow.reaching(["dtype": "float32"], className: "LSTM", name: "lstm")?.layer, "x")
    }

    func testAnEarlierLayersPolicyReachesTheLayersAfterIt() {
        var flow = KerasPrecisionFlow()
        XCTAssertNil(flow.reaching(["dtype": "float32"], className: "InputLayer", name: "input"))
        XCTAssertNil(flow.reaching(["dtype": "int32"], className: "InputLayer", name: "tokens"))  // token ids, no policy
        let masking = flow.reaching(["dtype": "mixed_float16"], className: "Masking", name: "masking")
        XCTAssertEqual(masking?.layer, "masking")
        XCTAssertEqual(flow.reaching(["dtype": "float32"], className: "LSTM", name: "lstm")?.layer, "masking")
        XCTAssertEqual(flow.reaching(["dtype": "bfloat16"], className: "GRU", name: "gru")?.layer, "gru")
    }

    func testModelSourceRecordsThePolicyOfEachFixture() throws {
        let root = KerasFixtureTests.root.deletingLastPathComponent().appendingPathComponent("keras_precision")
        let names = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { !$0.hasSuffix(".md") }
        XCTAssertGreaterThanOrEqual(names.count, 5)
        for name in names {
            let sidecar = try XCTUnwrap(JSONSerialization.jsonObject(
                with: Data(contentsOf: root.appendingPathComponent("\(name)/precision.json"))) as? [String: Any])
            let source = try ModelSource.open(root.appendingPathComponent("\(name)/model.keras").path)
            let hints = try XCTUnwrap(source.hints.values.first, name)
            XCTAssertEqual(hints.reducedPrecision?.policy, sidecar["policy"] as? String, name)
            XCTAssertNotNil(hints.reducedPrecision?.compute, name)
        }
        // The float32 models Keras saved record none.
        let plain = try ModelSource.open(KerasFixtureTests.root.appendingPathComponent("masking_lstm/model.keras").path)
        XCTAssertTrue(plain.hints.values.allSatisfy { $0.reducedPrecision == nil })
    }
}
