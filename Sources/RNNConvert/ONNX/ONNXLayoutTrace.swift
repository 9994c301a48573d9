import Foundation
import ONNXProto
import RNNLayouts
import TensorFiles

/// Decides the layout of a recurrent module's own input (what `rnnkit run
/// --input` feeds it) by following the first node's `X` back through the graph.
///
/// The walk keeps the positions of the time and batch axes while it passes
/// ops that move axes predictably (Transpose, Squeeze, Unsqueeze, Reshape
/// keeping the two leading axes, Identity, Cast, Dropout, elementwise ops
/// with a bias-like constant, MatMul by a constant, an embedding `Gather`
/// whose indices are followed, a `Gather` reordering the batch). The first
/// Transpose that swaps time and batch decides the layout (how
/// torch.onnx.export writes `batch_first=True`: the module's input is that
/// Transpose's input); past it the walk only looks for a `Gather` reordering
/// the batch (`pack_padded_sequence(batch_first=True)` sorts before the
/// Transpose) and ends quietly at what it cannot pass. Before it, the walk
/// ends at a graph input or another recurrent node's output; anything else
/// leaves the layout unknown, and so does a batch reordering it cannot read.
struct ONNXLayoutTrace {
    /// Whether the module's input puts the batch first; nil when unknown.
    var batchFirst: Bool?
    /// Why the layout is unknown: the node the walk could not pass.
    var stoppedAt: String?
    /// The node `X`'s batch entries come from (`X[:, i]` is the module
    /// input's entry `batchOrder[i]`) when a `Gather` reorders the batch.
    var batchOrder: [Int]?

    static let unaryOps: Set<String> = [
        "Identity", "Cast", "Dropout", "Relu", "Tanh", "Sigmoid", "Neg", "Abs", "Exp", "Log", "Sqrt", "Erf",
        "LeakyRelu", "Elu", "Selu", "Softsign", "Softplus", "HardSigmoid", "Gelu", "Clip",
    ]
    static let elementwiseOps: Set<String> = ["Add", "Sub", "Mul", "Div"]

