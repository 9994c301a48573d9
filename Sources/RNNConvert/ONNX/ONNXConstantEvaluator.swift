import Foundation
import ONNXProto
import TensorFiles

/// Finds the value of a graph tensor that does not depend on the graph's
/// inputs: an initializer, a `Constant`, or data movement applied to them
/// (`Identity`, `Cast`, `Reshape`, `Squeeze`, `Unsqueeze`, `Transpose`,
/// `Concat`, `Slice`, `Split`, `Gather`). Exporters route weights through
/// such nodes (torch.onnx.export without constant folding slices PyTorch's
/// gate blocks and concatenates them in ONNX order).
struct ONNXConstantEvaluator {
    /// The ops this evaluator follows, for messages.
    static let supportedOps = ["Constant", "Identity", "Cast", "Reshape", "Squeeze", "Unsqueeze", "Transpose",
                               "Concat", "Slice", "Split", "Gather"]

    let file: String
    let opset: Int
    private var initializers: [String: Onnx_TensorProto] = [:]
    private var producers: [String: (node: Onnx_NodeProto, output: Int)] = [:]
    /// The graph's inputs: an initializer among them is only a default a caller may replace.
    private var graphInputs: Set<String> = []
    private var cache: [String: Tensor] = [:]
    /// Bytes the model file holds (plus external data read so far): the
    /// budget for computed tensors is stated in terms of it.
    private var storedBytes: Int
    /// Bytes of the tensors computed so far (not those read from storage).
    private var computedBytes = 0

    /// A computed tensor may hold at most this many times the stored bytes
    /// (at least `minimumBudget`), all of them together four times that: data
    /// movement never needs more, and a file of doubling `Concat`s must not
    /// reach gigabytes from a few kilobytes.
    static let budgetFactor = 4
    /// The smallest per-tensor budget, for tiny files.
    static let minimumBudget = 1 << 20

    /// - Throws: `TensorFileError` when two initializers, or two node outputs,
    ///   share a name (ONNX requires unique names; which one counts would be a guess).
    init(graph: Onnx_GraphProto, file: String, opset: Int) throws {
        self.file = file
        self.opset = opset
        graphInputs = Set(graph.input.map(\.name))
        var info = stat()
        storedBytes = stat(file, &info) == 0 ? Int(info.st_size) : 0
        for initializer in graph.initializer {
            guard initializers.updateValue(initializer, forKey: initializer.name) == nil else {
                throw TensorFileError(file: file, tensor: initializer.name, .duplicateName(initializer.name))
            }
        }
        for node in graph.node {
            for (index, output) in node.output.enumerated() where !output.isEmpty { producers[output] = (node, index) }
        }
    }

    /// The node that produces `name`, if any.
    func producer(of name: String) -> (node: Onnx_NodeProto, output: Int)? {
        producers[name]
    }

    /// The initializers `name` is computed from that are also graph inputs
    /// (ONNX IR ≥ 4: defaults a caller may feed other values for), sorted.
    func overridableInitializers(of name: String) -> [String] {
        var pending = [name], seen: Set<String> = [], found: Set<String> = []
        while let next = pending.popLast(), seen.count < 4096 {
            guard seen.insert(next).inserted else { continue }
            if initializers[next] != nil {
                if graphInputs.contains(next) { found.insert(next) }
            } else if let (node, _) = producers[next] {
                pending += node.input.filter { !$0.isEmpty }
            }
        }
        return found.sorted()
    }

    /// Whether `name` is a stored initializer.
    func isInitializer(_ name: String) -> Bool { initializers[name] != nil }

    /// The constant value of `name`.
    ///
    /// - Throws: `ConversionError` saying which node or input makes the value
    ///   depend on something other than stored data.
    mutating func value(_ name: String, depth: Int = 0) throws -> Tensor {
        if let cached = cache[name] { return cached }
        guard depth < 256 else { throw ConversionError.graph(.tooDeep(value: name, limit: 256)) }
        let result: Tensor
        if let initializer = initializers[name] {
            result = try ONNXTensorCoding.tensor(from: initializer, file: file)
            if initializer.dataLocation == .external { storedBytes = storedBytes.addingClamped(result.byteCount) }
        } else if let (node, output) = producers[name] {
            result = try evaluate(node, output: output, depth: depth + 1)
        } else {
            throw ConversionError.graph(.graphInput(value: name))
        }
        cache[name] = result
        return result
    }

