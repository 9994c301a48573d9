import Foundation
import ONNXProto
import RNNLayouts
import TensorFiles

/// One ONNX `LSTM` / `GRU` / `RNN` node read back as one PyTorch layer:
/// its sizes, its weights and what PyTorch needs to know to run it.
struct ONNXRecurrentNode {
    var node: Onnx_NodeProto
    var mode: RNNMode
    var hiddenSize: Int
    var directions: Int
    var inputSize: Int
    /// `W` `(directions, gates·hidden, input)`, `R` `(directions, gates·hidden, hidden)`, `B` `(directions, 2·gates·hidden)`.
    var w: Tensor
    var r: Tensor
    var b: Tensor?
    /// The activation of an `RNN` node.
    var nonlinearity: Nonlinearity?
    /// `layout=1`: the node reads `(B, T, F)`.
    var batchMajor: Bool
    /// Which graph the node sits in (an index into the importer's scopes).
    var scope = 0
    /// `initial_h`, `initial_c` and `sequence_lens` as the file gives them.
    var initialH: ONNXStoredInput = .absent
    var initialC: ONNXStoredInput = .absent
    var sequenceLengths: ONNXStoredInput = .absent

    /// Reads `node`, refusing what a PyTorch module cannot express.
    init(_ node: Onnx_NodeProto, mode: RNNMode, evaluator: inout ONNXConstantEvaluator, place: String = "") throws {
        let label = ONNXGraphScope.describe(node) + (place.isEmpty ? "" : " (in \(place))")
        func refuse(_ why: String) -> ConversionError {
            ConversionError("\(evaluator.file): \(label): \(why)")
        }
        if let why = ONNXOperatorTable.refusal(node) { throw refuse(why) }
        let attributes = ONNXAttributes(node)
        self.node = node
        self.mode = mode
        self.batchMajor = attributes.int("layout") == 1

        let direction = attributes.string("direction") ?? "forward"
        switch direction {
        case "forward": directions = 1
        case "bidirectional": directions = 2
        case "reverse":
            throw refuse("direction=reverse (a reverse-only layer) has no PyTorch equivalent")
        default:
            throw refuse("unknown direction '\(direction)'")
        }
        if mode == .gru, attributes.int("linear_before_reset") != 1 {
            throw refuse("linear_before_reset=\(attributes.int("linear_before_reset") ?? 0): this GRU applies the reset gate before "
                + "the recurrent matrix (r⊙h)·R; PyTorch's GRU computes r⊙(h·R + b) and needs linear_before_reset=1")
        }
        nonlinearity = try Self.nonlinearity(mode, attributes.strings("activations"), directions: directions, refuse: refuse)

        // Weights.
        func weight(_ index: Int, _ role: String) throws -> Tensor? {
            guard index < node.input.count, !node.input[index].isEmpty else { return nil }
            do {
                return try evaluator.value(node.input[index])
            } catch let error as ConversionError {
                throw refuse("cannot read \(role) ('\(node.input[index])'): \(error.message)")
            }
        }
        guard let w = try weight(1, "W"), let r = try weight(2, "R") else {
            throw refuse("W and R are required inputs")
        }
        self.w = w
        self.r = r
        self.b = try weight(3, "B")
        let gates = mode.gateCount
        guard r.shape.count == 3, r.shape[0] == directions, r.shape[2] > 0, r.shape[1] == gates * r.shape[2] else {
            throw refuse("R has shape \(shapeText(r.shape)); expected (\(directions), \(gates)·hidden, hidden)")
        }
        hiddenSize = r.shape[2]
        if let declared = attributes.int("hidden_size"), declared != hiddenSize {
            throw refuse("hidden_size=\(declared) but R has shape \(shapeText(r.shape))")
        }
        guard w.shape.count == 3, w.shape[0] == directions, w.shape[1] == gates * hiddenSize else {
            throw refuse("W has shape \(shapeText(w.shape)); expected (\(directions), \(gates * hiddenSize), input_size)")
        }
        inputSize = w.shape[2]
        if let b, b.shape != [directions, 2 * gates * hiddenSize] {
            throw refuse("B has shape \(shapeText(b.shape)); expected (\(directions), \(2 * gates * hiddenSize))")
        }
        for (name, tensor) in [("W", w), ("R", r), ("B", b)] {
            if let tensor, !tensor.dtype.isFloatingPoint {
                throw refuse("\(name) is \(tensor.dtype.rawValue); weights must be floating point")
            }
        }
        if mode == .lstm, let peepholes = try weight(7, "P"), try peepholes.doubles().contains(where: { $0 != 0 }) {
            throw refuse("has non-zero peephole weights P; PyTorch's LSTM has no peepholes")
        }
        // Stored initial state and lengths (run's defaults).
        func stored(_ index: Int, _ role: String) throws -> ONNXStoredInput {
            do {
                return try ONNXStoredInput.read(node, input: index, evaluator: &evaluator)
            } catch let error as ConversionError {
                throw refuse("cannot read \(role) ('\(node.input[index])'): \(error.message)")
            }
        }
        initialH = try stored(5, "initial_h")
        if mode == .lstm { initialC = try stored(6, "initial_c") }
        sequenceLengths = try stored(4, "sequence_lens")
        for (role, value, width) in [("initial_h", initialH, hiddenSize), ("initial_c", initialC, hiddenSize)] {
            if case .stored(let tensor) = value {
                guard tensor.dtype.isFloatingPoint, tensor.shape.count == 3, tensor.shape[0] == directions, tensor.shape[2] == width,
                      tensor.shape[1] >= 1
                else {
                    throw refuse("\(role) is \(tensor.dtype.rawValue) \(shapeText(tensor.shape)); expected floating point (\(directions), batch, \(width))")
                }
            }
        }
        if case .stored(let lengths) = sequenceLengths {
            guard !lengths.dtype.isFloatingPoint, lengths.shape.count == 1 else {
                throw refuse("sequence_lens is \(lengths.dtype.rawValue) \(shapeText(lengths.shape)); expected integers of shape (batch,)")
            }
        }
    }

