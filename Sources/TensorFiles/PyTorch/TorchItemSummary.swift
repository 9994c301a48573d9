import Pickle

/// One-line descriptions of a checkpoint's non-tensor entries, as `inspect`
/// lists them: `3`, `0.001`, `'adam'`, `[0.9, 0.999]`, `dict with 2 entries`,
/// `tensor float32 [4]`. Reads only the pickle, never storage bytes.
struct TorchItemSummary {
    let decoder: TorchPickleDecoder

    /// Longest string quoted in full.
    static let maximumStringLength = 40
    /// Most items a short sequence of scalars is written out with.
    static let maximumInlineItems = 8

    /// A short description of `value`.
    func describe(_ value: PickleValue) -> String {
        if let scalar = Self.scalar(value) { return scalar }
        let document = decoder.document
        if let tensor = try? decoder.tensor(value, name: "") {
            return "tensor \(tensor.dtype.rawValue) \(tensor.shape)"
        }
        if decoder.isTensor(value) { return "tensor (unreadable record)" }
        guard let object = document.object(value) else { return document.kindName(value) }
        switch object {
        case .tuple(let items), .list(let items):
            let isTuple: Bool
            if case .tuple = object { isTuple = true } else { isTuple = false }
            let inline = items.compactMap(Self.scalar)
            if inline.count == items.count, items.count <= Self.maximumInlineItems {
                let body = inline.joined(separator: ", ")
                return isTuple ? "(\(body)\(items.count == 1 ? "," : ""))" : "[\(body)]"
            }
            return "\(isTuple ? "tuple" : "list") with \(Self.count(items.count, "item"))"
        case .dictionary(let dictionary):
            return "dict with \(Self.count(dictionary.count, "entry", "entries"))"
        case .set(let items):
            return "set with \(Self.count(items.count, "item"))"
        case .persistent(let id):
            if let storage = try? decoder.storage(id) { return "storage \(storage.typeName) '\(storage.key)'" }
            return "storage"
        case .call(let call):
            switch call.callee.description {
            case "torch.Size":
                if let sizes = decoder.integers(value) { return "torch.Size(\(sizes))" }
            case "torch.device":
                let parts = call.arguments.compactMap(Self.scalar)
                if !parts.isEmpty { return "torch.device(\(parts.joined(separator: ", ")))" }
            default:
                break
            }
            return "\(call.callee) object"
        }
    }

    /// Python-style text of a scalar or global, or nil for containers.
    static func scalar(_ value: PickleValue) -> String? {
        switch value {
        case .none: return "None"
        case .bool(let flag): return flag ? "True" : "False"
        case .int(let number): return String(number)
        case .bigInt(let bytes): return "int of \(bytes.count) bytes"
        case .float(let number):
            if number.isNaN { return "nan" }
            if number.isInfinite { return number < 0 ? "-inf" : "inf" }
            return "\(number)"
        case .string(let text):
            let shown = text.count > Self.maximumStringLength
                ? String(text.prefix(Self.maximumStringLength)) + "…" : text
            return "'\(shown)'"
        case .bytes(let raw): return "bytes (\(raw.count))"
        case .global(let global): return global.description
        case .object: return nil
        }
    }

    static func count(_ number: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(number) \(number == 1 ? singular : plural ?? singular + "s")"
    }
}
