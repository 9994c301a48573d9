/// ONNX has no magic number: a model is a protobuf `ModelProto`. The sniffer
/// walks the top level of the message without decoding it (each field's key,
/// then skips its value) and takes the file for ONNX when every byte belongs
/// to a well-formed field, `ir_version` and `graph` are present, and each
/// known `ModelProto` field has the wire type `onnx.proto` gives it.
extension FormatSniffer {
    /// Wire types: 0 varint, 1 fixed 64-bit, 2 length-delimited, 5 fixed 32-bit.
    private static let modelFields: [UInt64: UInt64] = [
        1: 0,  // ir_version
        2: 2, 3: 2, 4: 2,  // producer_name, producer_version, domain
        5: 0,  // model_version
        6: 2, 7: 2, 8: 2,  // doc_string, graph, opset_import
        14: 2, 20: 2, 25: 2, 26: 2,  // metadata_props, training_info, functions, configuration
    ]

    /// Whether `bytes` are a `ModelProto` with `ir_version` and `graph`.
    static func isONNX(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        var seen = Set<UInt64>()
        while offset < bytes.count {
            guard let key = varint(bytes, &offset) else { return false }
            let field = key >> 3, wireType = key & 7
            guard field >= 1, field <= 0x1FFF_FFFF else { return false }
            if let expected = modelFields[field], expected != wireType { return false }
            let remaining = bytes.count - offset
            switch wireType {
            case 0: guard varint(bytes, &offset) != nil else { return false }
            case 1: guard remaining >= 8 else { return false }; offset += 8
            case 2:
                guard let length = varint(bytes, &offset), length <= UInt64(bytes.count - offset) else { return false }
                offset += Int(length)
            case 5: guard remaining >= 4 else { return false }; offset += 4
            default: return false  // groups (3, 4) are not in onnx.proto; 6 and 7 do not exist
            }
            seen.insert(field)
        }
        return seen.contains(1) && seen.contains(7)
    }

    /// Reads a base-128 varint (at most 10 bytes) at `offset`, advancing it; nil when malformed or cut off.
    private static func varint(_ bytes: UnsafeRawBufferPointer, _ offset: inout Int) -> UInt64? {
        var value: UInt64 = 0
        for index in 0 ..< 10 {
            guard offset < bytes.count else { return nil }
            let byte = bytes[offset]
            offset += 1
            if index == 9, byte > 1 { return nil }
            value |= UInt64(byte & 0x7F) << (7 * UInt64(index))
            if byte & 0x80 == 0 { return value }
        }
        return nil
    }
}
