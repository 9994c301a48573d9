/// How an ONNX recurrent node differs from the first layer of the module it
/// would join (`ConversionError.layersDiffer`): PyTorch's layers share the
/// operator, sizes, bias and cell, and each reads the one before.
public enum StackDifference: Equatable, Sendable, CustomStringConvertible {
    /// Another operator (`LSTM` after `GRU`).
    case opType(String, first: String)
    /// Another hidden size.
    case hiddenSize(Int, first: Int)
    /// Another number of directions.
    case directions(Int, first: Int)
    /// A bias where the first layer has none, or none where it has one.
    case bias(Bool, first: Bool)
    /// Another activation (ONNX `activations` of a plain RNN).
    case activation
    /// Another cell: activations, clip, peepholes, direction or gates.
    case cell
    /// An input size other than the previous layer's output size.
    case inputSize(Int, previousOutput: Int)

    /// The difference in words.
    public var description: String {
        switch self {
        case .opType(let opType, let first): return "operator \(opType) after \(first)"
        case .hiddenSize(let size, let first): return "hidden size \(size) after \(first)"
        case .directions(let count, let first): return "\(count) direction(s) after \(first)"
        case .bias(let bias, let first): return "bias \(bias) after \(first)"
        case .activation: return "a different activation"
        case .cell: return "a different cell (activations, clip, peepholes, direction or gates)"
        case .inputSize(let size, let previous): return "input size \(size), but the layer before outputs \(previous)"
        }
    }
}
