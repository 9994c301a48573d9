/// The activation of an Elman `nn.RNN` / `nn.RNNCell` (`nonlinearity=`).
///
/// It is not stored in the weights: commands take it from `--nonlinearity`
/// or from a file that records it (an ONNX `RNN` operator's activations).
public enum Nonlinearity: String, Sendable, CaseIterable, Codable {
    /// `h' = tanh(…)`, PyTorch's default.
    case tanh
    /// `h' = relu(…)`.
    case relu
}
