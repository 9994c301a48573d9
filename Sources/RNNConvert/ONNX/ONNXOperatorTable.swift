import Foundation
import ONNXProto
import TensorFiles

/// The one list of every attribute and input of the ONNX `LSTM`, `GRU` and
/// `RNN` operators, and what rnnkit does with each.
///
/// `ONNXRecurrentNode` refuses any attribute or input this list does not
/// name, and any entry marked `refusedUnlessDefault` whose value differs from
/// its default. `Tests/Interop/check_onnx.py` compares this list (printed by
/// the hidden `rnnkit onnx-operators`) with `onnx.defs.get_schema`, so that an
/// attribute a new opset adds cannot be ignored unnoticed.
public enum ONNXOperatorTable {
    /// What rnnkit does with one attribute or input.
    public enum Handling: Sendable, Equatable, Encodable {
        /// Read and used (or checked and refused with its own message).
        case read
        /// Has no effect on what rnnkit accepts (for example `activation_alpha`
        /// when every accepted activation ignores it).
        case harmless
        /// Refused unless absent or equal to `default` (nil: refused whenever present).
        case refusedUnlessDefault(default: String?)

        /// As `rnnkit onnx-operators` prints it: `read`, `harmless`, `refused_unless_default`.
        public var name: String {
            switch self {
            case .read: "read"
            case .harmless: "harmless"
            case .refusedUnlessDefault: "refused_unless_default"
            }
        }

        /// Encodes the handling by its name.
        public func encode(to encoder: Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(name)
        }
    }

    /// One attribute or input of one operator.
    ///
    /// Encoded (`rnnkit onnx-operators`) as `{"name", "kind", "handling",
    /// "default", "why", "option"}`, `default` null unless refused unless default.
    public struct Entry: Sendable, Equatable, Encodable {
        /// The name in the ONNX schema.
        public var name: String
        /// `attribute` or `input`.
        public var kind: String
        /// What rnnkit does with it.
        public var handling: Handling
        /// Why, for messages and the documentation.
        public var why: String
        /// The option of `run` whose default a constant value of this input becomes.
        public var option: RequestOption?

        private enum CodingKeys: String, CodingKey { case name, kind, handling, `default`, why, option }

        /// Encodes the entry, its default (when refused unless default) as its own key.
        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(kind, forKey: .kind)
            try container.encode(handling, forKey: .handling)
            if case .refusedUnlessDefault(let value?) = handling {
                try container.encode(value, forKey: .default)
            } else {
                try container.encodeNil(forKey: .default)
            }
            try container.encode(why, forKey: .why)
            try container.encodeIfPresent(option, forKey: .option)
        }
    }

    private static func attribute(_ name: String, _ handling: Handling, _ why: String) -> Entry {
        Entry(name: name, kind: "attribute", handling: handling, why: why)
    }

    private static func input(_ name: String, _ handling: Handling, _ why: String, option: RequestOption? = nil) -> Entry {
        Entry(name: name, kind: "input", handling: handling, why: why, option: option)
    }

    private static let common: [Entry] = [
        attribute("hidden_size", .read, "checked against R's shape"),
        attribute("direction", .read, "forward and bidirectional map to PyTorch; reverse is run as a one-direction reverse cell (CellVariant)"),
        attribute("layout", .read, "layout=1 makes the node read (batch, sequence, features)"),
        attribute("activations", .read, "Sigmoid, Tanh, Relu, HardSigmoid in every slot (others refused by name); RNN Tanh/Relu is the nonlinearity"),
        attribute("activation_alpha", .read, "HardSigmoid's alpha, one per HardSigmoid in order (onnxruntime's reading); ignored by the others"),
        attribute("activation_beta", .read, "HardSigmoid's beta, one per HardSigmoid in order; ignored by the others"),
        attribute("clip", .read, "every gate pre-activation clipped to [-clip, clip], as onnxruntime does"),
        input("X", .read, "the module's input; its layout is traced back through the graph"),
        input("W", .read, "weight_ih, gate blocks reordered"),
        input("R", .read, "weight_hh, gate blocks reordered"),
        input("B", .read, "bias_ih and bias_hh"),
        input("sequence_lens", .read, "a constant value becomes run's default lengths", option: .lengths),
        input("initial_h", .read, "a constant value becomes run's default initial state", option: .h0),
    ]

    /// Per operator name (`LSTM`, `GRU`, `RNN`), every attribute and input rnnkit knows, in schema order of kind.
    public static let entries: [String: [Entry]] = [
        "LSTM": common + [
            attribute("input_forget", .read, "1 couples the gates: f = 1 - i"),
            input("initial_c", .read, "a constant value becomes run's default initial cell state", option: .c0),
            input("P", .read, "peepholes (order i, o, f): all-zero is PyTorch's cell; others run as a variant"),
        ],
        "GRU": common + [
            attribute("linear_before_reset", .read, "1 is PyTorch's GRU; 0 (the default) applies the reset gate before the recurrent matrix"),
        ],
        "RNN": common,
    ]

    /// The entry for `name` of `kind` on operator `op`, if the list has one.
    static func entry(_ op: String, _ name: String, kind: String) -> Entry? {
        entries[op]?.first { $0.name == name && $0.kind == kind }
    }

    /// The input names of `op` in their positional order.
    static func inputNames(_ op: String) -> [String] {
        (entries[op] ?? []).filter { $0.kind == "input" }.map(\.name)
    }

    /// The reason `node` must be refused because of an attribute or input the
    /// list does not know or refuses at this value, or nil.
    static func refusal(_ node: Onnx_NodeProto) -> NodeRefusal? {
        let op = node.opType
        let known = (entries[op] ?? []).filter { $0.kind == "attribute" }.map(\.name)
        for attribute in node.attribute {
            guard let entry = entry(op, attribute.name, kind: "attribute") else {
                return .unknownAttribute(name: attribute.name, op: op, known: known)
            }
            // A value of another type, or a layout ONNX does not define, would be read as the default.
            let given = text(attribute)
            switch attribute.name {
            case "layout" where !attribute.hasI || ![0, 1].contains(attribute.i):
                return .refusedAttribute(name: "layout", value: given, why: "ONNX defines layout 0 and 1 only")
            case "hidden_size" where !attribute.hasI, "clip" where !attribute.hasF, "direction" where !attribute.hasS:
                return .refusedAttribute(name: attribute.name, value: given, why: "not a value of the type ONNX defines for it")
            default:
                break
            }
            if case .refusedUnlessDefault(let value) = entry.handling {
                let given = text(attribute)
                if value == nil || given != value {
                    return .refusedAttribute(name: attribute.name, value: given, why: entry.why)
                }
            }
        }
        let inputs = inputNames(op)
        if node.input.count > inputs.count, node.input[inputs.count...].contains(where: { !$0.isEmpty }) {
            return .extraInputs(count: node.input.count, op: op, inputs: inputs)
        }
        return nil
    }

    /// An attribute's value as text (`0`, `1.5`, `forward`, `[1, 2]`).
    static func text(_ attribute: Onnx_AttributeProto) -> String {
        if attribute.hasI { return String(attribute.i) }
        if attribute.hasF { return String(attribute.f) }
        if attribute.hasS { return String(decoding: attribute.s, as: UTF8.self) }
        if !attribute.ints.isEmpty { return "\(attribute.ints)" }
        if !attribute.floats.isEmpty { return "\(attribute.floats)" }
        if !attribute.strings.isEmpty { return "\(attribute.strings.map { String(decoding: $0, as: UTF8.self) })" }
        return "(a \(attribute.type) value)"
    }
}
