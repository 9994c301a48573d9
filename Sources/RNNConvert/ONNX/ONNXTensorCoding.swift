import Foundation
import ONNXProto
import TensorFiles

/// Converts between rnnkit's `Tensor` and ONNX `TensorProto`, bit for bit.
enum ONNXTensorCoding {
    /// The ONNX element type of `dtype`.
    static func dataType(of dtype: DType) -> Onnx_TensorProto.DataType {
        switch dtype {
        case .float16: return .float16
        case .bfloat16: return .bfloat16
        case .float32: return .float
        case .float64: return .double
        case .int8: return .int8
        case .uint8: return .uint8
        case .int16: return .int16
        case .int32: return .int32
        case .int64: return .int64
        case .bool: return .bool
        }
    }

    /// The rnnkit dtype of an ONNX element type, or nil for types rnnkit does
    /// not hold (strings, complex, 8-bit and 4-bit floats, unsigned 16–64 bit).
    static func dtype(of dataType: Int32) -> DType? {
        DType.allCases.first { self.dataType(of: $0).rawValue == Int(dataType) }
    }

    /// A `TensorProto` holding `tensor`'s bytes as `raw_data`.
    static func proto(named name: String, _ tensor: Tensor) throws -> Onnx_TensorProto {
        var proto = Onnx_TensorProto()
        proto.name = name
        proto.dims = tensor.shape.map(Int64.init)
        proto.dataType = Int32(dataType(of: tensor.dtype).rawValue)
        proto.rawData = try tensor.data()
        return proto
    }

    /// The tensor a `TensorProto` holds, from `raw_data`, the typed value
    /// fields, or external data beside the model.
    ///
    /// - Parameters:
    ///   - file: the model's path, for messages and to find external data.
    /// - Throws: `TensorFileError` naming the tensor when its type, shape or
    ///   stored size is wrong.
    static func tensor(from proto: Onnx_TensorProto, file: String) throws -> Tensor {
        func fail(_ reason: TensorFileError.Reason) -> TensorFileError {
            TensorFileError(file: file, tensor: proto.name, reason)
        }
        guard let dtype = dtype(of: proto.dataType) else {
            let name = Onnx_TensorProto.DataType(rawValue: Int(proto.dataType)).map { "\($0)" } ?? "\(proto.dataType)"
            throw fail(.unsupportedDType(.unknown(name, in: .onnx)))
        }
        let shape = proto.dims.map { Int(clamping: $0) }
        guard let byteCount = checkedByteCount(shape, dtype) else {
            throw fail(.badShape(.refused(shape, itemSize: dtype.itemSize)))
        }
        if proto.hasSegment {
            throw ConversionError.modelFile(file: file, tensor: proto.name, .segmentedTensor)
        }
        let data: Data
        if proto.dataLocation == .external {
            data = try ONNXExternalData.read(proto, file: file, byteCount: byteCount)
        } else if proto.hasRawData {
            data = proto.rawData
        } else {
            data = try typedValues(proto, dtype: dtype)
        }
        guard data.count == byteCount else {
            throw fail(.sizeMismatch(expected: byteCount, actual: data.count))
        }
        return try Tensor(dtype: dtype, shape: shape, data: data)
    }

    /// The bytes of a tensor stored in the typed repeated fields.
    private static func typedValues(_ proto: Onnx_TensorProto, dtype: DType) throws -> Data {
        switch dtype {
        case .float32:
            return proto.floatData.withUnsafeBytes { Data($0) }
        case .float64:
            return proto.doubleData.withUnsafeBytes { Data($0) }
        case .int64:
            return proto.int64Data.withUnsafeBytes { Data($0) }
        case .int32:
            return proto.int32Data.withUnsafeBytes { Data($0) }
        case .float16, .bfloat16, .int16:
            // int32_data holds one 16-bit pattern (or value) per element.
            let values = proto.int32Data.map { UInt16(truncatingIfNeeded: $0) }
            return values.withUnsafeBytes { Data($0) }
        case .int8, .uint8, .bool:
            return Data(proto.int32Data.map { UInt8(truncatingIfNeeded: $0) })
        }
    }
}

/// Tensors an ONNX model keeps in files beside it (`data_location: EXTERNAL`).
enum ONNXExternalData {
    /// Reads the bytes of an externally stored tensor. The `location` must be
    /// a relative path inside the model's folder.
    static func read(_ proto: Onnx_TensorProto, file: String, byteCount: Int) throws -> Data {
        func fail(_ problem: ModelFileProblem.ExternalDataProblem) -> ConversionError {
            .modelFile(file: file, tensor: proto.name, .externalData(problem))
        }
        var entries: [String: String] = [:]
        for entry in proto.externalData { entries[entry.key] = entry.value }
        guard let location = entries["location"], !location.isEmpty else { throw fail(.noLocation) }
        let components = location.split(separator: "/")
        guard !location.hasPrefix("/"), !components.contains("..") else {
            throw fail(.outsideFolder(location: location))
        }
        let offset = Int(entries["offset"] ?? "0") ?? -1
        let length = entries["length"].map { Int($0) ?? -1 } ?? byteCount
        guard offset >= 0, length >= 0 else { throw fail(.badRange(offset: entries["offset"], length: entries["length"])) }
        let folder = (file as NSString).deletingLastPathComponent
        let path = (folder.isEmpty ? "." : folder as NSString).appendingPathComponent(location)
        // The names are checked above; symbolic links could still lead out
        // of the folder (`weights.bin -> /etc/passwd`, a linked subfolder):
        // what is opened must really lie inside the model's real folder.
        guard let realFolder = RealPath.of(folder.isEmpty ? "." : folder) else {
            throw fail(.unresolvableFolder)
        }
        guard let realTarget = RealPath.of(path) else { throw fail(.missing(location: location)) }
        guard RealPath.isInside(realTarget, folder: realFolder) else {
            throw fail(.leadsOutside(location: location, target: realTarget))
        }
        let map: MappedFile
        do {
            map = try MappedFile(path: realTarget)
        } catch var error as TensorFileError {
            error.tensor = proto.name
            throw error
        }
        // The same check on the file actually opened (from its descriptor):
        // a link swapped between resolving the name and opening it.
        if let opened = map.openedPath, !RealPath.isInside(opened, folder: realFolder) {
            throw fail(.leadsOutside(location: location, target: opened))
        }
        guard offset <= map.count, length <= map.count - offset else {
            throw TensorFileError(file: path, tensor: proto.name, offset: offset,
                                  .truncated(needed: length, available: max(0, map.count - offset)))
        }
        return Data(map.bytes[offset ..< offset + length])
    }
}
