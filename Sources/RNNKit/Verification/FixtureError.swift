import RNNLayouts
import TensorFiles

/// A fixture folder or `fixture.json` that `verify` cannot use: the file
/// (or folder) concerned, the tensor when one is, and why. The CLI exits
/// with status 2.
package struct FixtureError: BadInputError, Equatable, Sendable {
    /// The file or folder concerned, as the user named it (or inside their folder).
    package var file: String
    /// The tensor concerned, if any.
    package var tensor: String?
    /// What is wrong.
    package var problem: FixtureProblem

    package init(file: String, tensor: String? = nil, _ problem: FixtureProblem) {
        self.file = file
        self.tensor = tensor
        self.problem = problem
    }

    /// `file: [tensor 'name': ]problem`.
    package var description: String {
        "\(file): \(tensor.map { "tensor '\($0)': " } ?? "")\(problem)"
    }
}

/// Why a fixture cannot be used. Each case carries the values concerned;
/// the text lives in `description`.
package enum FixtureProblem: Equatable, Sendable, CustomStringConvertible {
    /// A file was named where a fixture folder (or a folder of them) goes.
    case notAFolder
    /// A folder holding no `fixture.json` at any depth.
    case noManifest
    /// `fixture.json` is not JSON: the decoder's message.
    case notJSON(String)
    /// `fixture.json` lacks `key` (inside `path`, dot-separated; empty at the top).
    case missingKey(String, in: String)
    /// A value of `fixture.json` at `path` is not what the manifest needs: the decoder's message.
    case badValue(at: String, detail: String)
    /// `flags.nonlinearity` is not `tanh` or `relu`.
    case nonlinearity(String)
    /// The reference outputs (`expected.npz`) lack `output`, which a `mode` module returns.
    case referenceMissing(output: String, mode: RNNMode)

    /// The problem, without file or tensor.
    package var description: String {
        switch self {
        case .notAFolder: return "is a file; expected a fixture folder (holding fixture.json) or a folder of them"
        case .noManifest: return "holds no fixture.json at any depth"
        case .notJSON(let message): return "not valid JSON: \(message)"
        case .missingKey(let key, let path): return "not a fixture manifest: missing key '\(key)'\(path.isEmpty ? "" : " in \(path)")"
        case .badValue(let path, let detail): return "not a fixture manifest: \(path.isEmpty ? "" : "\(path): ")\(detail)"
        case .nonlinearity(let name): return "flags.nonlinearity is '\(name)'; expected tanh or relu"
        case .referenceMissing(let output, let mode): return "missing; a \(mode.rawValue) returns \(output), so the reference must hold it"
        }
    }
}
