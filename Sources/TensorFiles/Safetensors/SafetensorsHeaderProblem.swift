/// Why a safetensors header is refused (`TensorFileError.Reason.safetensorsHeader`).
/// Each case carries the values concerned; the text lives in `description`.
public enum SafetensorsHeaderProblem: Equatable, Sendable, CustomStringConvertible {
    /// The header does not start with `{`.
    case notAnObject
    /// The JSON is malformed at byte `position` of the header's text.
    case json(JSONSyntax, position: Int)
    /// `data_offsets` is not two numbers.
    case offsetsNotAPair([Int])
    /// `data_offsets` whose begin is negative or after the end.
    case offsetsNotIncreasing(begin: Int, end: Int)
    /// A tensor's `data_offsets` overlap the tensor `previous`'s.
    case overlap(begin: Int, end: Int, previous: String)
    /// `bytes` bytes after the tensor `previous` (nil: at the start of the data) belong to no tensor.
    case gap(bytes: Int, after: String?)
    /// `bytes` bytes after the last tensor belong to no tensor.
    case trailingBytes(Int)

    /// What the header's JSON breaks: its syntax, or the structure of an entry.
    public enum JSONSyntax: Equatable, Sendable {
        case textAfterObject
        case repeatedKey(String, tensor: String)
        case missingKey(String, tensor: String)
        /// A `__metadata__` value that is not a string.
        case metadataNotStrings
        case notAnObject(JSONObject)
        case expectedIntegerArray
        case expectedInteger
        case integerTooLarge
        case leadingZero
        case fractionOrExponent
        case expectedString
        case invalidUTF8
        case controlCharacter
        case unterminatedString
        case invalidEscape
        case loneSurrogate
        case unterminatedUnicodeEscape
        case invalidUnicodeEscape
        case nestedTooDeep(limit: Int)
        case unexpectedEnd
        /// `character` was expected (at the end of the header when `atEnd`).
        case expected(Unicode.Scalar, atEnd: Bool)
        case invalidValue
        case invalidNumber
    }

    /// An object of the header: a tensor's entry, `__metadata__`, or a value skipped.
    public enum JSONObject: Equatable, Sendable {
        case tensor(String)
        case metadata
        case value
    }

    /// The problem, without file, tensor or offset.
    public var description: String {
        switch self {
        case .notAnObject: return "the JSON header must start with '{'"
        case .json(let syntax, let position): return "invalid JSON at byte \(position): \(Self.text(syntax))"
        case .offsetsNotAPair(let offsets): return "data_offsets must be [begin, end], found \(offsets)"
        case .offsetsNotIncreasing(let begin, let end): return "data_offsets [\(begin), \(end)] are not an increasing pair"
        case .overlap(let begin, let end, let previous): return "data_offsets [\(begin), \(end)] overlap tensor '\(previous)'"
        case .gap(let bytes, let previous):
            let after = previous.map { "after tensor '\($0)'" } ?? "at the start of the data"
            return "\(bytes) bytes \(after) belong to no tensor (offsets must be contiguous)"
        case .trailingBytes(let bytes): return "\(bytes) bytes after the last tensor belong to no tensor"
        }
    }

    private static func text(_ syntax: JSONSyntax) -> String {
        switch syntax {
        case .textAfterObject: return "unexpected text after the header's object"
        case .repeatedKey(let key, let tensor): return "'\(key)' repeated in tensor '\(tensor)'"
        case .missingKey(let key, let tensor): return "missing '\(key)' in tensor '\(tensor)'"
        case .metadataNotStrings: return "the values of __metadata__ must be strings"
        case .notAnObject(let object):
            let what = switch object {
            case .tensor(let name): "tensor '\(name)'"
            case .metadata: "__metadata__"
            case .value: "a value"
            }
            return "\(what) must be a JSON object"
        case .expectedIntegerArray: return "expected an array of integers"
        case .expectedInteger: return "expected an integer"
        case .integerTooLarge: return "integer too large"
        case .leadingZero: return "invalid number (leading zero)"
        case .fractionOrExponent: return "expected an integer, found a fraction or exponent"
        case .expectedString: return "expected a string"
        case .invalidUTF8: return "a string is not valid UTF-8"
        case .controlCharacter: return "control character in a string"
        case .unterminatedString: return "unterminated string"
        case .invalidEscape: return "invalid escape in a string"
        case .loneSurrogate: return "lone surrogate in a string"
        case .unterminatedUnicodeEscape: return "unterminated \\u escape"
        case .invalidUnicodeEscape: return "invalid \\u escape"
        case .nestedTooDeep(let limit): return "nested more than \(limit) deep"
        case .unexpectedEnd: return "unexpected end of the header"
        case .expected(let character, let atEnd):
            return atEnd ? "unexpected end of the header (expected '\(character)')" : "expected '\(character)'"
        case .invalidValue: return "invalid JSON value"
        case .invalidNumber: return "invalid number"
        }
    }
}
