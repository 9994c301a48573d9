/// The element types rnnkit reads and writes.
///
/// Raw values are the names numpy (and `ml_dtypes` for `bfloat16`) gives them,
/// which is also how `inspect --json` spells them.
public enum DType: String, CaseIterable, Sendable, Codable {
    case float16
    case bfloat16
    case float32
    case float64
    case int8
    case uint8
    case int16
    case int32
    case int64
    case bool

    /// Bytes per element.
    public var itemSize: Int {
        switch self {
        case .int8, .uint8, .bool: return 1
        case .float16, .bfloat16, .int16: return 2
        case .float32, .int32: return 4
        case .float64, .int64: return 8
        }
    }

    /// Whether the type holds floating-point numbers.
    public var isFloatingPoint: Bool {
        switch self {
        case .float16, .bfloat16, .float32, .float64: return true
        default: return false
        }
    }

    /// Whether the type holds integers (bool excluded).
    public var isInteger: Bool {
        switch self {
        case .int8, .uint8, .int16, .int32, .int64: return true
        default: return false
        }
    }

    /// Parses a user-facing name: numpy names plus common short forms
    /// (`f32`, `fp16`, `half`, `double`, `bf16`, …).
    public init?(userName: String) {
        switch userName.lowercased() {
        case "float16", "f16", "fp16", "half": self = .float16
        case "bfloat16", "bf16": self = .bfloat16
        case "float32", "f32", "fp32", "float", "single": self = .float32
        case "float64", "f64", "fp64", "double": self = .float64
        case "int8", "i8": self = .int8
        case "uint8", "u8": self = .uint8
        case "int16", "i16": self = .int16
        case "int32", "i32": self = .int32
        case "int64", "i64", "long": self = .int64
        case "bool": self = .bool
        default: return nil
        }
    }
}
