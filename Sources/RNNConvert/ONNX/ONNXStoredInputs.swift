import Foundation
import ONNXProto
import RNNLayouts
import TensorFiles

/// What feeds one optional input of a recurrent node (`initial_h`,
/// `initial_c`, `sequence_lens`).
enum ONNXStoredInput {
    /// Not given, or a state of zeros (what the node does without it).
    case absent
    /// A value stored in the file: an initializer or `Constant`, possibly
    /// routed through data movement. A state's batch dimension may be 1
    /// where the graph broadcasts it (`Expand`) to the batch.
    case stored(Tensor)
    /// Computed from the graph's (or subgraph's) input `name` at run time.
    case runtime(String)
    /// Computed from the outputs of another recurrent node (`node`,
    /// described): an encoder's final state starting a decoder.
    case recurrent(node: String)

    /// Reads input `index` of `node`.
    ///
    /// - Throws: `ConversionError` when the value is neither stored nor
    ///   traceable to a graph input (computed by an op rnnkit cannot evaluate
    ///   from stored data alone): using zeros instead would be a guess.
    static func read(_ node: Onnx_NodeProto, input index: Int, evaluator: inout ONNXConstantEvaluator) throws -> ONNXStoredInput {
        guard index < node.input.count, !node.input[index].isEmpty else { return .absent }
        var visited = 0
        return try value(node.input[index], evaluator: &evaluator, visited: &visited)
    }

    private static func value(_ name: String, evaluator: inout ONNXConstantEvaluator, visited: inout Int) throws -> ONNXStoredInput {
        visited += 1
        guard visited < 512 else { throw ConversionError.graph(.tooDeep(value: name, limit: 512)) }
        let evaluated = Result { try evaluator.value(name) }
        if case .success(let tensor) = evaluated {
            if tensor.dtype.isFloatingPoint, try tensor.doubles().allSatisfy({ $0 == 0 }) { return .absent }
            return .stored(tensor)
        }
        guard let (node, _) = evaluator.producer(of: name) else {
            if evaluator.isInitializer(name) { _ = try evaluator.value(name) }  // rethrows the reader's error
            return .runtime(name)
        }
        if ONNXLayout.mode(ofOperator: node.opType) != nil { return .recurrent(node: ONNXGraphScope.describe(node)) }
        func first() throws -> ONNXStoredInput {
            guard let input = node.input.first, !input.isEmpty else { return .absent }
            return try value(input, evaluator: &evaluator, visited: &visited)
        }
        switch node.opType {
        case "Identity", "Dropout":
            return try first()
        case "Cast":
            // Only float-to-float casts keep a state's value; let the evaluator decide the rest.
            if case .stored(let tensor) = try first() {
                let target = ONNXTensorCoding.dtype(of: Int32(ONNXAttributes(node).int("to") ?? 0))
                guard let target, target.isFloatingPoint, tensor.dtype.isFloatingPoint else { break }
                return .stored(try tensor.converted(to: target))
            }
            return try first()
        case "Expand":
            // Broadcasting a stored state over the batch: the state, with batch 1.
            return try first()
        case "ConstantOfShape":
            if let fill = ONNXAttributes(node).tensor("value") {
                let tensor = try ONNXTensorCoding.tensor(from: fill, file: evaluator.file)
                guard try tensor.doubles().allSatisfy({ $0 == 0 }) else { break }
            }
            return .absent
        case "Gather":
            // The batch sort of pack_padded_sequence exports applied to a state broadcast from batch 1 (a learned
            // h0 Expand-ed to the batch): every sequence gets the same state, so the sort changes nothing.
            let inner = try first()
            if case .absent = inner { return inner }
            guard case .stored(let tensor) = inner, tensor.shape.count == 3, tensor.shape[1] == 1,
                  (ONNXAttributes(node).int("axis") ?? 0) % 3 == 1 else { break }
            return inner
        case "Slice":
            let inner = try first()
            guard case .stored(let tensor) = inner else { return inner }
            return .stored(try slice(tensor, node, evaluator: &evaluator))
        default:
            break
        }
        if let origin = origin(of: name, evaluator: evaluator) { return origin }
        // A node the evaluator follows failed further up (a Gather whose indices a TopK computes): its reason, not the node's.
        if ONNXConstantEvaluator.supportedOps.contains(node.opType), case .failure(let error) = evaluated { throw error }
        throw ConversionError.graph(.unfollowedNode(value: name, node: ONNXGraphScope.describe(node), followed: ONNXConstantEvaluator.supportedOps + ["Expand", "ConstantOfShape"]))
    }

    /// Slices a stored state with constant bounds, leaving an axis of size 1
    /// (a batch broadcast later) whole.
    private static func slice(_ tensor: Tensor, _ node: Onnx_NodeProto, evaluator: inout ONNXConstantEvaluator) throws -> Tensor {
        func integers(_ index: Int) throws -> [Int]? {
            guard index < node.input.count, !node.input[index].isEmpty else { return nil }
            return try evaluator.value(node.input[index]).int64s().map { Int(clamping: $0) }
        }
        let attributes = ONNXAttributes(node)
        let starts = try integers(1) ?? attributes.ints("starts") ?? []
        let ends = try integers(2) ?? attributes.ints("ends") ?? []
        let rank = tensor.shape.count
        let axes = (try integers(3) ?? attributes.ints("axes") ?? Array(0 ..< starts.count)).map { $0 < 0 ? $0 + rank : $0 }
        let steps = try integers(4) ?? Array(repeating: 1, count: starts.count)
        guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count,
              axes.allSatisfy({ $0 >= 0 && $0 < rank }), steps.allSatisfy({ $0 != 0 && abs($0) < Int(Int32.max) })
        else {
            throw ConversionError.graph(.sliceBounds(node: ONNXGraphScope.describe(node), starts: starts, ends: ends, axes: axes, shape: tensor.shape))
        }
        var ranges = tensor.shape.map { TensorMovement.AxisRange(start: 0, count: $0, step: 1) }
        for (index, axis) in axes.enumerated() where tensor.shape[axis] != 1 {
            ranges[axis] = TensorMovement.range(start: starts[index], end: ends[index], step: steps[index], size: tensor.shape[axis])
        }
        return try TensorMovement.slice(tensor, ranges)
    }

    /// What `name` is computed from at run time: a recurrent node's outputs
    /// when any feed it (they are not the graph's inputs), else a graph input; nil when neither.
    static func origin(of name: String, evaluator: ONNXConstantEvaluator) -> ONNXStoredInput? {
        var pending = [name]
        var seen: Set<String> = []
        var input: String?
        while let next = pending.popLast(), seen.count < 4096 {
            guard !next.isEmpty, seen.insert(next).inserted else { continue }
            if let (node, _) = evaluator.producer(of: next) {
                if ONNXLayout.mode(ofOperator: node.opType) != nil { return .recurrent(node: ONNXGraphScope.describe(node)) }
                pending += node.input
            } else if !evaluator.isInitializer(next), input == nil {
                input = next
            }
        }
        return input.map { .runtime($0) }
    }
}
