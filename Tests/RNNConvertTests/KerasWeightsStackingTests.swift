import Foundation
import RNNLayouts
import TensorFiles
import XCTest
@testable import RNNConvert

/// A Keras 3 `.weights.h5` file alone does not record the order of its
/// layers: two recurrent layers are stacked into one module only when no
/// other weighted layer of the file (a `Dense`, a `LayerNormalization`) could
/// sit between them. Keras 3.15 wrote `LSTM → Dense(5) → LSTM` as groups
/// `lstm`, `dense`, `lstm_1`; rnnkit stacked the two LSTMs straight across the
/// Dense and ran them with exit 0 (0.47 from Keras).
final class KerasWeightsStackingTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnnkit-keras-stacking-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// A weights file of two LSTM(5) layers on 4 features (`lstm`, `lstm_1`)
    /// and the other weighted layers `others` (group name → variable shapes).
    private func weightsFile(_ others: [String: [[Int]]]) throws -> String {
        let path = folder.appendingPathComponent("\(UUID().uuidString).weights.h5").path
        func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape, floats: [Float](repeating: 0.1, count: shape.reduce(1, *))) }
        try HDF5Writer.write(to: path) { writer in
            for (group, input) in [("lstm", 4), ("lstm_1", 5)] {
                try writer.writeDataset("layers/\(group)/cell/vars/0", zeros([input, 20]))
                try writer.writeDataset("layers/\(group)/cell/vars/1", zeros([5, 20]))
                try writer.writeDataset("layers/\(group)/cell/vars/2", zeros([20]))
            }
            for (group, shapes) in others {
                for (index, shape) in shapes.enumerated() { try writer.writeDataset("layers/\(group)/vars/\(index)", zeros(shape)) }
            }
        }
        return path
    }

    private func modules(_ path: String) throws -> [String: RNNArchitecture] {
        let source = try ModelSource.open(path)
        return Dictionary(uniqueKeysWithValues: Inspector.inspect(source.tensors).modules.map { ($0.name, $0.architecture) })
    }

    func testLayersAWeightedLayerCouldSitBetweenAreEachTheirOwnModule() throws {
        // Dense(5) on 5 features, LayerNormalization(5), Conv1D(kernel 3, 5 → 5): each could sit between.
        for others in [["dense": [[5, 5], [5]]], ["layer_normalization": [[5], [5]]], ["conv1d": [[3, 5, 5], [5]]]] {
            let path = try weightsFile(others)
            let found = try modules(path)
            XCTAssertEqual(Set(found.keys), ["lstm", "lstm_1"], "\(others)")
            XCTAssertEqual(found["lstm"]?.numLayers, 1)
            let hints = try ModelSource.open(path).hints
            XCTAssertTrue(hints["lstm"]?.notes.contains(.layersUnordered) == true, "\(others)")
        }
    }

    func testLayersNothingCouldSitBetweenStack() throws {
        // A classifier head Dense(10), an Embedding(50, 4) before: neither maps 5 features to 5.
        for others in [[:], ["dense": [[5, 10], [10]]], ["embedding": [[50, 4]]]] {
            let found = try modules(try weightsFile(others))
            XCTAssertEqual(Array(found.keys), [""], "\(others)")
            XCTAssertEqual(found[""]?.numLayers, 2, "\(others)")
        }
    }
}
