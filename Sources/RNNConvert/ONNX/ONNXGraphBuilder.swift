import Foundation
import ONNXProto
import TensorFiles

/// Collects the nodes, initializers, inputs and outputs of one ONNX graph.
struct ONNXGraphBuilder {
    /// One dimension of a declared input or output.
    enum Dimension {
        /// A fixed size.
        case fixed(Int)
        /// A named free size (`batch`, `sequence`); equal names are equal sizes.
        case symbolic(String)
        /// A free size with no name.
        case free
    }

    private(set) var graph = Onnx_GraphProto()

    init(name: String) {
        graph.name = name
    }

    /// Adds an initializer holding `tensor` and returns its name.
    @discardableResult
    mutating func initializer(_ name: String, _ tensor: Tensor) throws -> String {
        graph.initializer.append(try ONNXTensorCoding.proto(named: name, tensor))
        return name
    }

    /// Adds a 1-D int64 initializer (shapes, axes, slice bounds) and returns its name.
    @discardableResult
    mutating func int64s(_ name: String, _ values: [Int]) throws -> String {
        try initializer(name, Tensor(shape: [values.count], int64s: values.map(Int64.init)))
    }

    /// Adds a node. Empty strings in `inputs` mark omitted optional inputs.
    mutating func node(
        _ op: String, name: String, inputs: [String], outputs: [String], attributes: [Onnx_AttributeProto] = []
    ) {
        var node = Onnx_NodeProto()
        node.opType = op
        node.name = name
        node.input = inputs
        node.output = outputs
        node.attribute = attributes
        graph.node.append(node)
    }

    /// Declares a graph input.
    mutating func input(_ name: String, _ dtype: DType, _ dimensions: [Dimension], doc: String) {
        graph.input.append(Self.valueInfo(name, dtype, dimensions, doc: doc))
    }

    /// Declares a graph output.
    mutating func output(_ name: String, _ dtype: DType, _ dimensions: [Dimension], doc: String) {
        graph.output.append(Self.valueInfo(name, dtype, dimensions, doc: doc))
    }

    private static func valueInfo(_ name: String, _ dtype: DType, _ dimensions: [Dimension], doc: String) -> Onnx_ValueInfoProto {
        var shape = Onnx_TensorShapeProto()
        shape.dim = dimensions.map { dimension in
            var dim = Onnx_TensorShapeProto.Dimension()
            switch dimension {
            case .fixed(let size): dim.dimValue = Int64(size)
            case .symbolic(let name): dim.dimParam = name
            case .free: break
            }
            return dim
        }
        var tensorType = Onnx_TypeProto.Tensor()
        tensorType.elemType = Int32(ONNXTensorCoding.dataType(of: dtype).rawValue)
        tensorType.shape = shape
        var type = Onnx_TypeProto()
        type.tensorType = tensorType
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type = type
        info.docString = doc
        return info
    }

    /// An integer attribute.
    static func attribute(_ name: String, int value: Int) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .int
        attribute.i = Int64(value)
        return attribute
    }

    /// A list-of-integers attribute.
    static func attribute(_ name: String, ints values: [Int]) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .ints
        attribute.ints = values.map(Int64.init)
        return attribute
    }

    /// A string attribute.
    static func attribute(_ name: String, string value: String) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .string
        attribute.s = Data(value.utf8)
        return attribute
    }

    /// A list-of-strings attribute.
    static func attribute(_ name: String, strings values: [String]) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .strings
        attribute.strings = values.map { Data($0.utf8) }
        return attribute
    }
}
