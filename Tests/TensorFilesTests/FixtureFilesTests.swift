import Foundation
import XCTest
@testable import TensorFiles

/// The readers on the project's PyTorch and Keras fixtures (Fixtures/<name>/,
/// Fixtures/keras/): every file opens as the container it claims, holds the
/// parameters PyTorch counted, and every tensor's data can be read.
final class FixtureFilesTests: XCTestCase {
    private struct Fixture: Decodable {
        struct Module: Decodable { var parameters: Int }
        var weights: String
        var format: String
        var renames: [String]
        var modules: [Module]
        var other_tensors: [String]
        var shapes: [String: [Int]]
    }

    private let fixtures = FormatSamples.root.deletingLastPathComponent()

    func testEveryModuleFixtureReadsWithThePyTorchParameterCount() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: fixtures.path).sorted()
        var checked = 0
        for name in names {
            let folder = fixtures.appendingPathComponent(name)
            guard let json = try? Data(contentsOf: folder.appendingPathComponent("fixture.json")) else { continue }
            let fixture = try JSONDecoder().decode(Fixture.self, from: json)
            guard fixture.format != "pytorch" else { continue }
            let file = try TensorFile.open(folder.appendingPathComponent(fixture.weights).path)
            // The manifest names the family: npy for a folder of .npy, pytorch for both checkpoint formats.
            XCTAssertTrue(file.format.rawValue.hasPrefix(fixture.format), "\(name): \(file.format)")
            let renames = Dictionary(uniqueKeysWithValues: fixture.renames.map { rule -> (String, String) in
                let parts = rule.split(separator: "=", maxSplits: 1).map(String.init)
                return (parts[0], parts.count > 1 ? parts[1] : parts[0])
            })
            var parameters = 0
            for named in file.tensors {
                XCTAssertEqual(try named.tensor.data().count, named.tensor.byteCount, "\(name): \(named.name)")
                if !fixture.other_tensors.contains(renames[named.name] ?? named.name) {
                    parameters += named.tensor.elementCount
                }
            }
            XCTAssertEqual(parameters, fixture.modules.map(\.parameters).reduce(0, +), name)
            let expected = try NPZReader.read(path: folder.appendingPathComponent("expected.npz").path)
            for (output, shape) in fixture.shapes {
                XCTAssertEqual(expected.tensor(named: output)?.shape, shape, "\(name): \(output)")
            }
            let input = try NPYReader.read(path: folder.appendingPathComponent("input.npy").path).tensors[0].tensor
            XCTAssertTrue(input.dtype == .float32 || input.dtype == .float64, name)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 60)
    }

    func testKerasSavedWeightsListEveryDataset() throws {
        struct Description: Decodable {
            struct Dataset: Decodable { var path: String; var shape: [Int]; var dtype: String }
            var weights_h5_datasets: [Dataset]
        }
        let keras = fixtures.appendingPathComponent("keras")
        var checked = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: keras.path).sorted() {
            let folder = keras.appendingPathComponent(name)
            guard let json = try? Data(contentsOf: folder.appendingPathComponent("keras.json")) else { continue }
            let datasets = try JSONDecoder().decode(Description.self, from: json).weights_h5_datasets
            let file = try HDF5Reader.read(path: folder.appendingPathComponent("model.weights.h5").path)
            XCTAssertEqual(Set(file.tensors.map(\.name)), Set(datasets.map { $0.path.replacingOccurrences(of: "/", with: ".") }), name)
            for dataset in datasets {
                let tensor = try XCTUnwrap(file.tensor(named: dataset.path.replacingOccurrences(of: "/", with: ".")), name)
                XCTAssertEqual(tensor.shape, dataset.shape, "\(name): \(dataset.path)")
                XCTAssertEqual(tensor.dtype.rawValue, dataset.dtype, "\(name): \(dataset.path)")
                XCTAssertEqual(try tensor.data().count, tensor.byteCount)
            }
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 8)
    }
}
