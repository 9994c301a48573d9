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
    /// The activation of an `RNN` node, when it is tanh or relu.
    var nonlinearity: Nonlinearity?
    /// What the node's cell computes beyond PyTorch's (activations, clip,
    /// input_forget, linear_before_reset=0, direction=reverse, peepholes).
    var variant = CellVariant.pytorch
    /// LSTM: each direction's non-zero peepholes `P` (3·hidden), by direction.
    var peepholes: [Int: Tensor] = [:]
    /// `layout=1`: the node reads `(B, T, F)`.
    var batchMajor: Bool
    /// Which graph the node sits in (an index into the importer's scopes).
    var scope = 0
    /// `initial_h`, `initial_c` and `sequence_lens` as the file gives them.
    var initialH: ONNXStoredInput = .absent
    var initialC: ONNXStoredInput = .absent
    var sequenceLengths: ONNXStoredInput = .absent
    /// Initializers the weights (W, R, B, P) are read from that are also
    /// graph inputs: a caller may feed others; rnnkit uses the stored ones.
    var overridableWeights: [String] = []

    /// The recurrent node (described) whose outputs this node's initial
    /// state is computed from, if any: such a node starts from another's
    /// final state, not from its own slice of a module's `h0`.
    var stateSource: String? {
        for value in [initialH, initialC] {
            if case .recurrent(let source) = value { return source }
        }
        return nil
    }

    /// Reads `node`, refusing what a PyTorch module cannot express.
    init(_ node: Onnx_NodeProto, mode: RNNMode, evaluator: inout ONNXConstantEvaluator, place: String = "") throws {
        let label = ONNXGraphScope.describe(node) + (place.isEmpty ? "" : " (in \(place))")
        func refuse(_ why: NodeRefusal) -> ConversionError {
            ConversionError.refusedNode(file: evaluator.file, node: label, reason: why)
        }
        if let why = ONNXOperatorTable.refusal(node) { throw refuse(why) }
        let attributes = ONNXAttributes(node)
        self.node = node
        self.mode = mode
        self.batchMajor = attributes.int("layout") == 1

        let direction = attributes.string("direction") ?? "forward"
        switch direction {
        case "forward", "reverse": directions = 1
        case "bidirectional": directions = 2
        default:
            throw refuse(.unknownDirection(direction))
        }
        (variant, nonlinearity) = try ONNXVariant.read(attributes, mode: mode, directions: directions, reverse: direction == "reverse",
                                                       refuse: refuse)

        // Weights.
        func weight(_ index: Int, _ role: String) throws -> Tensor? {
            guard index < node.input.count, !node.input[index].isEmpty else { return nil }
            do {
                return try evaluator.value(node.input[index])
            } catch let error as ConversionError {
                throw ConversionError.nodeInput(file: evaluator.file, node: label, role: role, input: node.input[index], error)
            }
        }
        guard let w = try weight(1, "W"), let r = try weight(2, "R") else {
            throw refuse(.weightsRequired)
        }
        self.w = w
        self.r = r
        self.b = try weight(3, "B")
        overridableWeights = Array(Set([1, 2, 3, 7].filter { $0 < node.input.count && !node.input[$0].isEmpty }
            .flatMap { evaluator.overridableInitializers(of: node.input[$0]) })).sorted()
        let gates = mode.gateCount
        guard r.shape.count == 3, r.shape[0] == directions, r.shape[2] > 0, r.shape[2] <= Int(Int32.max),  // bounds gates·hidden below
              r.shape[1] == gates * r.shape[2] else {
            throw refuse(.recurrenceShape(r.shape, directions: directions, gates: gates))
        }
        hiddenSize = r.shape[2]
        if let declared = attributes.int("hidden_size"), declared != hiddenSize {
            throw refuse(.hiddenSize(declared: declared, recurrence: r.shape))
        }
        guard w.shape.count == 3, w.shape[0] == directions, w.shape[1] == gates * hiddenSize else {
            throw refuse(.inputWeightShape(w.shape, directions: directions, rows: gates * hiddenSize))
        }
        inputSize = w.shape[2]
        if let b, b.shape != [directions, 2 * gates * hiddenSize] {
            throw refuse(.biasShape(b.shape, directions: directions, width: 2 * gates * hiddenSize))
        }
        for (name, tensor) in [("W", w), ("R", r), ("B", b)] {
            if let tensor, !tensor.dtype.isFloatingPoint {
                throw refuse(.notFloatingPoint(tensor: name, dtype: tensor.dtype))
            }
        }
        if mode == .lstm, let p = try weight(7, "P") {
            for direction in 0 ..< directions {
                peepholes[direction] = try ONNXVariant.peephole(p, direction: direction, directions: directions, hidden: hiddenSize, refuse: refuse)
            }
            // All-zero peepholes compute PyTorch's cell.
            variant.peepholes = !peepholes.isEmpty
            if variant.peepholes {
                for direction in 0 ..< directions where peepholes[direction] == nil {
                    peepholes[direction] = try Tensor(dtype: p.dtype, shape: [3 * hiddenSize], data: Data(count: 3 * hiddenSize * p.dtype.itemSize))
                }
            }
        }
        // Stored initial state and lengths (run's defaults).
        func stored(_ index: Int, _ role: String) throws -> ONNXStoredInput {
            do {
                return try ONNXStoredInput.read(node, input: index, evaluator: &evaluator)
            } catch let error as ConversionError {
                throw ConversionError.nodeInput(file: evaluator.file, node: label, role: role, input: node.input[index], error)
            }
        }
        // With layout=1 ONNX stores a state as (batch, directions, hidden): read it as (directions, batch, hidden).
        func directionsFirst(_ tensor: Tensor) throws -> Tensor {
            guard batchMajor, tensor.shape.count == 3 else { return tensor }
            return try TensorMovement.transpose(tensor, perm: [1, 0, 2])
        }
        func state(_ index: Int, _ role: String) throws -> ONNXStoredInput {
            let value = try stored(index, role)
            guard case .stored(let tensor) = value else { return value }
            return .stored(try directionsFirst(tensor))
        }
        initialH = try state(5, "initial_h")
        if mode == .lstm { initialC = try state(6, "initial_c") }
        sequenceLengths = try stored(4, "sequence_lens")
        for (role, value, width, index) in [("initial_h", initialH, hiddenSize, 5), ("initial_c", initialC, hiddenSize, 6)] {
            // A state of zeros is no state, but its shape must still fit: the dynamo exporter writes an
            // LSTM with proj_size as a node of hidden_size proj_size whose initial_c keeps the cell's
            // width (onnxruntime refuses it; the projection weights are lost).
            var constant: Tensor?
            if case .stored(let tensor) = value { constant = tensor }
            if case .absent = value, index < node.input.count, !node.input[index].isEmpty {
                constant = try (try? evaluator.value(node.input[index])).map(directionsFirst)
            }
            if let tensor = constant {
                guard tensor.dtype.isFloatingPoint, tensor.shape.count == 3, tensor.shape[0] == directions, tensor.shape[2] == width,
                      tensor.shape[1] >= 1
                else {
                    throw refuse(.stateShape(role: role, dtype: tensor.dtype, shape: tensor.shape, directions: directions, width: width))
                }
            }
        }
        if case .stored(let lengths) = sequenceLengths {
            guard !lengths.dtype.isFloatingPoint, lengths.shape.count == 1 else {
                throw refuse(.lengthsShape(dtype: lengths.dtype, shape: lengths.shape))
            }
        }
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
