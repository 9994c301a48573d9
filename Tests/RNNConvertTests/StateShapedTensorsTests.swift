@testable import RNNConvert
import TensorFiles
import XCTest

/// `ModelSource.noteStateShapedTensors` and `rename`: which tensors are
/// taken for a recurrent module's initial state stored around it, and a
/// rename making one the module's stored state.
final class StateShapedTensorsTests: XCTestCase {
    private func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape, floats: Array(repeating: 0, count: shape.reduce(1, *))) }

    /// A 2-layer LSTM `model.lstm` (hidden 5, input 4) and `extra` beside it.
    private func source(_ extra: [(String, [Int])]) -> ModelSource {
        var tensors: [NamedTensor] = []
        for layer in 0 ..< 2 {
            tensors.append(NamedTensor(name: "model.lstm.weight_ih_l\(layer)", tensor: zeros([20, layer == 0 ? 4 : 5])))
            tensors.append(NamedTensor(name: "model.lstm.weight_hh_l\(layer)", tensor: zeros([20, 5])))
        }
        tensors += extra.map { NamedTensor(name: $0.0, tensor: zeros($0.1)) }
        var source = ModelSource(path: "file.pt", format: .pytorch, tensors: tensors)
        source.readStoredTensors()
        source.noteStateShapedTensors()
        return source
    }

    private func noted(_ source: ModelSource) -> [String] {
        (source.hints["model.lstm"]?.notes ?? []).compactMap { note in
            if case .stateShapedTensor(let name, _, let stored) = note { return "\(name)→\(stored)" }
            return nil
        }
    }

    func testStateShapedTensorsAroundTheModuleAreNoted() {
        let found = noted(source([("model.h0", [2, 1, 5]), ("init_cell", [2, 3, 5]), ("model.lstm.hidden", [2, 1, 5])]))
        XCTAssertEqual(Set(found), ["model.h0→model.lstm.h0", "init_cell→model.lstm.c0", "model.lstm.hidden→model.lstm.h0"])
    }

    func testOtherTensorsAreNot() {
        let found = noted(source([
            ("decoder.h0", [2, 1, 5]),       // a sibling module's
            ("model.h_n", [2, 1, 5]),        // a final state kept as an expected output
            ("model.conv.weight", [2, 7, 5]), // a Conv1d(7, 2, kernel_size=5)
            ("model.bias", [2, 1, 4]),       // another width
            ("model.table", [3, 1, 5]),      // another number of layers
            ("model.embedding", [10, 5]),    // not three axes
        ]))
        XCTAssertEqual(found, [])
        // The module's own stored state is read as such, and then nothing of its kind around it is noted.
        let stored = source([("model.lstm.h0", [2, 1, 5]), ("model.h0", [2, 1, 5])])
        XCTAssertEqual(noted(stored), [])
        XCTAssertNotNil(stored.hints["model.lstm"]?.storedState?.h0)
    }

    func testARenameMakesItTheStoredState() throws {
        var renamed = source([("model.h0", [2, 1, 5]), ("model.c0", [2, 1, 5])])
        XCTAssertEqual(noted(renamed).count, 2)
        try renamed.rename([.init(old: "model.h0", new: "model.lstm.h0")])
        XCTAssertNotNil(renamed.hints["model.lstm"]?.storedState?.h0)
        XCTAssertNil(renamed.hints["model.lstm"]?.storedState?.c0)
        XCTAssertEqual(noted(renamed), ["model.c0→model.lstm.c0"])  // c0 still starts from zeros
        XCTAssertTrue(renamed.tensors.contains { $0.name == "model.lstm.h0" })
    }
}
