import Foundation
import TensorFiles
import XCTest
@testable import RNNLayouts

/// A recurrent weight that a state dict holds in another form (the names
/// `torch.nn.utils` leaves: parametrizations, weight_norm, pruning,
/// WeightDrop) is still missing, and the problem says how it is stored and
/// how to save the plain weight.
final class StoredFormTests: XCTestCase {
    private let lstm = RNNArchitecture(mode: .lstm, inputSize: 4, hiddenSize: 5, numLayers: 2)

    /// The module `encoder.rnn` with `weight` replaced by `stored` (names after the module prefix).
    private func inspect(removing weight: String, adding stored: [String]) -> Inspection {
        var tensors = TestTensors.replacing("encoder.rnn.\(weight)", with: nil, in: TestTensors.module(lstm, named: "encoder.rnn"))
        tensors += stored.map { NamedTensor(name: "encoder.rnn.\($0)", tensor: TestTensors.zeros([20, 5])) }
        return Inspector.inspect(tensors)
    }

    private func problem(_ inspection: Inspection, _ tensor: String) throws -> Problem {
        try XCTUnwrap(inspection.problems.first { $0.tensor == tensor }, "\(inspection.problems)")
    }

    func testEachFormIsNamedWithItsRemedy() throws {
        let cases: [(weight: String, stored: [String], form: StoredForm, words: String)] = [
            ("weight_hh_l1", ["parametrizations.weight_hh_l1.original0", "parametrizations.weight_hh_l1.original1"],
             .parametrization(tensor: "encoder.rnn.weight_hh_l1", names: ["encoder.rnn.parametrizations.weight_hh_l1.original0",
                                                                         "encoder.rnn.parametrizations.weight_hh_l1.original1"]),
             "remove_parametrizations(module, 'weight_hh_l1')"),
            ("weight_hh_l1", ["weight_hh_l1_g", "weight_hh_l1_v"],
             .weightNorm(tensor: "encoder.rnn.weight_hh_l1", g: "encoder.rnn.weight_hh_l1_g", v: "encoder.rnn.weight_hh_l1_v"),
             "remove_weight_norm(module, 'weight_hh_l1')"),
            ("weight_ih_l1", ["weight_ih_l1_orig", "weight_ih_l1_mask"],
             .pruned(tensor: "encoder.rnn.weight_ih_l1", original: "encoder.rnn.weight_ih_l1_orig", mask: "encoder.rnn.weight_ih_l1_mask"),
             "prune.remove(module, 'weight_ih_l1')"),
            ("weight_hh_l1", ["weight_hh_l1_raw"],
             .weightDrop(tensor: "encoder.rnn.weight_hh_l1", raw: "encoder.rnn.weight_hh_l1_raw"),
             "rename encoder.rnn.weight_hh_l1_raw to encoder.rnn.weight_hh_l1"),
        ]
        for (weight, stored, form, words) in cases {
            let found = try problem(inspect(removing: weight, adding: stored), "encoder.rnn.\(weight)")
            XCTAssertEqual(found.storedAs, form, weight)
            XCTAssertTrue(found.message.hasPrefix("missing"), found.message)
            XCTAssertTrue(found.message.contains(words), found.message)
        }
    }

    func testAWeightNeededToInferTheModuleSaysHowItIsStored() throws {
        // A one-layer module without weight_hh_l0 cannot be inferred: the module-wide problem carries the form too.
        let single = RNNArchitecture(mode: .lstm, inputSize: 4, hiddenSize: 5)
        var tensors = TestTensors.replacing("weight_hh_l0", with: nil, in: TestTensors.module(single))
        tensors += ["parametrizations.weight_hh_l0.original", "parametrizations.weight_hh_l0.0.base"].map {
            NamedTensor(name: $0, tensor: TestTensors.zeros([20, 5]))
        }
        let inspection = Inspector.inspect(tensors)
        XCTAssertTrue(inspection.modules.isEmpty)
        let found = try problem(inspection, "weight_hh_l0")
        XCTAssertEqual(found.storedAs, .parametrization(tensor: "weight_hh_l0",
                                                        names: ["parametrizations.weight_hh_l0.0.base", "parametrizations.weight_hh_l0.original"]))
        XCTAssertTrue(found.message.contains("to infer hidden_size and the mode; the file stores it as a torch parametrization"), found.message)
    }

    func testOnlyTheMissingTensorsOwnFormsCount() throws {
        // Another module's parametrization, half a weight_norm pair, or a present weight: no form.
        let inspection = inspect(removing: "weight_hh_l1", adding: ["weight_hh_l1_g", "weight_hh_l0_raw"])
        XCTAssertNil(try problem(inspection, "encoder.rnn.weight_hh_l1").storedAs)
        XCTAssertNil(StoredForm.find("decoder.weight_hh_l0", in: ["encoder.parametrizations.weight_hh_l0.original0"]))
        XCTAssertNil(StoredForm.find("weight_hh_l0", in: ["encoder.weight_hh_l0_raw"]))
        XCTAssertTrue(Inspector.inspect(TestTensors.module(lstm)).problems.allSatisfy { $0.storedAs == nil })
    }
}
