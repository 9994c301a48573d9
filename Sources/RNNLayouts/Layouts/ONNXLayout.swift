import Foundation

/// How PyTorch's recurrent parameters map onto the standard ONNX `LSTM`,
/// `GRU` and `RNN` operators (opset 14 and later), one operator per layer.
///
/// Per layer, the operator takes
/// - `W` `(directions, gates·hidden, layer input)`: `weight_ih_l{k}` and
///   `weight_ih_l{k}_reverse` stacked, gate blocks reordered;
/// - `R` `(directions, gates·hidden, hidden)`: `weight_hh_l{k}[_reverse]` likewise;
/// - `B` `(directions, 2·gates·hidden)`: per direction `[bias_ih, bias_hh]`,
///   each reordered; absent when `bias=False`.
///
/// Gate blocks: ONNX LSTM is `i, o, f, c` where PyTorch is `i, f, g, o`;
/// ONNX GRU is `z, r, h` where PyTorch is `r, z, n` (and a PyTorch GRU needs
/// `linear_before_reset=1`); RNN has one block. The reordering moves whole
/// row blocks, so the bytes of every row survive unchanged.
public enum ONNXLayout {
    /// The ONNX operator for `mode`: `LSTM`, `GRU` or `RNN`.
    public static func operatorName(_ mode: RNNMode) -> String {
        switch mode {
        case .lstm: return "LSTM"
        case .gru: return "GRU"
        case .rnn: return "RNN"
        }
    }

    /// The mode whose ONNX operator is `name`, if any.
    public static func mode(ofOperator name: String) -> RNNMode? {
        RNNMode.allCases.first { operatorName($0) == name }
    }

    /// The gate blocks in ONNX's row order.
    public static func gateNames(_ mode: RNNMode) -> [String] {
        switch mode {
        case .lstm: return ["i", "o", "f", "c"]
        case .gru: return ["z", "r", "h"]
        case .rnn: return ["h"]
        }
    }

    /// For each ONNX gate block, the index of the PyTorch block it holds:
    /// LSTM `[0, 3, 1, 2]` (i←i, o←o, f←f, c←g), GRU `[1, 0, 2]`
    /// (z←z, r←r, h←n), RNN `[0]`.
    public static func pytorchBlock(forONNXBlock mode: RNNMode) -> [Int] {
        switch mode {
        case .lstm: return [0, 3, 1, 2]
        case .gru: return [1, 0, 2]
        case .rnn: return [0]
        }
    }

    /// For each PyTorch gate block, the index of the ONNX block it goes to
    /// (the inverse of `pytorchBlock(forONNXBlock:)`).
    public static func onnxBlock(forPyTorchBlock mode: RNNMode) -> [Int] {
        let forward = pytorchBlock(forONNXBlock: mode)
        var inverse = [Int](repeating: 0, count: forward.count)
        for (onnx, pytorch) in forward.enumerated() { inverse[pytorch] = onnx }
        return inverse
    }

    /// Reorders the gate blocks of a PyTorch weight or bias (blocks along the
    /// first axis, in `i, f, g, o` / `r, z, n` order) into ONNX's order.
    /// `data` holds `mode.gateCount` equal blocks; any element type.
    public static func pytorchToONNX(_ data: Data, mode: RNNMode) -> Data {
        reorderBlocks(data, taking: pytorchBlock(forONNXBlock: mode))
    }

    /// Reorders ONNX-ordered gate blocks back into PyTorch's order.
    public static func onnxToPyTorch(_ data: Data, mode: RNNMode) -> Data {
        reorderBlocks(data, taking: onnxBlock(forPyTorchBlock: mode))
    }

    /// Builds a new buffer whose block `k` is block `order[k]` of `data`,
    /// cutting `data` into `order.count` equal blocks. When the size does not
    /// divide evenly the data is returned unchanged (callers check shapes first).
    public static func reorderBlocks(_ data: Data, taking order: [Int]) -> Data {
        guard !order.isEmpty, data.count % order.count == 0 else { return data }
        let size = data.count / order.count
        var result = Data(capacity: data.count)
        for source in order {
            let start = data.startIndex + source * size
            result.append(data[start ..< start + size])
        }
        return result
    }

    /// Shape of the operator's `W` input for `layer`: `(directions, gates·hidden, layer input)`.
    public static func weightShape(_ architecture: RNNArchitecture, layer: Int) -> [Int] {
        [architecture.directions, architecture.gateRows, architecture.layerInputSize(layer)]
    }

    /// Shape of the operator's `R` input: `(directions, gates·hidden, hidden)`.
    public static func recurrenceShape(_ architecture: RNNArchitecture) -> [Int] {
        [architecture.directions, architecture.gateRows, architecture.hiddenSize]
    }

    /// Shape of the operator's `B` input: `(directions, 2·gates·hidden)`.
    public static func biasShape(_ architecture: RNNArchitecture) -> [Int] {
        [architecture.directions, 2 * architecture.gateRows]
    }
}
