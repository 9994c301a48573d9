import Foundation
import ONNXProto
import RNNLayouts
import TensorFiles

/// What an ONNX file says about how one module runs besides its weights:
/// the layout of its input, a stored initial state and stored lengths.
enum ONNXModuleDefaults {
    /// Ops that only move the module's outputs into PyTorch's shapes (and
    /// gather the layers' states into `h_n`).
    static let outputMovement: Set<String> = ONNXStackLink.ops.union(["Concat", "Slice", "Split", "Gather"])

    /// The operators (described, at most three) the graph applies to the outputs
    /// of `node` (the module's last layer) beyond moving them, following
    /// moves forward; empty when every output reaches the graph's outputs.
    static func computedAfter(_ node: Onnx_NodeProto, graph: Onnx_GraphProto) -> [String] {
        var consumers: [String: [Onnx_NodeProto]] = [:]
        for other in graph.node {
            for input in Set(other.input) where !input.isEmpty { consumers[input, default: []].append(other) }
        }
        var pending = node.output.filter { !$0.isEmpty }
        var seen = Set(pending)
        var found: [String] = []
        while let value = pending.popLast() {
            // Shape and Size read only the output's shape (tf2onnx sizes the next layer's state with them).
            for consumer in consumers[value] ?? [] where !["Shape", "Size"].contains(consumer.opType) {
                if outputMovement.contains(consumer.opType), consumer.opType != "Cast" || castKeepsValues(consumer) {
                    for output in consumer.output where !output.isEmpty && seen.insert(output).inserted { pending.append(output) }
                } else {
                    let described = ONNXGraphScope.describe(consumer)
                    if !found.contains(described) { found.append(described) }
                }
            }
            if seen.count > 10_000 { break }
        }
        return found.count > 3 ? Array(found.prefix(3)) + ["…"] : found
    }

    /// Whether a `Cast` of a module's float32 (or narrower) output keeps
    /// every value: to float32 or float64; a Cast to an integer or a
    /// narrower float computes other numbers than the module's.
    static func castKeepsValues(_ node: Onnx_NodeProto) -> Bool {
        guard let target = ONNXAttributes(node).int("to").flatMap({ ONNXTensorCoding.dtype(of: Int32(clamping: $0)) }) else { return false }
        return target == .float32 || target == .float64
    }