    /// Traces the `X` of `node` (`layout=1` when `batchMajor`).
    static func trace(_ node: Onnx_NodeProto, batchMajor: Bool, evaluator: inout ONNXConstantEvaluator) -> ONNXLayoutTrace {
        guard var name = node.input.first, !name.isEmpty else { return ONNXLayoutTrace(stoppedAt: "no input X") }
        var time = batchMajor ? 1 : 0
        var batch = batchMajor ? 0 : 1
        var rank: Int? = 3
        var order: [Int]?
        // Set by the Transpose that swaps time and batch; the walk goes on only to find a Gather reordering the batch.
        var decided: Bool?
        func done(_ first: Bool?, _ stop: String? = nil) -> ONNXLayoutTrace {
            if let decided { return ONNXLayoutTrace(batchFirst: decided, batchOrder: order) }
            return ONNXLayoutTrace(batchFirst: first, stoppedAt: stop, batchOrder: order)
        }
        func constant(_ name: String) -> Tensor? {
            guard !name.isEmpty, evaluator.producer(of: name) != nil || evaluator.isInitializer(name) else { return nil }
            return try? evaluator.value(name)
        }
        func integers(_ node: Onnx_NodeProto, input: Int, attribute: String) -> [Int]? {
            if input < node.input.count, let tensor = constant(node.input[input]), let values = try? tensor.int64s() {
                return values.map { Int(clamping: $0) }
            }
            return ONNXAttributes(node).ints(attribute)
        }
        for _ in 0 ..< 256 {
            guard let (producer, output) = evaluator.producer(of: name) else {
                // A graph (or subgraph) input: the module reads it as it is.
                return evaluator.isInitializer(name) ? done(nil, "the stored tensor '\(name)'") : done(time > batch)
            }
            let op = producer.opType
            let stop = done(nil, ONNXGraphScope.describe(producer))
            let inputs = producer.input
            if ONNXLayout.mode(ofOperator: op) != nil {
                // Y of another recurrent node: (T, D, B, H), or (B, T, D, H) with layout=1.
                guard output == 0 else { return stop }
                let major = ONNXAttributes(producer).int("layout") == 1
                let (yTime, yBatch) = major ? (1, 0) : (0, 2)
                guard [time, batch].sorted() == [yTime, yBatch].sorted() else { return stop }
                return done(time > batch)
            }
            switch op {
            case _ where unaryOps.contains(op):
                guard let input = inputs.first else { return stop }
                name = input
            case _ where elementwiseOps.contains(op):
                guard inputs.count == 2 else { return stop }
                let constants = inputs.map { constant($0) }
                guard let index = constants.firstIndex(where: { $0 == nil }), constants.count(where: { $0 == nil }) == 1,
                      let other = constants[1 - index], other.shape.count <= 1
                else { return stop }
                name = inputs[index]
            case "MatMul":
                guard inputs.count == 2, let b = constant(inputs[1]), b.shape.count == 2, let rank, max(time, batch) < rank - 1 else { return stop }
                name = inputs[0]
            case "Transpose":
                guard let perm = ONNXAttributes(producer).ints("perm"), time < perm.count, batch < perm.count,
                      let input = inputs.first
                else { return stop }
                let swapped = (perm[time] > perm[batch]) != (time > batch)
                (time, batch) = (perm[time], perm[batch])
                if swapped, decided == nil { decided = time > batch }
                name = input
            case "Squeeze":
                guard let axes = integers(producer, input: 1, attribute: "axes"), axes.allSatisfy({ $0 >= 0 }), let input = inputs.first else { return stop }
                for axis in axes.sorted() {
                    if axis <= time { time += 1 }
                    if axis <= batch { batch += 1 }
                }
                rank = rank.map { $0 + axes.count }
                name = input
            case "Unsqueeze":
                guard let axes = integers(producer, input: 1, attribute: "axes"), axes.allSatisfy({ $0 >= 0 }),
                      !axes.contains(time), !axes.contains(batch), let input = inputs.first
                else { return stop }
                time -= axes.count(where: { $0 < time })
                batch -= axes.count(where: { $0 < batch })
                rank = rank.map { $0 - axes.count }
                name = input
            case "Reshape":
                // Only `[0, 0, …]` shapes keep the two leading axes where they are.
                guard inputs.count == 2, let shape = integers(producer, input: 1, attribute: "shape"),
                      ONNXAttributes(producer).int("allowzero") != 1, max(time, batch) < shape.count,
                      shape[...max(time, batch)].allSatisfy({ $0 == 0 })
                else { return stop }
                rank = nil
                name = inputs[0]
            case "Gather":
                guard inputs.count == 2 else { return stop }
                let axis = ONNXAttributes(producer).int("axis") ?? 0
                if let table = constant(inputs[0]) {
                    // An embedding: the output's leading axes are the indices' axes.
                    guard axis == 0, let outputRank = rank else { return stop }
                    let indicesRank = outputRank - (table.shape.count - 1)
                    guard max(time, batch) < indicesRank else { return stop }
                    rank = indicesRank
                    name = inputs[1]
                } else if let indices = constant(inputs[1]), indices.shape.count == 1, axis == batch || axis != time,
                          let values = try? indices.int64s().map({ Int(clamping: $0) }) {
                    // Reordering the batch (pack_padded_sequence sorting by length), or another axis.
                    if axis == batch {
                        guard Set(values) == Set(0 ..< values.count) else { return ONNXLayoutTrace(stoppedAt: ONNXGraphScope.describe(producer)) }
                        order = order.map { current in current.map { values[$0] } } ?? values
                    }
                    name = inputs[0]
                } else if axis == batch {
                    // The batch reordered by indices rnnkit cannot read: which entry is which is unknown.
                    return ONNXLayoutTrace(stoppedAt: ONNXGraphScope.describe(producer))
                } else {
                    return stop
                }
            default:
                return stop
            }
        }
        return done(nil, "a path longer than 256 nodes")
    }
}
