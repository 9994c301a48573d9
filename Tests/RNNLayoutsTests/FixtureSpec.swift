import Foundation
import TensorFiles
@testable import RNNLayouts

/// The parts of a fixture's `fixture.json` (see Fixtures/README.md) the
/// inspector is checked against: what PyTorch built and the shapes it returned.
struct FixtureSpec: Decodable {
    struct Flags: Decodable {
        var batchFirst: Bool
        enum CodingKeys: String, CodingKey { case batchFirst = "batch_first" }
    }

    struct Inputs: Decodable {
        var input: String
    }

    struct Module: Decodable {
        var name, mode, kind, dtype: String
        var inputSize, hiddenSize, numLayers, projSize, parameters: Int
        var bidirectional, bias: Bool

        enum CodingKeys: String, CodingKey {
            case name, mode, kind, dtype, parameters, bidirectional, bias
            case inputSize = "input_size", hiddenSize = "hidden_size", numLayers = "num_layers", projSize = "proj_size"
        }

        /// The architecture PyTorch reported, or nil if a field has no rnnkit counterpart.
        var architecture: RNNArchitecture? {
            guard let mode = RNNMode(rawValue: mode), let kind = ModuleKind(rawValue: kind),
                  let dtype = DType(rawValue: dtype) else { return nil }
            return RNNArchitecture(mode: mode, kind: kind, inputSize: inputSize, hiddenSize: hiddenSize,
                                   projSize: projSize, numLayers: numLayers, bidirectional: bidirectional,
                                   bias: bias, dtype: dtype)
        }
    }

    struct Shapes: Decodable {
        var output: [Int]
        var hN: [Int]
        var cN: [Int]?
        enum CodingKeys: String, CodingKey { case output, hN = "h_n", cN = "c_n" }
    }

    var weights: String
    var format: String
    var module: String
    var renames: [String]
    var flags: Flags
    var inputs: Inputs
    var modules: [Module]
    var otherTensors: [String]
    var shapes: Shapes

    enum CodingKeys: String, CodingKey {
        case weights, format, module, renames, flags, inputs, modules, shapes
        case otherTensors = "other_tensors"
    }

    /// The package's Fixtures folder.
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures")
    }

    /// Every fixture folder (a folder under Fixtures/ holding fixture.json, at
    /// any depth), by path.
    static func all() throws -> [(folder: URL, spec: FixtureSpec)] {
        let paths = (FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? [])
            .filter { $0 == "fixture.json" || $0.hasSuffix("/fixture.json") }.sorted()
        return try paths.compactMap { path in
            let manifest = root.appendingPathComponent(path)
            guard let data = FileManager.default.contents(atPath: manifest.path) else { return nil }
            return (manifest.deletingLastPathComponent(), try JSONDecoder().decode(FixtureSpec.self, from: data))
        }
    }
}
