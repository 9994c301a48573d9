/// One recurrent parameter name in PyTorch's grammar.
///
/// Layer form: `weight_ih_l{k}[_reverse]`, `weight_hh_l{k}[_reverse]`,
/// `bias_ih_l{k}[_reverse]`, `bias_hh_l{k}[_reverse]`, `weight_hr_l{k}[_reverse]`.
/// Cell form: `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`.
/// The name is the last component only; the module prefix (`encoder.rnn.`) is not part of it.
public struct ParameterName: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// What the tensor is.
    public enum Role: String, Sendable, CaseIterable {
        /// Input-to-hidden weights, `(gates·hidden, layer input)`.
        case weightIH = "weight_ih"
        /// Hidden-to-hidden weights, `(gates·hidden, proj_size or hidden)`.
        case weightHH = "weight_hh"
        /// Input-to-hidden bias, `(gates·hidden)`.
        case biasIH = "bias_ih"
        /// Hidden-to-hidden bias, `(gates·hidden)`.
        case biasHH = "bias_hh"
        /// LSTM projection weights, `(proj_size, hidden)`.
        case weightHR = "weight_hr"

        var order: Int { Self.allCases.firstIndex(of: self) ?? 0 }
    }

    /// What the tensor is.
    public var role: Role
    /// The layer index for the layer form; nil for the cell form.
    public var layer: Int?
    /// Whether the tensor belongs to the reverse direction.
    public var reverse: Bool

    /// Creates a layer-form name (`layer` non-nil) or a cell-form name (`layer` nil).
    public init(_ role: Role, layer: Int?, reverse: Bool = false) {
        self.role = role
        self.layer = layer
        self.reverse = reverse
    }

    /// The direction index: 0 forward, 1 reverse.
    public var direction: Int { reverse ? 1 : 0 }

    /// The name as PyTorch spells it.
    public var text: String {
        guard let layer else { return role.rawValue }
        return "\(role.rawValue)_l\(layer)" + (reverse ? "_reverse" : "")
    }

    /// Same as `text`.
    public var description: String { text }

    /// Parses the last component of a tensor name; nil if it is not a
    /// recurrent parameter name. `weight_hr` without a layer suffix is not a
    /// cell parameter (cells have no projection) and is rejected.
    public init?(parsing name: Substring) {
        var rest = name
        guard let role = Role.allCases.first(where: { rest.hasPrefix($0.rawValue) }) else { return nil }
        rest = rest.dropFirst(role.rawValue.count)
        if rest.isEmpty {
            guard role != .weightHR else { return nil }
            self.init(role, layer: nil)
            return
        }
        guard rest.hasPrefix("_l") else { return nil }
        rest = rest.dropFirst(2)
        let digits = rest.prefix(while: { $0.isASCII && $0.isNumber })
        guard !digits.isEmpty, digits.count <= 4, let layer = Int(digits) else { return nil }
        // Reject leading zeros ("l01") so that every layer has one spelling.
        guard digits == "0" || !digits.hasPrefix("0") else { return nil }
        rest = rest.dropFirst(digits.count)
        switch rest {
        case "": self.init(role, layer: layer, reverse: false)
        case "_reverse": self.init(role, layer: layer, reverse: true)
        default: return nil
        }
    }

    /// Splits a full tensor name into its module prefix (without the trailing
    /// dot, `""` at the root) and its parameter name; nil if the last
    /// component is not a recurrent parameter name.
    public static func split(_ fullName: String) -> (module: String, parameter: ParameterName)? {
        let last: Substring
        let module: String
        if let dot = fullName.lastIndex(of: ".") {
            last = fullName[fullName.index(after: dot)...]
            module = String(fullName[..<dot])
        } else {
            last = Substring(fullName)
            module = ""
        }
        guard let parameter = ParameterName(parsing: last) else { return nil }
        return (module, parameter)
    }

    /// Orders by layer, then direction, then role (`weight_ih`, `weight_hh`,
    /// `bias_ih`, `bias_hh`, `weight_hr`): PyTorch's own order.
    public static func < (a: ParameterName, b: ParameterName) -> Bool {
        ((a.layer ?? -1), a.direction, a.role.order) < ((b.layer ?? -1), b.direction, b.role.order)
    }
}
