import Foundation
import RNNLayouts
import TensorFiles

/// A fixture folder: a weight file, the inputs PyTorch was given and the
/// outputs it returned (`expected.npz`), described by `fixture.json`.
/// docs/engine.md describes the contract.
package struct Fixture: Sendable {
    /// The folder, as found.
    package var folder: String
    /// The decoded `fixture.json`.
    package var manifest: FixtureManifest

    /// The folder's last path component.
    package var name: String { (folder as NSString).lastPathComponent }

    /// Reads `folder/fixture.json`.
    ///
    /// - Throws: `TensorFileError` naming `fixture.json` when it is missing or
    ///   unreadable, `FixtureError` when it is not a valid manifest.
    package init(folder: String) throws {
        self.folder = folder
        let path = (folder as NSString).appendingPathComponent("fixture.json")
        let map = try MappedFile(path: path)
        let data = try map.data(0, map.count)
        do {
            manifest = try JSONDecoder().decode(FixtureManifest.self, from: data)
        } catch let error as DecodingError {
            throw FixtureError(file: path, Self.problem(error))
        } catch {
            throw FixtureError(file: path, .notJSON(error.localizedDescription))
        }
    }

    /// The forward pass the fixture describes, with paths inside the folder.
    package func request() throws -> RunRequest {
        func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }
        let renames = try manifest.renames.map { text in
            do { return try Rename(parsing: text) } catch let error as BadInputError {
                throw FileInputError(file: path("fixture.json"), underlying: error)
            }
        }
        let flags = manifest.flags
        let nonlinearity = try flags.nonlinearity.map { name in
            guard let value = Nonlinearity(rawValue: name) else {
                throw FixtureError(file: path("fixture.json"), .nonlinearity(name))
            }
            return value
        }
        let inputs = manifest.inputs
        return RunRequest(
            weights: path(manifest.weights), module: manifest.module, renames: renames,
            input: path(inputs.input), lengths: inputs.lengths.map(path), h0: inputs.h0.map(path), c0: inputs.c0.map(path),
            batchFirst: flags.batchFirst, nonlinearity: nonlinearity)
    }

    /// The path of the expected outputs.
    package var expectedPath: String { (folder as NSString).appendingPathComponent("expected.npz") }

    /// Fixture folders at or under `paths`: a folder holding `fixture.json`
    /// is a fixture; any other folder is searched recursively (in name order).
    ///
    /// - Throws: `TensorFileError` for a path that does not exist,
    ///   `FixtureError` for one that is not a folder or holds no fixture at any depth.
    package static func find(in paths: [String]) throws -> [String] {
        var found: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw TensorFileError(file: path, .notFound)
            }
            guard isDirectory.boolValue else {
                throw FixtureError(file: path, .notAFolder)
            }
            let here = search(path)
            guard !here.isEmpty else {
                throw FixtureError(file: path, .noManifest)
            }
            found += here
        }
        return found
    }

    private static func search(_ folder: String) -> [String] {
        let manager = FileManager.default
        if manager.fileExists(atPath: (folder as NSString).appendingPathComponent("fixture.json")) { return [folder] }
        let children = ((try? manager.contentsOfDirectory(atPath: folder)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        return children.flatMap { child -> [String] in
            let path = (folder as NSString).appendingPathComponent(child)
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return [] }
            return search(path)
        }
    }

    private static func problem(_ error: DecodingError) -> FixtureProblem {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return .missingKey(key.stringValue, in: path(context))
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return .badValue(at: path(context), detail: context.debugDescription)
        @unknown default: return .badValue(at: "", detail: "\(error)")
        }
    }
}

/// The parts of `fixture.json` that running and comparing need.
package struct FixtureManifest: Decodable, Sendable {
    /// The run's options.
    package struct Flags: Decodable, Sendable {
        /// Input and output are (B, T, …).
        package var batchFirst: Bool?
        /// `tanh` or `relu` (RNN only).
        package var nonlinearity: String?

        enum CodingKeys: String, CodingKey {
            case batchFirst = "batch_first"
            case nonlinearity
        }
    }

    /// File names (inside the folder) of the inputs.
    package struct Inputs: Decodable, Sendable {
        /// The input tensor.
        package var input: String
        /// Lengths, if the batch is packed.
        package var lengths: String?
        /// Initial hidden state.
        package var h0: String?
        /// Initial cell state.
        package var c0: String?
    }

    /// One line saying what the fixture shows.
    package var description: String?
    /// The weight file or folder, relative to the fixture folder.
    package var weights: String
    /// The module the reference outputs are for (`""` = root); nil when the file holds one.
    package var module: String?
    /// `OLD=NEW` renames needed because the file uses other names.
    package var renames: [String]
    /// The run's options.
    package var flags: Flags
    /// The inputs.
    package var inputs: Inputs

    enum CodingKeys: String, CodingKey {
        case description, weights, module, renames, flags, inputs
    }

    /// Decodes a manifest; `renames` and `flags` may be absent.
    package init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        weights = try container.decode(String.self, forKey: .weights)
        module = try container.decodeIfPresent(String.self, forKey: .module)
        renames = try container.decodeIfPresent([String].self, forKey: .renames) ?? []
        flags = try container.decodeIfPresent(Flags.self, forKey: .flags) ?? Flags()
        inputs = try container.decode(Inputs.self, forKey: .inputs)
    }
}
