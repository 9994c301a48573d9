/// Why a tensor the module lacks is needed: the module's other tensors that
/// show it (`examples`: their names, the first few printed).
public enum MissingEvidence: Equatable, Sendable, CustomStringConvertible {
    /// A higher layer exists (`examples` its tensors), so `numLayers` layers
    /// do, and every one below needs its tensors.
    case higherLayerExists(topLayer: Int, examples: [String], numLayers: Int)
    /// The module is bidirectional (`examples` its reverse tensors), and
    /// `layer` has no reverse direction.
    case bidirectional(layer: Int, examples: [String])
    /// The module has bias tensors (on `layers`; nil for a cell), so every
    /// layer and direction has both.
    case bias(layers: [Int]?)
    /// `weight_hh`'s columns are `projSize`, not `hiddenSize`: every layer
    /// and direction of this LSTM has a `weight_hr`.
    case projection(projSize: Int, hiddenSize: Int)
    /// Each direction has its own `weight_ih` and `weight_hh` (`reverseExamples`:
    /// the reverse tensors that show the module is bidirectional, nil for a forward one).
    case ownWeights(reverseExamples: [String]?)

    /// The evidence as a clause.
    public var description: String {
        switch self {
        case .higherLayerExists(let top, let examples, let numLayers):
            return "layer \(top) exists (\(Self.list(examples))), so num_layers is at least \(numLayers) "
                + "and every layer below it needs its tensors"
        case .bidirectional(let layer, let examples):
            return "the module is bidirectional (\(Self.list(examples))), so every layer has a _reverse direction "
                + "with its own weights, and layer \(layer) has none"
        case .bias(let layers):
            let where_ = layers.map { " (found on layer\($0.count == 1 ? "" : "s") \($0.map(String.init).joined(separator: ", ")) only)" } ?? ""
            return "the module has bias tensors\(where_), so it was built with bias=True, "
                + "and then every layer and direction has both bias_ih and bias_hh"
        case .projection(let projSize, let hiddenSize):
            return "weight_hh's columns are proj_size \(projSize), not hidden_size \(hiddenSize), "
                + "so this LSTM projects its state and every layer and direction has a weight_hr"
        case .ownWeights(let examples?):
            return "the module is bidirectional (\(Self.list(examples))), and each direction has its own weight_ih and weight_hh"
        case .ownWeights(nil):
            return "every layer and direction has its own weight_ih and weight_hh"
        }
    }

    /// The first two names, `…` for more.
    static func list(_ names: [String]) -> String {
        names.prefix(2).joined(separator: ", ") + (names.count > 2 ? ", …" : "")
    }
}

/// What a misshaped tensor's actual shape suggests went wrong.
public enum ShapeHint: Equatable, Sendable, CustomStringConvertible {
    /// The shape is the expected one transposed (a Keras kernel stored as is).
    case transposed
    /// The rows say `hidden_size` `rowsSay`, the module's other tensors `moduleSays`.
    case hiddenSizeDisagrees(rowsSay: Int, moduleSays: Int, mode: RNNMode, kind: ModuleKind)
    /// A reverse direction of layer 0 reads another input width than the forward one's `inputSize`.
    case reverseReadsSameInput(inputSize: Int)
    /// `columns` is one direction's width, but the layer below is bidirectional.
    case oneDirectionWidth(columns: Int, layer: Int, state: Int)
    /// `columns` is two directions' width, but the module has one.
    case twoDirectionWidth(columns: Int, state: Int)
    /// `columns` is `input_size`, which only layer 0 reads.
    case inputSizeAboveLayer0(columns: Int, layer: Int)

    /// The hint as a clause.
    public var description: String {
        switch self {
        case .transposed:
            return "it looks transposed (PyTorch stores (out_features, in_features); Keras stores the transpose)"
        case .hiddenSizeDisagrees(let rows, let module, let mode, let kind):
            let otherLayer = kind == .layer ? " layer and direction" : ""
            return "its rows say hidden_size \(rows), but the module's other tensors say \(module): "
                + "every\(otherLayer) of one \(mode.pytorchClass(kind)) shares hidden_size"
        case .reverseReadsSameInput(let inputSize):
            return "both directions of layer 0 read the same input, and the forward one says input_size \(inputSize)"
        case .oneDirectionWidth(let columns, let layer, let state):
            return "\(columns) is one direction's width, but layer \(layer - 1) is bidirectional: "
                + "layer \(layer) reads both directions' h concatenated (2·\(state) = \(2 * state))"
        case .twoDirectionWidth(let columns, let state):
            return "\(columns) = 2·\(state) would mean a bidirectional layer below, but the module has no _reverse tensors"
        case .inputSizeAboveLayer0(let columns, let layer):
            return "\(columns) is input_size, but only layer 0 reads the input; layer \(layer) reads layer \(layer - 1)'s output"
        }
    }
}

/// Why a tensor that is present has no place in the module.
public enum UnexpectedReason: Equatable, Sendable, CustomStringConvertible {
    /// `weight_hr` (LSTM's projection) in a GRU or RNN.
    case projectionNotLSTM(mode: RNNMode)
    /// `weight_hr` in an LSTM whose `weight_hh` says it does not project.
    case projectionWithoutProjSize(hiddenSize: Int, gateRows: Int)
    /// No tensor of that name exists in a module with these constructor arguments.
    case notInModule(mode: RNNMode, kind: ModuleKind, numLayers: Int, bidirectional: Bool, bias: Bool)

    /// The reason as a clause.
    public var description: String {
        switch self {
        case .projectionNotLSTM(let mode):
            return "weight_hr is LSTM's projection (proj_size); a \(mode.rawValue) has none "
                + "(the gate multiple of weight_hh says \(mode.rawValue))"
        case .projectionWithoutProjSize(let hiddenSize, let gateRows):
            return "weight_hr (proj_size) found, but weight_hh's columns equal hidden_size \(hiddenSize), "
                + "so this LSTM has no projection; with proj_size, weight_hh would be (\(gateRows), proj_size)"
        case .notInModule(let mode, let kind, let numLayers, let bidirectional, let bias):
            return "unexpected in a \(mode.pytorchClass(kind)) with num_layers=\(numLayers), "
                + "bidirectional=\(bidirectional ? "True" : "False"), bias=\(bias ? "True" : "False")"
        }
    }
}
