/// Why a PyTorch checkpoint's container (the zip format's members, the legacy
/// format's header and storage list) is refused. Each case carries the values
/// concerned; the text lives in `description`.
public enum TorchFormatProblem: Equatable, Sendable, CustomStringConvertible {
    /// Several `data.pkl` members, in these folders.
    case severalDataPickles(folders: [String])
    /// No `data.pkl` member.
    case noDataPickle
    /// A member rnnkit reads whole is larger than `limit`.
    case memberTooLarge(member: String, size: Int, limit: Int)
    /// Written on a big-endian machine (`legacy`: the sys-info dict says so, else the `byteorder` member).
    case bigEndian(legacy: Bool)
    /// A `byteorder` member that is neither 'little' nor 'big'.
    case byteorder(String)
    /// An archive version outside `supported`.
    case archiveVersion(String, supported: ClosedRange<Int>)
    /// A legacy protocol version other than `expected`.
    case legacyProtocol(found: String, expected: Int)
    /// The legacy storage key list is a value of kind `kind`.
    case storageKeyList(kind: String)
    /// A legacy storage key that is not a string.
    case storageKeyNotString
    /// A legacy storage key the data pickle never refers to.
    case storageKeyUnused(String)
    /// A legacy storage key listed twice.
    case storageKeyTwice(String)
    /// A legacy storage whose element count is negative or overflows.
    case storageElementCount(storage: String, count: Int64)
    /// A legacy storage needing `needed` bytes where `remaining` remain.
    case storageTruncated(storage: String, needed: Int, remaining: Int)
    /// A read of bytes outside the storage.
    case storageRange(storage: String, range: Range<Int>)
    /// A TorchScript setting in `code` that is not what `torch.jit` writes.
    case scriptSetting(code: String, name: String, value: String)

    /// The problem, without file or offset.
    public var description: String {
        let littleEndianOnly = "rnnkit reads little-endian checkpoints only: load and re-save it with torch on a little-endian machine"
        switch self {
        case .severalDataPickles(let folders):
            return "zip archive: several data.pkl members (\(folders.joined(separator: ", "))); expected one"
        case .noDataPickle:
            return "zip archive: no data.pkl member: not a PyTorch checkpoint"
        case .memberTooLarge(let member, let size, let limit):
            return "zip archive: member \(member) is \(size) bytes, more than the \(limit) rnnkit reads"
        case .bigEndian(let legacy):
            return "written on a big-endian machine (\(legacy ? "little_endian False" : "byteorder 'big'")); " + littleEndianOnly
        case .byteorder(let value):
            return "byteorder member says '\(value)', expected 'little'"
        case .archiveVersion(let version, let supported):
            return "zip archive: archive version '\(version)', expected \(supported.lowerBound)–\(supported.upperBound)"
        case .legacyProtocol(let found, let expected):
            return "bad header: legacy protocol version is \(found), expected \(expected)"
        case .storageKeyList(let kind):
            return "bad header: the storage key list is a \(kind)"
        case .storageKeyNotString:
            return "bad header: a storage key is not a string"
        case .storageKeyUnused(let key):
            return "bad header: storage key '\(key)' is listed but the data pickle never refers to it"
        case .storageKeyTwice(let key):
            return "bad header: storage key '\(key)' is listed twice"
        case .storageElementCount(let storage, let count):
            return "bad header: storage '\(storage)' has element count \(count)"
        case .storageTruncated(let storage, let needed, let remaining):
            return "storage '\(storage)' needs \(needed) bytes but only \(remaining) remain (the file is truncated)"
        case .storageRange(let storage, let range):
            return "storage '\(storage)' does not hold bytes \(range)"
        case .scriptSetting(let code, let name, let value):
            let expected = name == "batch_first" ? "True or False" : "\"tanh\" or \"relu\""
            return "\(code): \(name) = \(value), expected \(expected)"
        }
    }
}