    /// Fills `hints`' `batchFirst` / `layoutUnknown`, `storedState`, `lengths` and notes for `group`.
    static func fill(
        _ hints: inout ModuleHints, group: ONNXModuleGrouping.Group, metadata: [String: String], graph: Onnx_GraphProto,
        evaluator: inout ONNXConstantEvaluator, file: String
    ) throws {
        let first = group.layers[0]
        let own = metadata[ONNXMetadata.module] != nil
        let module = ModulePath(group.name)
        var order: [Int]?
        if let recorded = metadata[ONNXMetadata.batchFirst] {
            hints.batchFirst = recorded == "true"
        } else {
            let trace = ONNXLayoutTrace.trace(first.node, batchMajor: first.batchMajor, evaluator: &evaluator)
            hints.batchFirst = trace.batchFirst
            order = trace.batchOrder.flatMap { $0 == Array($0.indices) ? nil : $0 }
            if trace.batchFirst == nil {
                hints.layoutUnknown = true
                hints.notes.append(.layoutUnknown(stoppedAt: trace.stoppedAt))
            }
        }

        for layer in group.layers where !layer.overridableWeights.isEmpty {
            hints.notes.append(.weightsOverridable(node: ONNXGraphScope.describe(layer.node), initializers: layer.overridableWeights))
        }
        if let last = group.layers.last {
            let after = computedAfter(last.node, graph: graph)
            if !after.isEmpty { hints.notes.append(.computedAfter(operators: after)) }
        }

        // Initial state: every layer's initial_h (initial_c) stacked as PyTorch's h0 (c0).
        let h0 = try stack(group.layers.map(\.initialH), group: group, role: "initial_h", file: file)
        let c0 = first.mode == .lstm ? try stack(group.layers.map(\.initialC), group: group, role: "initial_c", file: file) : nil
        if h0 != nil || c0 != nil {
            do {
                hints.storedState = StoredState(h0: try h0.map { try reorder($0, order) }, c0: try c0.map { try reorder($0, order) })
            } catch let error as ConversionError {
                throw ConversionError.inModule(file: file, module: module, error)
            }
            hints.notes.append(.storedState(shape: (h0 ?? c0)?.shape ?? [], states: [h0 == nil ? nil : "h0", c0 == nil ? nil : "c0"].compactMap { $0 }))
        }
        if !own {
            for layer in group.layers {
                for (role, value, option) in [("initial_h", layer.initialH, RequestOption.h0), ("initial_c", layer.initialC, .c0),
                                               ("sequence_lens", layer.sequenceLengths, .lengths)] {
                    switch value {
                    case .runtime(let input):
                        hints.notes.append(.runtimeInput(role: role, node: ONNXGraphScope.describe(layer.node), input: input, option: option))
                    case .recurrent(let source):
                        hints.notes.append(.stateComputed(role: role, node: ONNXGraphScope.describe(layer.node), source: source, option: option))
                    case .absent, .stored:
                        break
                    }
                }
            }
        }

        // Lengths: one sequence_lens for every layer, as PyTorch's packed sequences (none on some layers is other lengths).
        var stored: [[Int]?] = []
        var sources: [String?] = []
        for layer in group.layers {
            switch layer.sequenceLengths {
            case .stored(let tensor):
                let values = try tensor.int64s().map { Int(clamping: $0) }
                stored.append(values)
                sources.append("\(values)")
            case .runtime(let input):
                stored.append(nil)
                sources.append("input " + input)
            case .recurrent(let node):
                stored.append(nil)
                sources.append("node " + node)
            case .absent:
                stored.append(nil)
                sources.append(nil)
            }
        }
        if sources.contains(where: { $0 != nil }), Set(sources).count > 1 {
            throw ConversionError.lengthsDiffer(file: file, module: module)
        }
        if own, let initializer = graph.initializer.first(where: { $0.name == "sequence_lens" }) {
            let values = try ONNXTensorCoding.tensor(from: initializer, file: file).int64s().map { Int(clamping: $0) }
            if !values.isEmpty { stored = [values] }
        }
        if let lengths = stored.first ?? nil {
            guard stored.allSatisfy({ $0 == lengths }) else {
                throw ConversionError.lengthsDiffer(file: file, module: module)
            }
            var reordered = lengths
            if let order {
                guard order.count == lengths.count else {
                    throw ConversionError.inModule(file: file, module: module, .batchReorder(what: .lengths, count: lengths.count, entries: order.count))
                }
                for (index, source) in order.enumerated() { reordered[source] = lengths[index] }
            }
            hints.lengths = reordered
            hints.notes.append(.storedLengths(reordered))
        }
    }

    /// The layers' states as one `(layers·directions, batch, hidden)` tensor
    /// (zeros for layers without one), or nil when no layer stores one.
    private static func stack(_ values: [ONNXStoredInput], group: ONNXModuleGrouping.Group, role: String, file: String) throws -> Tensor? {
        let tensors = values.map { value -> Tensor? in
            if case .stored(let tensor) = value { return tensor }
            return nil
        }
        guard let template = tensors.compactMap({ $0 }).first else { return nil }
        let batch = tensors.compactMap { $0?.shape[1] }.max() ?? 1
        if let odd = tensors.compactMap({ $0 }).first(where: { $0.shape[1] != 1 && $0.shape[1] != batch }) {
            throw ConversionError.stateBatches(file: file, role: role, module: ModulePath(group.name), batches: [odd.shape[1], batch])
        }
        var parts: [Tensor] = []
        for (layer, tensor) in zip(group.layers, tensors) {
            let shape = [layer.directions, batch, layer.hiddenSize]
            guard var tensor = try tensor?.converted(to: template.dtype) else {
                parts.append(try Tensor(dtype: template.dtype, shape: shape, data: Data(count: shape.reduce(1, *) * template.dtype.itemSize)))
                continue
            }
            if tensor.shape[1] != batch { tensor = try TensorMovement.concat(Array(repeating: tensor, count: batch), axis: 1) }
            parts.append(tensor)
        }
        return try TensorMovement.concat(parts, axis: 0)
    }

    /// `state` with its batch entries in the module input's order.
    private static func reorder(_ state: Tensor, _ order: [Int]?) throws -> Tensor {
        guard let order, state.shape[1] > 1 else { return state }
        guard order.count == state.shape[1] else {
            throw ConversionError.batchReorder(what: .state, count: state.shape[1], entries: order.count)
        }
        var inverse = Array(repeating: 0, count: order.count)
        for (index, source) in order.enumerated() { inverse[source] = index }
        return try TensorMovement.gather(state, indices: Tensor(shape: [inverse.count], int64s: inverse.map(Int64.init)), axis: 1)
    }
}
