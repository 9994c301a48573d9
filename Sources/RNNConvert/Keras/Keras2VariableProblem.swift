/// Why a Keras 2 layer's listed variables (`weight_names`) do not fit its
/// class (`ConversionError.layerVariables`).
public enum Keras2VariableProblem: Equatable, Sendable, CustomStringConvertible {
    /// `count` variables where Keras keeps kernel, recurrent_kernel and maybe
    /// bias (for each direction when `bidirectional`).
    case count(Int, bidirectional: Bool)
    /// Variable `position` is named `role` where Keras keeps `expected`.
    case role(position: Int, named: String, expected: String)
    /// Variable `position` belongs by its name to direction `named` (0
    /// forward, 1 backward) where Keras keeps direction `expected`'s.
    case direction(position: Int, named: Int, expected: Int)

    /// The problem in words.
    public var description: String {
        func side(_ direction: Int) -> String { direction == 0 ? "forward" : "backward" }
        switch self {
        case .count(let count, let bidirectional):
            return "\(count) variables, expected kernel, recurrent_kernel and maybe bias\(bidirectional ? " for each direction" : "")"
        case .role(let position, let named, let expected):
            return "variable \(position) is named \(named), but Keras keeps \(expected) there"
        case .direction(let position, let named, let expected):
            return "variable \(position) belongs to the \(side(named)) layer by its name, but Keras keeps the \(side(expected)) layer's there"
        }
    }
}
