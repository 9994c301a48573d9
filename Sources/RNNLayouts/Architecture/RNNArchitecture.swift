import TensorFiles

/// The hyper-parameters of one PyTorch recurrent module, as its constructor
/// takes them: what `nn.LSTM(input_size, hidden_size, num_layers, bias,
/// batch_first, dropout, bidirectional, proj_size)` would rebuild.
///
/// `batch_first`, `dropout` and an RNN's `nonlinearity` are not stored in
/// weights and are therefore not part of the architecture.
public struct RNNArchitecture: Equatable, Hashable, Sendable {
    /// RNN, GRU or LSTM.
    public var mode: RNNMode
    /// A layer stack or a single cell.
    public var kind: ModuleKind
    /// Features of the input `x` (layer 0).
    public var inputSize: Int
    /// Features of the hidden state `h` (and `c`).
    public var hiddenSize: Int
    /// LSTM projection size; 0 when there is no projection.
    public var projSize: Int
    /// Stacked layers (1 for a cell).
    public var numLayers: Int
    /// Whether every layer has a reverse direction.
    public var bidirectional: Bool
    /// Whether the module has `bias_ih` / `bias_hh`.
    public var bias: Bool
    /// The weights' element type.
    public var dtype: DType
    /// What the cell computes beyond PyTorch's (ONNX and Keras options);
    /// `.pytorch` for PyTorch's cell. Weights do not record it: a reader of
    /// an ONNX or Keras file sets it from the file.
    public var variant: CellVariant = .pytorch

    /// Creates an architecture description.
    public init(
        mode: RNNMode, kind: ModuleKind = .layer, inputSize: Int, hiddenSize: Int,
        projSize: Int = 0, numLayers: Int = 1, bidirectional: Bool = false, bias: Bool = true,
        dtype: DType = .float32
    ) {
        self.mode = mode
        self.kind = kind
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.projSize = projSize
        self.numLayers = numLayers
        self.bidirectional = bidirectional
        self.bias = bias
        self.dtype = dtype
    }

    /// 2 when bidirectional, else 1.
    public var directions: Int { bidirectional ? 2 : 1 }

    /// Rows of `weight_ih` / `weight_hh`: `gates · hidden_size`.
    public var gateRows: Int { mode.gateCount * hiddenSize }

    /// Width of `h` per direction: `proj_size` if set, else `hidden_size`.
    public var stateSize: Int { projSize > 0 ? projSize : hiddenSize }

    /// Width of `output`'s last dimension: `directions · (proj_size or hidden_size)`,
    /// or one direction's width when the directions are summed, multiplied
    /// or averaged (`variant.merge`).
    public var outputSize: Int { bidirectional && variant.merge != .concat ? stateSize : directions * stateSize }

    /// Features each layer reads: `input_size` for layer 0, the previous
    /// layer's concatenated directions afterwards.
    public func layerInputSize(_ layer: Int) -> Int {
        layer == 0 ? inputSize : outputSize
    }

    /// Every parameter the module must have, in PyTorch's order.
    public var parameterNames: [ParameterName] {
        var roles: [ParameterName.Role] = [.weightIH, .weightHH]
        if bias { roles += [.biasIH, .biasHH] }
        if kind == .cell {
            return roles.map { ParameterName($0, layer: nil) }
        }
        if projSize > 0 { roles.append(.weightHR) }
        var names: [ParameterName] = []
        for layer in 0 ..< numLayers {
            for direction in 0 ..< directions {
                names += roles.map { ParameterName($0, layer: layer, reverse: direction == 1) }
            }
        }
        return names
    }

    /// The shape PyTorch gives `parameter` in this architecture.
    public func expectedShape(of parameter: ParameterName) -> [Int] {
        let layer = parameter.layer ?? 0
        switch parameter.role {
        case .weightIH: return [gateRows, layerInputSize(layer)]
        case .weightHH: return [gateRows, stateSize]
        case .biasIH, .biasHH: return [gateRows]
        case .weightHR: return [projSize, hiddenSize]
        }
    }

    /// Why `parameter` has the shape `expectedShape(of:)` gives: the
    /// quantities of this architecture that fix its dimensions.
    public func shapeReason(of parameter: ParameterName) -> ShapeReason {
        let layer = parameter.layer ?? 0
        let gates = ShapeReason.Quantity.gates(mode, hiddenSize: hiddenSize)
        switch parameter.role {
        case .weightIH:
            let merged = directions == 2 && variant.merge != .concat ? variant.merge : nil
            return .matrix(rows: gates, columns: layer == 0
                ? .inputSize(inputSize)
                : .layerOutput(layer: layer - 1, directions: directions, stateSize: stateSize, merge: merged))
        case .weightHH:
            return .matrix(rows: gates, columns: projSize > 0 ? .projSize(projSize) : .hiddenSize(hiddenSize))
        case .biasIH, .biasHH:
            return .biasPerRow(gates)
        case .weightHR:
            return .projection(hiddenSize: hiddenSize, projSize: projSize)
        }
    }

    /// Number of scalar parameters (what `sum(p.numel() for p in m.parameters())` gives).
    public var parameterCount: Int {
        parameterNames.reduce(0) { $0 + expectedShape(of: $1).reduce(1, *) }
    }
}