    /// The largest tensor a node may compute, in bytes.
    private var tensorBudget: Int { max(Self.minimumBudget, storedBytes.multipliedClamped(by: Self.budgetFactor)) }

    /// Checks a result about to be computed, before its bytes are allocated:
    /// its shape must not overflow and it must fit the budget.
    private mutating func reserve(_ shape: [Int], _ dtype: DType, for node: Onnx_NodeProto) throws {
        guard let bytes = checkedByteCount(shape, dtype) else {
            throw ConversionError.graph(.badShape(node: GraphProblem.node(node.opType, node.name), shape: shape))
        }
        let total = computedBytes.addingClamped(bytes)
        guard bytes <= tensorBudget, total <= tensorBudget.multipliedClamped(by: Self.budgetFactor) else {
            throw ConversionError.graph(.resourceBomb(node: GraphProblem.node(node.opType, node.name), bytes: bytes, total: total, factor: Self.budgetFactor, stored: storedBytes))
        }
        computedBytes = total
    }

    /// `TensorMovement.slice` after the budget check. An empty result is made
    /// without addressing anything, and a step on an axis of at most one
    /// element is dropped: only then is every `step × stride` bounded by the
    /// tensor's size (a zero-size tensor's strides can be huge).
    private mutating func sliced(_ tensor: Tensor, _ ranges: [TensorMovement.AxisRange], _ node: Onnx_NodeProto) throws -> Tensor {
        let shape = ranges.map(\.count)
        try reserve(shape, tensor.dtype, for: node)
        if checkedElementCount(shape) == 0 { return try Tensor(dtype: tensor.dtype, shape: shape, data: Data()) }
        var ranges = ranges
        for index in ranges.indices where ranges[index].count <= 1 { ranges[index].step = 1 }
        return try TensorMovement.slice(tensor, ranges)
    }

    /// `values` summed, or an error naming the node on overflow.
    private func checkedSum(_ values: [Int], _ node: Onnx_NodeProto) throws -> Int {
        try values.reduce(0) { total, value in
            let (sum, overflow) = total.addingReportingOverflow(value)
            guard !overflow else { throw ConversionError.graph(.sizesOverflow(node: GraphProblem.node(node.opType, node.name), sizes: values)) }
            return sum
        }
    }

    private mutating func input(_ node: Onnx_NodeProto, _ index: Int, depth: Int) throws -> Tensor? {
        guard index < node.input.count, !node.input[index].isEmpty else { return nil }
        return try value(node.input[index], depth: depth)
    }

    private mutating func integers(_ node: Onnx_NodeProto, _ index: Int, depth: Int) throws -> [Int]? {
        try input(node, index, depth: depth).map { try $0.int64s().map { Int($0) } }
    }

