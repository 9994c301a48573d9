import Foundation
import ONNXProto
import RNNLayouts
import TensorFiles

/// Decides whether the nodes between two recurrent nodes make the second
/// read exactly what PyTorch's next layer reads: the first node's `Y`
/// `(T, D, B, H)` (`(B, T, D, H)` with `layout=1`) as `(T, B, D·H)` with the
/// directions concatenated per step (`(B, T, D·H)` for a `layout=1` reader),
/// every value unchanged.
///
/// The nodes are followed forward on the axes' logical factors (time,
/// directions, batch, hidden): Transpose permutes them; Squeeze and
/// Unsqueeze drop or add axes of size 1; Reshape and Flatten regroup them in
/// order (a literal size binds time or batch to the size the exporter saw);
/// Identity, Dropout and a Cast that keeps every value pass. torch.onnx.export's
/// `Transpose(0, 2, 1, 3)` + `Reshape(0, 0, -1)` (or a `Reshape` to the
/// export's sizes) and a one-direction `Squeeze(1)` qualify; a `Reshape`
/// of `Y` without the Transpose (which interleaves batch and directions), a
/// Cast to an integer or narrower float type do not.
enum ONNXStackLink {
    /// The ops that may sit between two stacked layers.
    static let ops: Set<String> = ["Transpose", "Reshape", "Squeeze", "Unsqueeze", "Identity", "Dropout", "Cast", "Flatten"]

    private enum Factor: Equatable { case time, batch, directions, hidden }

    /// Whether `path` (the nodes from `previous`'s `Y` to `layer`'s `X`, in
    /// order) hands `layer` PyTorch's input for the layer after `previous`.
    static func isPyTorchInput(_ path: [Onnx_NodeProto], from previous: ONNXRecurrentNode, to layer: ONNXRecurrentNode,
                               evaluator: ONNXConstantEvaluator) -> Bool {
        var evaluator = evaluator
        var sizes: [Factor: Int] = [.directions: previous.directions, .hidden: previous.hiddenSize]
        var axes: [[Factor]] = previous.batchMajor ? [[.batch], [.time], [.directions], [.hidden]] : [[.time], [.directions], [.batch], [.hidden]]
        var values = previous.w.dtype  // the values Y holds: exactly representable in this type
        func integers(_ node: Onnx_NodeProto, input: Int, attribute: String) -> [Int]? {
            if input < node.input.count, !node.input[input].isEmpty {
                return (try? evaluator.value(node.input[input]).int64s())?.map { Int(clamping: $0) }
            }
            return ONNXAttributes(node).ints(attribute)
        }
        func isOne(_ axis: [Factor]) -> Bool { axis.allSatisfy { sizes[$0] == 1 } }
        for node in path {
            let attributes = ONNXAttributes(node)
            let rank = axes.count
            func normalized(_ list: [Int], rank: Int) -> [Int]? {
                let result = list.map { $0 < 0 ? $0 + rank : $0 }
                return result.allSatisfy({ $0 >= 0 && $0 < rank }) && Set(result).count == result.count ? result : nil
            }
            switch node.opType {
            case "Identity", "Dropout":
                continue
            case "Cast":
                guard let target = ONNXTensorCoding.dtype(of: Int32(attributes.int("to") ?? 0)), holds(target, values) else { return false }
            case "Transpose":
                let perm = attributes.ints("perm") ?? Array((0 ..< rank).reversed())
                guard perm.count == rank, Set(perm) == Set(0 ..< rank) else { return false }
                axes = perm.map { axes[$0] }
            case "Squeeze":
                let given = integers(node, input: 1, attribute: "axes")
                guard let drop = given.map({ normalized($0, rank: rank) }) ?? Array(axes.indices.filter { isOne(axes[$0]) }),
                      drop.allSatisfy({ isOne(axes[$0]) }) else { return false }
                axes = axes.enumerated().filter { !drop.contains($0.offset) }.map(\.element)
            case "Unsqueeze":
                guard let given = integers(node, input: 1, attribute: "axes"), let add = normalized(given, rank: rank + given.count) else { return false }
                for axis in add.sorted() { axes.insert([], at: axis) }
            case "Flatten":
                let given = attributes.int("axis") ?? 1
                let axis = given < 0 ? given + rank : given
                guard axis >= 0, axis <= rank else { return false }
                axes = [Array(axes[..<axis].joined()), Array(axes[axis...].joined())]
            case "Reshape":
                guard let shape = integers(node, input: 1, attribute: "shape"), attributes.int("allowzero") != 1,
                      let regrouped = reshape(axes, to: shape, sizes: &sizes) else { return false }
                axes = regrouped
            default:
                return false
            }
        }
        let expected: [[Factor]] = layer.batchMajor ? [[.batch], [.time], [.directions, .hidden]] : [[.time], [.batch], [.directions, .hidden]]
        return axes.count == 3 && zip(axes, expected).allSatisfy { axis, want in axis.filter { sizes[$0] != 1 } == want.filter { sizes[$0] != 1 } }
    }

