import RNNLayouts
import TensorFiles

/// Why a value of an ONNX graph cannot be computed from the data the file
/// stores (`ConversionError.graph`). `node` is the node as messages name
/// it: `Reshape node 'shape_fix'`.
public enum GraphProblem: Equatable, Sendable, CustomStringConvertible {
    /// `value` is computed through more than `limit` nodes.
    case tooDeep(value: String, limit: Int)
    /// `value` is an input of the graph, not stored data.
    case graphInput(value: String)
    /// `value` is computed by `node`, whose operator rnnkit does not follow;
    /// `followed` lists the operators it does.
    case unfollowedNode(value: String, node: String, followed: [String])
    /// A shape that overflows or has a negative size.
    case badShape(node: String, shape: [Int])
    /// A result larger than the budget the stored bytes allow.
    case resourceBomb(node: String, bytes: Int, total: Int, factor: Int, stored: Int)
    /// Sizes whose sum overflows.
    case sizesOverflow(node: String, sizes: [Int])
    /// A required input (`input`: "input", "shape input", "indices") is absent.
    case missingInput(node: String, input: String)
    /// An axis outside the tensor's rank.
    case axisOutsideRank(node: String, axis: Int, rank: Int)
    /// A Cast to an element type rnnkit does not hold (`to` nil) or not between floats.
    case cast(node: String, from: DType, to: DType?)
    /// Axes that do not fit a shape.
    case axesDoNotFit(node: String, axes: [Int], shape: [Int])
    /// Split sizes that do not add up to the axis.
    case splitSizes(node: String, sizes: [Int], total: Int)
    /// A Constant node without a numeric tensor.
    case unreadableConstant(node: String)
    /// Slice bounds that do not fit the shape.
    case sliceBounds(node: String, starts: [Int], ends: [Int], axes: [Int], shape: [Int])
    /// A data movement whose arguments do not fit its tensors (`operation`
    /// "Transpose", "Slice", "Concat", "Gather", "Reshape"; `detail` the values).
    case movement(operation: String, shapes: [[Int]], values: [Int])

    /// The node of type `opType` named `name`, as messages name it.
    static func node(_ opType: String, _ name: String) -> String { "\(opType) node '\(name)'" }

    /// The message shown to the user.
    public var description: String {
        switch self {
        case .tooDeep(let value, let limit): return "'\(value)' is computed through more than \(limit) nodes"
        case .graphInput(let value): return "'\(value)' is a graph input, not data stored in the file"
        case .unfollowedNode(let value, let node, let followed):
            return "'\(value)' is computed by \(node); rnnkit follows only stored data and \(followed.joined(separator: ", "))"
        case .badShape(let node, let shape): return "\(node): shape \(shape) overflows or is negative"
        case .resourceBomb(let node, let bytes, let total, let factor, let stored):
            return "\(node) would compute \(bytes) bytes (\(total) in all), more than \(factor)× the \(stored) bytes the model stores; "
                + "refused as a resource bomb"
        case .sizesOverflow(let node, let sizes): return "\(node): sizes \(sizes) overflow"
        case .missingInput(let node, let input): return "\(node) has no \(input)"
        case .axisOutsideRank(let node, let axis, let rank): return "\(node): axis \(axis) outside rank \(rank)"
        case .cast(let node, let from, let to?):
            return "\(node) casts \(from.rawValue) to \(to.rawValue); only float casts are followed"
        case .cast(let node, _, nil): return "\(node) casts to an element type rnnkit does not hold"
        case .axesDoNotFit(let node, let axes, let shape): return "\(node): axes \(axes) do not fit shape \(shape)"
        case .splitSizes(let node, let sizes, let total): return "\(node): sizes \(sizes) do not add up to \(total)"
        case .unreadableConstant(let node): return "\(node) holds no numeric tensor rnnkit can read"
        case .sliceBounds(let node, let starts, let ends, let axes, let shape):
            return "\(node): starts \(starts), ends \(ends), axes \(axes) do not fit shape \(shape)"
        case .movement(let operation, let shapes, let values):
            let what = values.isEmpty ? "" : " \(values)"
            return "\(operation)\(what) does not fit shape\(shapes.count == 1 ? "" : "s") \(shapes.map { "\($0)" }.joined(separator: ", "))"
        }
    }
}
