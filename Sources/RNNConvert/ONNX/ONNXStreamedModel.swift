import Foundation
import ONNXProto
import TensorFiles

/// A weight initializer written by streaming: its bytes are element ranges
/// of the module's tensors (gate blocks in ONNX order), each converted to
/// the model's dtype piece by piece as it is written.
struct StreamedInitializer {
    /// One contiguous range of elements of a tensor (already in the target dtype, lazily).
    struct Segment {
        let tensor: Tensor
        let elements: Range<Int>
    }

    let name: String
    let dtype: DType
    let shape: [Int]
    let segments: [Segment]

    var byteCount: Int { segments.reduce(0) { $0 + $1.elements.count } * dtype.itemSize }

    /// Sends the initializer's raw bytes, in order, in bounded pieces.
    func forEachPiece(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        for segment in segments { try segment.tensor.forEachPiece(elements: segment.elements, body) }
    }

    /// The `TensorProto` without `raw_data`: name, dims and element type.
    func header() -> Onnx_TensorProto {
        var proto = Onnx_TensorProto()
        proto.name = name
        proto.dims = shape.map(Int64.init)
        proto.dataType = Int32(ONNXTensorCoding.dataType(of: dtype).rawValue)
        return proto
    }

    /// The whole `TensorProto`, bytes in memory (for `ONNXExporter.model`).
    func proto() throws -> Onnx_TensorProto {
        var data = Data(capacity: byteCount)
        try forEachPiece { data.append(contentsOf: $0) }
        var proto = header()
        proto.rawData = data
        return proto
    }
}

/// Protobuf wire framing written by hand around the streamed initializers:
/// `ModelProto` = its other fields, then field 7 (`graph`) whose bytes are
/// the graph's other fields followed by one field 5 (`initializer`) per
/// streamed initializer, each a `TensorProto` header and field 9
/// (`raw_data`) streamed from the tensors. Protobuf readers merge fields in
/// any order, so this parses as the message `ONNXExporter.model` builds.
enum ONNXStreamedModel {
    /// Writes `model` (whose graph lacks `initializers`) with `initializers`
    /// appended to its graph, to `output`.
    static func write(_ model: Onnx_ModelProto, initializers: [StreamedInitializer], to output: FileOutput) throws {
        var rest = model
        rest.clearGraph()
        let head: Data = try rest.serializedBytes()
        let graph: Data = try model.graph.serializedBytes()
        let prefixes = try initializers.map { initializer -> Data in
            var tensor: Data = try initializer.header().serializedBytes()
            tensor += lengthDelimited(field: 9, length: initializer.byteCount)
            return lengthDelimited(field: 5, length: tensor.count + initializer.byteCount) + tensor
        }
        let graphLength = graph.count + zip(prefixes, initializers).reduce(0) { $0 + $1.0.count + $1.1.byteCount }
        try output.append(head + lengthDelimited(field: 7, length: graphLength) + graph)
        for (prefix, initializer) in zip(prefixes, initializers) {
            try output.append(prefix)
            try initializer.forEachPiece { try output.append($0) }
        }
    }

    /// The key (field number, wire type 2) and length of a length-delimited field.
    static func lengthDelimited(field: Int, length: Int) -> Data {
        varint(UInt64(field << 3 | 2)) + varint(UInt64(length))
    }

    static func varint(_ value: UInt64) -> Data {
        var value = value
        var bytes = Data()
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
        return bytes
    }
}
