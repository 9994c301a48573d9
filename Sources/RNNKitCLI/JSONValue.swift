/// A JSON value that keeps its object keys in the order they were given, so
/// that a command's `--json` output reads in the order docs/cli.md lists it.
///
/// `rendered()` indents nested objects and arrays by two spaces, and keeps
/// arrays of scalars (shapes) and short flat objects (a tensor entry) on one line.
enum JSONValue: Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    static func == (a: JSONValue, b: JSONValue) -> Bool { a.rendered() == b.rendered() }

    /// An array of integers (a shape).
    static func ints(_ values: [Int]) -> JSONValue { .array(values.map(JSONValue.int)) }

    /// An optional string, null when nil.
    static func string(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }

    /// The document as text, ending without a newline.
    func rendered(indent: String = "") -> String {
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .double(let value):
            return value.isFinite ? "\(value)" : "null"
        case .string(let value): return Self.quoted(value)
        case .array(let values):
            if values.isEmpty { return "[]" }
            if values.allSatisfy(\.isScalar) {
                return "[" + values.map { $0.rendered() }.joined(separator: ", ") + "]"
            }
            let inner = indent + "  "
            return "[\n" + values.map { inner + $0.rendered(indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
        case .object(let members):
            if members.isEmpty { return "{}" }
            if members.allSatisfy({ $0.1.isFlat }) {
                let line = "{" + members.map { Self.quoted($0.0) + ": " + $0.1.rendered() }.joined(separator: ", ") + "}"
                if line.count <= 100 { return line }
            }
            let inner = indent + "  "
            return "{\n" + members.map { key, value in
                inner + Self.quoted(key) + ": " + value.rendered(indent: inner)
            }.joined(separator: ",\n") + "\n\(indent)}"
        }
    }

    /// A scalar or an array of scalars: short enough to share a line.
    private var isFlat: Bool {
        if case .array(let values) = self { return values.allSatisfy(\.isScalar) }
        return isScalar
    }

    private var isScalar: Bool {
        switch self {
        case .array, .object: return false
        default: return true
        }
    }

    /// `value` as a JSON string literal (RFC 8259 escapes).
    static func quoted(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