    private mutating func evaluate(_ node: Onnx_NodeProto, output: Int, depth: Int) throws -> Tensor {
        let attributes = ONNXAttributes(node)
        func first() throws -> Tensor {
            guard let tensor = try input(node, 0, depth: depth) else {
                throw ConversionError.graph(.missingInput(node: GraphProblem.node(node.opType, node.name), input: "input"))
            }
            return tensor
        }
        func axis(_ value: Int, rank: Int) throws -> Int {
            let normalized = value < 0 ? value + rank : value
            guard normalized >= 0, normalized < rank else {
                throw ConversionError.graph(.axisOutsideRank(node: GraphProblem.node(node.opType, node.name), axis: value, rank: rank))
            }
            return normalized
        }
        switch node.opType {
        case "Constant":
            return try constant(node, attributes)
        case "Identity", "Dropout":
            return try first()
        case "Cast":
            let tensor = try first()
            guard let target = ONNXTensorCoding.dtype(of: Int32(attributes.int("to") ?? 0)) else {
                throw ConversionError.graph(.cast(node: GraphProblem.node(node.opType, node.name), from: tensor.dtype, to: nil))
            }
            if target == tensor.dtype { return tensor }
            guard target.isFloatingPoint, tensor.dtype.isFloatingPoint else {
                throw ConversionError.graph(.cast(node: GraphProblem.node(node.opType, node.name), from: tensor.dtype, to: target))
            }
            try reserve(tensor.shape, target, for: node)
            return try tensor.converted(to: target)
        case "Reshape":
            let tensor = try first()
            guard var shape = try integers(node, 1, depth: depth) else {
                throw ConversionError.graph(.missingInput(node: GraphProblem.node(node.opType, node.name), input: "shape input"))
            }
            if attributes.int("allowzero") != 1 {
                for (index, size) in shape.enumerated() where size == 0 && index < tensor.shape.count {
                    shape[index] = tensor.shape[index]
                }
            }
            if let unknown = shape.firstIndex(of: -1) {
                var others = shape
                others.remove(at: unknown)
                guard let known = checkedElementCount(others) else {
                    throw ConversionError.graph(.badShape(node: GraphProblem.node(node.opType, node.name), shape: shape))
                }
                shape[unknown] = known > 0 ? tensor.elementCount / known : 0
            }
            return try TensorMovement.reshape(tensor, shape)
        case "Unsqueeze":
            let tensor = try first()
            let axes = try (opset >= 13 ? integers(node, 1, depth: depth) : attributes.ints("axes")) ?? []
            let rank = tensor.shape.count + axes.count
            var shape = tensor.shape
            for position in try axes.map({ try axis($0, rank: rank) }).sorted() {
                guard position <= shape.count else {
                    throw ConversionError.graph(.axesDoNotFit(node: GraphProblem.node(node.opType, node.name), axes: axes, shape: tensor.shape))
                }
                shape.insert(1, at: position)
            }
            return try TensorMovement.reshape(tensor, shape)
        case "Squeeze":
            let tensor = try first()
            let given = try (opset >= 13 ? integers(node, 1, depth: depth) : attributes.ints("axes"))
            let axes = try given.map { try $0.map { try axis($0, rank: tensor.shape.count) } }
                ?? tensor.shape.indices.filter { tensor.shape[$0] == 1 }
            let shape = tensor.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
            return try TensorMovement.reshape(tensor, shape)
        case "Transpose":
            let tensor = try first()
            try reserve(tensor.shape, tensor.dtype, for: node)
            let perm = attributes.ints("perm") ?? Array((0 ..< tensor.shape.count).reversed())
            return try TensorMovement.transpose(tensor, perm: perm)
        case "Concat":
            var parts: [Tensor] = []
            for index in node.input.indices {
                if let part = try input(node, index, depth: depth) { parts.append(part) }
            }
            let rank = parts.first?.shape.count ?? 0
            let along = try axis(attributes.int("axis") ?? 0, rank: rank)
            if let first = parts.first, parts.allSatisfy({ $0.shape.count == rank }) {
                var shape = first.shape
                shape[along] = try checkedSum(parts.map { $0.shape[along] }, node)
                try reserve(shape, first.dtype, for: node)
            }
            return try TensorMovement.concat(parts, axis: along)
        case "Slice":
            return try slice(node, attributes, depth: depth)
        case "Split":
            let tensor = try first()
            let along = try axis(attributes.int("axis") ?? 0, rank: tensor.shape.count)
            let size = tensor.shape[along]
            let parts = node.output.count
            let sizes = try (opset >= 13 ? integers(node, 1, depth: depth) : attributes.ints("split"))
                ?? (0 ..< parts).map { index in
                    let chunk = (size + parts - 1) / parts
                    let (start, overflow) = index.multipliedReportingOverflow(by: chunk)
                    return overflow ? 0 : max(0, min(chunk, size - start))
                }
            guard sizes.count == parts, sizes.allSatisfy({ $0 >= 0 && $0 <= size }), try checkedSum(sizes, node) == size else {
                throw ConversionError.graph(.splitSizes(node: GraphProblem.node(node.opType, node.name), sizes: sizes, total: size))
            }
            var ranges = tensor.shape.map { TensorMovement.AxisRange(start: 0, count: $0, step: 1) }
            ranges[along] = .init(start: sizes[..<output].reduce(0, +), count: sizes[output], step: 1)
            return try sliced(tensor, ranges, node)
        case "Gather":
            let tensor = try first()
            guard let indices = try input(node, 1, depth: depth) else {
                throw ConversionError.graph(.missingInput(node: GraphProblem.node(node.opType, node.name), input: "indices"))
            }
            let along = try axis(attributes.int("axis") ?? 0, rank: tensor.shape.count)
            try reserve(Array(tensor.shape[..<along]) + indices.shape + Array(tensor.shape[(along + 1)...]), tensor.dtype, for: node)
            return try TensorMovement.gather(tensor, indices: indices, axis: along)
        default:
            throw ConversionError.graph(.unfollowedNode(value: node.output[output], node: GraphProblem.node(node.opType, node.name), followed: Self.supportedOps))
        }
    }

