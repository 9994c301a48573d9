/// Why an exported program archive (`torch.export.save`, `.pt2`) is refused.
/// Each case carries the values concerned; the text lives in `description`.
public enum ExportedProgramProblem: Equatable, Sendable, CustomStringConvertible {
    /// The layout `torch.export.save` wrote before PyTorch 2.6
    /// (`serialized_exported_program.json`, `serialized_state_dict.pt`).
    case olderLayout
    /// `archive_format` holds something other than `pt2`.
    case archiveFormat(String)
    /// `archive_version` holds a version rnnkit does not read.
    case archiveVersion(String, supported: String)
    /// The `byteorder` member says the weights are big-endian.
    case bigEndian
    /// No `models/<name>.json`: an archive of compiled code only (AOTInductor), or not one of `torch.export`'s.
    case noProgram(members: [String])
    /// Several programs (`models/<name>.json`), by name.
    case severalPrograms([String])
    /// The program's schema major version is not the one rnnkit reads.
    case schemaVersion(major: Int, supported: Int)
    /// A JSON member rnnkit reads whole is larger than `limit`.
    case memberTooLarge(member: String, size: Int, limit: Int)
    /// A JSON member that does not parse.
    case unparsable(member: String)
    /// A JSON member parsed, but the value at `path` is not what `torch.export` writes.
    case unexpected(member: String, path: String, expected: String)
    /// A weight whose bytes name a member the archive does not have.
    case missingWeightMember(weight: String, member: String)

    /// The problem, without file.
    public var description: String {
        switch self {
        case .olderLayout:
            return "an exported program saved by torch.export.save before PyTorch 2.6 (serialized_exported_program.json); "
                + "rnnkit reads the pt2 archive of PyTorch 2.6 and later: load it and save it again with a newer torch, "
                + "or save the model's state_dict"
        case .archiveFormat(let value):
            return "archive_format says '\(value)', expected 'pt2'"
        case .archiveVersion(let value, let supported):
            return "archive_version says '\(value)', rnnkit reads version \(supported)"
        case .bigEndian:
            return "the byteorder member says 'big'; rnnkit reads little-endian weights only: load and save it again on a "
                + "little-endian machine"
        case .noProgram(let members):
            let some = members.prefix(4).joined(separator: ", ") + (members.count > 4 ? ", …" : "")
            return "a pt2 archive without an exported program (no models/<name>.json; it holds \(some)): an AOTInductor "
                + "package holds compiled code rnnkit does not run; save the ExportedProgram with torch.export.save"
        case .severalPrograms(let names):
            return "the archive holds several exported programs (\(names.joined(separator: ", "))); rnnkit reads archives of one"
        case .schemaVersion(let major, let supported):
            return "the exported program's schema version is \(major), rnnkit reads version \(supported)"
        case .memberTooLarge(let member, let size, let limit):
            return "member \(member) is \(size) bytes, more than the \(limit) rnnkit reads"
        case .unparsable(let member):
            return "\(member) is not valid JSON"
        case .unexpected(let member, let path, let expected):
            return "\(member): \(path) is not \(expected)"
        case .missingWeightMember(let weight, let member):
            return "weight '\(weight)' is stored in \(member), which the archive does not have"
        }
    }
}
