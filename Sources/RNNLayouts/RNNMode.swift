/// The three recurrent module families PyTorch has.
public enum RNNMode: String, Sendable, Codable, CaseIterable {
    /// `nn.RNN` / `nn.RNNCell` (Elman): one block, `h' = act(W_ih x + b_ih + W_hh h + b_hh)`.
    case rnn = "RNN"
    /// `nn.GRU` / `nn.GRUCell`: blocks `r, z, n`.
    case gru = "GRU"
    /// `nn.LSTM` / `nn.LSTMCell`: blocks `i, f, g, o`.
    case lstm = "LSTM"

    /// How many `hidden_size` row blocks `weight_ih` / `weight_hh` stack.
    public var gateCount: Int {
        switch self {
        case .rnn: return 1
        case .gru: return 3
        case .lstm: return 4
        }
    }

    /// The gate blocks in PyTorch's row order.
    public var gateNames: [String] {
        switch self {
        case .rnn: return ["h"]
        case .gru: return ["r", "z", "n"]
        case .lstm: return ["i", "f", "g", "o"]
        }
    }

    /// The mode whose gate multiple is `count`, if any.
    public init?(gateCount count: Int) {
        guard let mode = Self.allCases.first(where: { $0.gateCount == count }) else { return nil }
        self = mode
    }
}

/// Whether a module is a multi-step layer stack (`nn.LSTM`) or a single cell (`nn.LSTMCell`).
public enum ModuleKind: String, Sendable, Codable {
    /// `nn.RNN` / `nn.GRU` / `nn.LSTM`: names carry `_l{k}` and maybe `_reverse`.
    case layer
    /// `nn.RNNCell` / `nn.GRUCell` / `nn.LSTMCell`: bare `weight_ih`, `weight_hh`, ….
    case cell
}
