import TensorFiles
import XCTest
@testable import RNNLayouts

/// Entries a file holds under a module's parameter names but its reader
/// could not read (`UnreadableTensor`): the module is inferred with them (its
/// layers, directions and bias as the names show) and each is its problem,
/// so the engine and the exporters refuse it; other entries change nothing.
final class UnreadableTensorTests: XCTestCase {
    private let lstm = RNNArchitecture(mode: .lstm, inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true)

    private func without(_ names: [String], module: String = "enc") -> ([NamedTensor], [UnreadableTensor]) {
        let all = TestTensors.module(lstm, named: module)
        let kept = all.filter { named in !names.contains { "\(module).\($0)" == named.name } }
        return (kept, names.map { UnreadableTensor(name: "\(module).\($0)", why: "F8_E4M3 tensor (dtype not supported by rnnkit)") })
    }

    func testUnreadableBiasesKeepTheBiasAndAreProblems() throws {
        let (tensors, unreadable) = without(["bias_ih_l0", "bias_hh_l0"])
        let inspection = Inspector.inspect(tensors, unreadable: unreadable)
        XCTAssertEqual(inspection.modules.map(\.architecture), [lstm])
        XCTAssertEqual(inspection.problems.map(\.tensor), ["enc.bias_ih_l0", "enc.bias_hh_l0"])
        XCTAssertEqual(inspection.problems.first?.moduleProblem,
                       .unreadableTensor(tensor: "enc.bias_ih_l0", why: "F8_E4M3 tensor (dtype not supported by rnnkit)"))
        let module = try XCTUnwrap(inspection.modules.first)
        XCTAssertThrowsError(try ModuleValidation.check(module))
        // Without the record, a one-layer module without its biases reads as bias=False and passes.
        let one = RNNArchitecture(mode: .gru, inputSize: 3, hiddenSize: 4)
        let plain = TestTensors.module(one).filter { !$0.name.hasPrefix("bias") }
        XCTAssertFalse(try XCTUnwrap(Inspector.inspect(plain).modules.first).architecture.bias)
        let recorded = Inspector.inspect(plain, unreadable: [UnreadableTensor(name: "bias_ih_l0", why: "list")])
        XCTAssertTrue(try XCTUnwrap(recorded.modules.first).architecture.bias)
        XCTAssertEqual(recorded.problems.compactMap(\.tensor), ["bias_ih_l0", "bias_hh_l0"])
    }

    func testAnUnreadableLayerKeepsTheLayerCount() throws {
        let names = ["weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"].flatMap { [$0, $0 + "_reverse"] }
        let (tensors, unreadable) = without(names)
        let inspection = Inspector.inspect(tensors, unreadable: unreadable)
        XCTAssertEqual(inspection.modules.first?.architecture.numLayers, 2)
        XCTAssertEqual(Set(inspection.problems.compactMap(\.tensor)), Set(names.map { "enc.\($0)" }))
    }

    func testEntriesOfNoModuleAndOtherNamesAreHandled() {
        let tensors = TestTensors.module(lstm, named: "enc")
        // A module whose every tensor is unreadable: no module, but the problems say why.
        let lost = Inspector.inspect(tensors, unreadable: [UnreadableTensor(name: "dec.weight_ih_l0", why: "external link")])
        XCTAssertEqual(lost.modules.count, 1)
        XCTAssertEqual(lost.problems.map(\.tensor), ["dec.weight_ih_l0"])
        // Entries not named like a parameter are not recurrent tensors.
        XCTAssertEqual(UnreadableTensor.among([("epoch", "int 3"), ("enc", "module torch.nn.modules.rnn.LSTM"),
                                               ("enc.bias_hh_l0", "list with 16 items")]),
                       [UnreadableTensor(name: "enc.bias_hh_l0", why: "list with 16 items")])
    }
}