    private func constant(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes) throws -> Tensor {
        if let tensor = attributes.tensor("value") { return try ONNXTensorCoding.tensor(from: tensor, file: file) }
        if let value = attributes.float("value_float") { return Tensor(shape: [], floats: [value]) }
        if let values = attributes.floats("value_floats") { return Tensor(shape: [values.count], floats: values) }
        if let value = attributes.int("value_int") { return Tensor(shape: [], int64s: [Int64(value)]) }
        if let values = attributes.ints("value_ints") { return Tensor(shape: [values.count], int64s: values.map(Int64.init)) }
        throw ConversionError.graph(.unreadableConstant(node: GraphProblem.node(node.opType, node.name)))
    }

    private mutating func slice(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, depth: Int) throws -> Tensor {
        guard let tensor = try input(node, 0, depth: depth) else {
            throw ConversionError.graph(.missingInput(node: GraphProblem.node(node.opType, node.name), input: "input"))
        }
        let starts: [Int], ends: [Int], axesGiven: [Int]?, steps: [Int]?
        if opset >= 10 {
            starts = try integers(node, 1, depth: depth) ?? []
            ends = try integers(node, 2, depth: depth) ?? []
            axesGiven = try integers(node, 3, depth: depth)
            steps = try integers(node, 4, depth: depth)
        } else {
            starts = attributes.ints("starts") ?? []
            ends = attributes.ints("ends") ?? []
            axesGiven = attributes.ints("axes")
            steps = nil
        }
        let rank = tensor.shape.count
        let axes = (axesGiven ?? Array(0 ..< starts.count)).map { $0 < 0 ? $0 + rank : $0 }
        guard starts.count == ends.count, axes.count == starts.count, axes.allSatisfy({ $0 >= 0 && $0 < rank }),
              (steps?.count ?? starts.count) == starts.count,
              (steps ?? []).allSatisfy({ $0 != 0 && $0 > -Int(Int32.max) && $0 < Int(Int32.max) })
        else {
            throw ConversionError.graph(.sliceBounds(node: GraphProblem.node(node.opType, node.name), starts: starts, ends: ends, axes: axesGiven ?? [], shape: tensor.shape))
        }
        var ranges = tensor.shape.map { TensorMovement.AxisRange(start: 0, count: $0, step: 1) }
        for (index, along) in axes.enumerated() {
            ranges[along] = TensorMovement.range(start: starts[index], end: ends[index], step: steps?[index] ?? 1, size: tensor.shape[along])
        }
        return try sliced(tensor, ranges, node)
    }
}

/// A node's attributes by name.
struct ONNXAttributes {
    private var byName: [String: Onnx_AttributeProto] = [:]

    init(_ node: Onnx_NodeProto) {
        for attribute in node.attribute { byName[attribute.name] = attribute }
    }

    /// The names present.
    var names: Set<String> { Set(byName.keys) }

    func int(_ name: String) -> Int? { byName[name].flatMap { $0.hasI ? Int(clamping: $0.i) : nil } }
    func ints(_ name: String) -> [Int]? { byName[name].map { $0.ints.map { Int(clamping: $0) } } }
    func float(_ name: String) -> Float? { byName[name].flatMap { $0.hasF ? $0.f : nil } }
    func floats(_ name: String) -> [Float]? { byName[name].map(\.floats) }
    func string(_ name: String) -> String? { byName[name].flatMap { $0.hasS ? String(decoding: $0.s, as: UTF8.self) : nil } }
    func strings(_ name: String) -> [String]? { byName[name].map { $0.strings.map { String(decoding: $0, as: UTF8.self) } } }
    func tensor(_ name: String) -> Onnx_TensorProto? { byName[name].flatMap { $0.hasT ? $0.t : nil } }
}

