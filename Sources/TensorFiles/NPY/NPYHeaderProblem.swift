import Foundation

/// Why an NPY header is refused (`TensorFileError.Reason.npyHeader`). Each
/// case carries what was found; the text lives in `description`.
public enum NPYHeaderProblem: Equatable, Sendable, CustomStringConvertible {
    /// A format version other than 1.0, 2.0 and 3.0.
    case version(major: UInt8, minor: UInt8)
    /// The header's bytes are not text in the version's encoding.
    case notText
    /// The dict literal is malformed; `header` is its text.
    case dict(DictProblem, header: String)
    /// An NPZ member of `memberSize` bytes ends inside its NPY header.
    case memberEndsInHeader(memberSize: Int)

    /// What is wrong in the dict literal (`{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`).
    public enum DictProblem: Equatable, Sendable {
        case expectedOpeningBrace
        case expectedKey
        case expectedColon(after: String)
        /// `descr` is not a string (a structured dtype's list).
        case descrNotString
        case fortranOrderNotBool
        case shapeNotTuple
        case badDimension
        case negativeDimension(Int)
        case unknownKey(String)
        case expectedCommaOrBrace
        /// One of `descr`, `fortran_order` and `shape` is missing.
        case missingKey
    }

    /// The problem, without file or offset.
    public var description: String {
        switch self {
        case .version(let major, let minor): return "unsupported NPY format version \(major).\(minor)"
        case .notText: return "header is not text"
        case .dict(let problem, let header): return "\(Self.text(problem)) in \(Self.quoted(header))"
        case .memberEndsInHeader(let size): return "the member (\(size) bytes) ends inside its NPY header"
        }
    }

    private static func text(_ problem: DictProblem) -> String {
        switch problem {
        case .expectedOpeningBrace: return "expected '{'"
        case .expectedKey: return "expected a quoted key"
        case .expectedColon(let key): return "expected ':' after '\(key)'"
        case .descrNotString: return "'descr' must be a string (structured dtypes are not tensors)"
        case .fortranOrderNotBool: return "'fortran_order' must be True or False"
        case .shapeNotTuple: return "'shape' must be a tuple"
        case .badDimension: return "bad dimension in 'shape'"
        case .negativeDimension(let value): return "negative dimension \(value)"
        case .unknownKey(let key): return "unknown key '\(key)'"
        case .expectedCommaOrBrace: return "expected ',' or '}'"
        case .missingKey: return "missing 'descr', 'fortran_order' or 'shape'"
        }
    }

    /// The header text for a message: trimmed, at most 160 characters,
    /// control characters replaced by `?`.
    static func quoted(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let shown = trimmed.unicodeScalars.prefix(160).map { $0.properties.generalCategory == .control ? "?" : Character($0) }
        return String(shown) + (trimmed.unicodeScalars.count > 160 ? "…" : "")
    }
}
