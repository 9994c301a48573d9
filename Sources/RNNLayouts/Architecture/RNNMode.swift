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

    /// The PyTorch class of the layer form (`nn.LSTM`) or the cell form (`nn.LSTMCell`).
    public func pytorchClass(_ kind: ModuleKind) -> String {
        "nn.\(rawValue)" + (kind == .cell ? "Cell" : "")
    }

    /// One step of the recurrence exactly as PyTorch computes it, one line per
    /// equation (`W_i*` are the `i` row block of `weight_ih`, and so on).
    ///
    /// For GRU, PyTorch keeps the old state with weight `z` and takes the new
    /// candidate with weight `1 − z`: `h' = (1 − z) ⊙ n + z ⊙ h`. Many texts
    /// (colah's blog, lecture notes) write `h' = (1 − z) ⊙ h + z ⊙ n`, the same
    /// cell with `z` and `1 − z` swapped; weights trained in PyTorch only
    /// reproduce with PyTorch's form.
    public var equations: [String] {
        switch self {
        case .rnn:
            return ["h' = act(W_ih x + b_ih + W_hh h + b_hh)    act = tanh or relu (nonlinearity)"]
        case .gru:
            return [
                "r  = σ(W_ir x + b_ir + W_hr h + b_hr)",
                "z  = σ(W_iz x + b_iz + W_hz h + b_hz)",
                "n  = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))",
                "h' = (1 − z) ⊙ n + z ⊙ h    (PyTorch: z keeps the old h; texts writing (1 − z) ⊙ h + z ⊙ n swap z and 1 − z)",
            ]
        case .lstm:
            return [
                "i  = σ(W_ii x + b_ii + W_hi h + b_hi)",
                "f  = σ(W_if x + b_if + W_hf h + b_hf)",
                "g  = tanh(W_ig x + b_ig + W_hg h + b_hg)",
                "o  = σ(W_io x + b_io + W_ho h + b_ho)",
                "c' = f ⊙ c + i ⊙ g",
                "h' = o ⊙ tanh(c')",
            ]
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