    /// The activation an `RNN` node uses (nil for LSTM/GRU), after checking
    /// that LSTM/GRU activations are the standard ones.
    private static func nonlinearity(
        _ mode: RNNMode, _ given: [String]?, directions: Int, refuse: (String) -> ConversionError
    ) throws -> Nonlinearity? {
        let standard: [String]
        switch mode {
        case .lstm: standard = ["sigmoid", "tanh", "tanh"]
        case .gru: standard = ["sigmoid", "tanh"]
        case .rnn: standard = ["tanh"]
        }
        guard let given, !given.isEmpty else { return mode == .rnn ? .tanh : nil }
        let lowered = given.map { $0.lowercased() }
        let perDirection = lowered.count == standard.count * directions
            ? (0 ..< directions).map { Array(lowered[$0 * standard.count ..< ($0 + 1) * standard.count]) }
            : [lowered]
        guard perDirection.allSatisfy({ $0.count == standard.count }), Set(perDirection).count == 1 else {
            throw refuse("activations \(given) do not give every direction the same \(standard.count) function(s)")
        }
        let activations = perDirection[0]
        if mode == .rnn {
            guard let nonlinearity = Nonlinearity(rawValue: activations[0]) else {
                throw refuse("activation \(given[0]): PyTorch's RNN has tanh or relu only")
            }
            return nonlinearity
        }
        guard activations == standard else {
            throw refuse("activations \(given): PyTorch's \(mode.rawValue) uses \(standard.joined(separator: ", ")) only")
        }
        return nil
    }

    /// The PyTorch tensors of this node as layer `layer` of a module
    /// (`weight_ih_l{layer}`, …, `_reverse`), or as a cell (`weight_ih`, …).
    func parameters(layer: Int?) throws -> [(ParameterName, Tensor)] {
        let rows = mode.gateCount * hiddenSize
        var result: [(ParameterName, Tensor)] = []
        for direction in 0 ..< directions {
            func block(_ tensor: Tensor, part: Int, of parts: Int, shape: [Int]) throws -> Tensor {
                let data = try tensor.data()
                let size = data.count / directions / parts
                let start = data.startIndex + (direction * parts + part) * size
                let onnx = data[start ..< start + size]
                return try Tensor(dtype: tensor.dtype, shape: shape, data: ONNXLayout.onnxToPyTorch(Data(onnx), mode: mode))
            }
            let reverse = direction == 1
            result.append((ParameterName(.weightIH, layer: layer, reverse: reverse), try block(w, part: 0, of: 1, shape: [rows, inputSize])))
            result.append((ParameterName(.weightHH, layer: layer, reverse: reverse), try block(r, part: 0, of: 1, shape: [rows, hiddenSize])))
            if let b {
                result.append((ParameterName(.biasIH, layer: layer, reverse: reverse), try block(b, part: 0, of: 2, shape: [rows])))
                result.append((ParameterName(.biasHH, layer: layer, reverse: reverse), try block(b, part: 1, of: 2, shape: [rows])))
            }
        }
        return result
    }
}