    /// Whether every value of `values` is exactly a value of `target`.
    private static func holds(_ target: DType, _ values: DType) -> Bool {
        guard target.isFloatingPoint, values.isFloatingPoint else { return false }
        let wider: [DType: Set<DType>] = [.float16: [.float16], .bfloat16: [.bfloat16], .float32: [.float16, .bfloat16, .float32],
                                          .float64: [.float16, .bfloat16, .float32, .float64]]
        return wider[target]?.contains(values) ?? false
    }

    /// `axes` regrouped into `shape` in row-major order (ONNX Reshape: `0`
    /// copies the input's axis, `-1` takes what is left); nil when a size
    /// cannot be matched to whole factors.
    private static func reshape(_ axes: [[Factor]], to shape: [Int], sizes: inout [Factor: Int]) -> [[Factor]]? {
        var factors = Array(axes.joined())
        var front: [[Factor]] = []
        var back: [[Factor]] = []
        guard shape.count(where: { $0 == -1 }) <= 1 else { return nil }
        let split = shape.firstIndex(of: -1) ?? shape.count
        // Sizes before -1 take factors from the front, after it from the back.
        for (index, size) in shape[..<split].enumerated() {
            if size == 0 {
                guard index < axes.count, factors.starts(with: axes[index]), front.count == index else { return nil }
                front.append(axes[index])
                factors.removeFirst(axes[index].count)
            } else {
                guard let taken = take(size, from: &factors, sizes: &sizes, reversed: false) else { return nil }
                front.append(taken)
            }
        }
        for size in shape.dropFirst(split + 1).reversed() {
            guard size > 0, let taken = take(size, from: &factors, sizes: &sizes, reversed: true) else { return nil }
            back.insert(taken, at: 0)
        }
        if split < shape.count {
            front.append(factors)
        } else if !factors.allSatisfy({ sizes[$0] == 1 }) {
            return nil
        }
        return front + back
    }

    /// The factors at one end of `factors` whose sizes multiply to `size`;
    /// an unknown time or batch is bound to `size` when it comes first.
    private static func take(_ size: Int, from factors: inout [Factor], sizes: inout [Factor: Int], reversed: Bool) -> [Factor]? {
        guard size > 0 else { return nil }
        var taken: [Factor] = []
        var product = 1
        while product < size || (product == size && taken.isEmpty) {
            guard let next = reversed ? factors.last : factors.first else { return nil }
            if sizes[next] == nil {
                guard product == 1, size > 0 else { return nil }
                sizes[next] = size
            }
            product *= sizes[next] ?? 1
            taken.append(next)
            if reversed { factors.removeLast() } else { factors.removeFirst() }
        }
        guard product == size else { return nil }
        return reversed ? taken.reversed() : taken
    }
}
