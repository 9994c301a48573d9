import TensorFiles

/// A user's `--rename OLD=NEW` mapping from a file's own tensor names to
/// PyTorch's, applied before inference.
public struct Rename: Equatable, Sendable {
    /// The name as the file has it.
    public var old: String
    /// The name to use instead.
    public var new: String

    /// Creates a rename.
    public init(old: String, new: String) {
        self.old = old
        self.new = new
    }

    /// Parses `OLD=NEW`. Both sides must be non-empty.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw LayoutError.malformedRename(text)
        }
        self.init(old: String(parts[0]), new: String(parts[1]))
    }

    /// Applies `renames` to `tensors`. Every OLD must name a tensor and the
    /// result must not contain a name twice.
    public static func apply(_ renames: [Rename], to tensors: [NamedTensor]) throws -> [NamedTensor] {
        guard !renames.isEmpty else { return tensors }
        var mapping: [String: String] = [:]
        for rename in renames {
            guard mapping[rename.old] == nil else {
                throw LayoutError.renamedTwice(rename.old)
            }
            mapping[rename.old] = rename.new
        }
        let names = Set(tensors.map(\.name))
        for rename in renames where !names.contains(rename.old) {
            throw LayoutError.noTensorToRename(rename.old, available: Array(tensors.map(\.name).prefix(12)), more: tensors.count > 12)
        }
        var seen: Set<String> = []
        var renamed: [NamedTensor] = []
        for named in tensors {
            let name = mapping[named.name] ?? named.name
            guard seen.insert(name).inserted else {
                throw LayoutError.renameCollision(name)
            }
            renamed.append(NamedTensor(name: name, tensor: named.tensor))
        }
        return renamed
    }
}
