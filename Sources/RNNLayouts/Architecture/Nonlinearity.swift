/// The activation of an Elman `nn.RNN` / `nn.RNNCell` (`nonlinearity=`).
/// GRU and LSTM have fixed activations and accept only `.tanh` (the default).
///
/// It is not stored in the weights: commands take it from `--nonlinearity`
/// or from a file that records it (an ONNX `RNN` operator's activations).
public enum Nonlinearity: String, Sendable, CaseIterable, Codable {
    /// `h' = tanh(W_ih x + b_ih + W_hh h + b_hh)`, PyTorch's default.
    case tanh
    /// `h' = relu(W_ih x + b_ih + W_hh h + b_hh)`.
    case relu
}
