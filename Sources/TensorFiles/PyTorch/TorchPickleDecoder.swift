import Pickle

/// A storage as a checkpoint's persistent id describes it.
struct TorchStorageReference: Sendable {
    /// The key naming its bytes (`data/<key>` in a zip; the key list in a legacy file).
    var key: String
    /// The storage class (`FloatStorage`, `UntypedStorage`, …).
    var typeName: String
    /// Its element type, or nil when rnnkit has no such dtype.
    var dtype: DType?
    /// Bytes per storage element.
    var itemSize: Int
    /// Bytes the persistent id declares (element count × element size).
    var byteCount: Int
    /// Where a legacy storage view starts inside the storage `key`, in bytes.
    var viewOffset: Int = 0
}

/// A tensor as the pickle describes it: a strided view of a storage.
struct TorchTensorRecord: Sendable {
    var storage: TorchStorageReference
    var dtype: DType
    /// Offset of element (0, …, 0) in elements of `dtype`, from the storage (view) start.
    var offset: Int
    var shape: [Int]
    var strides: [Int]
}

/// Interprets the records of a checkpoint's pickle: persistent ids become
/// storage references, `_rebuild_tensor*` / `_rebuild_parameter*` calls become
/// tensor records. Validates every argument; reads no storage bytes.
struct TorchPickleDecoder {
    let document: PickleDocument
    let file: String
    /// Every storage the pickle refers to, by key, first reference first.
    private(set) var storages: [String: TorchStorageReference] = [:]
    private(set) var storageOrder: [String] = []

    /// Decodes every persistent id of `document` (storages are the only kind allowed).
    init(document: PickleDocument, file: String) throws {
        self.document = document
        self.file = file
        for object in document.objects {
            guard case .persistent(let id) = object, !Self.isModuleClass(document, id) else { continue }
            let reference = try storage(id)
            if storages[reference.key] == nil {
                storages[reference.key] = reference
                storageOrder.append(reference.key)
            }
        }
    }

    /// The class a legacy file's `("module", class, source file, source)`
    /// persistent id stands for, which `NEWOBJ` instantiates; nil for any other id.
    static func moduleClass(_ items: [PickleValue]) -> PickleGlobal? {
        guard items.count == 4, items[0] == .string("module"), case .global(let global) = items[1] else { return nil }
        return global
    }

    static func isModuleClass(_ document: PickleDocument, _ id: PickleValue) -> Bool {
        document.sequence(id).flatMap(moduleClass) != nil
    }

    func failure(_ problem: TorchPickleProblem, tensor: String? = nil) -> TensorFileError {
        TensorFileError(file: file, tensor: tensor, .torchPickle(problem))
    }

    /// `("storage", storage_type, key, location, numel[, view_metadata])`.
    func storage(_ id: PickleValue) throws -> TorchStorageReference {
        guard let fields = document.sequence(id), let first = fields.first else {
            throw failure(.persistentIDNotTuple(kind: document.kindName(id)))
        }
        let tag: String?
        switch first {
        case .string(let text): tag = text
        case .bytes(let raw): tag = String(decoding: raw, as: UTF8.self)
        default: tag = nil
        }
        guard tag == "storage" else {
            throw failure(.persistentIDKind(tag ?? document.kindName(first)))
        }
        guard fields.count == 5 || fields.count == 6 else {
            throw failure(.storageFieldCount(fields.count))
        }
        guard case .global(let type) = fields[1], let storageType = TorchAllowList.storageType(type) else {
            throw failure(.notStorageClass(kind: document.kindName(fields[1])))
        }
        guard let key = Self.key(fields[2]) else {
            throw failure(.storageKeyNotString(kind: document.kindName(fields[2])))
        }
        guard case .int(let count) = fields[4], count >= 0 else {
            throw failure(.storageSize(storage: key, kind: document.kindName(fields[4])))
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: storageType.itemSize)
        guard !overflow else { throw failure(.storageCountOverflows(storage: key, count: count)) }
        var reference = TorchStorageReference(
            key: key, typeName: storageType.name, dtype: storageType.dtype, itemSize: storageType.itemSize,
            byteCount: byteCount)
        if fields.count == 6, fields[5] != .none {
            // Legacy storage view: (view_key, offset, view_size), in storage elements.
            guard let view = document.sequence(fields[5]), view.count == 3,
                  case .int(let offset) = view[1], case .int(let size) = view[2], offset >= 0, size >= 0,
                  offset <= count, size <= count - offset
            else { throw failure(.storageView(storage: key, count: count)) }
            reference.viewOffset = offset * storageType.itemSize
            reference.byteCount = size * storageType.itemSize
        }
        return reference
    }

    static func key(_ value: PickleValue) -> String? {
        switch value {
        case .string(let text): return text
        case .int(let number): return String(number)
        default: return nil
        }
    }

    /// The callee of a call record, if `value` is one.
    func call(_ value: PickleValue) -> PickleCall? {
        if case .call(let call)? = document.object(value) { return call }
        return nil
    }

    /// Whether `global` is one of the functions that rebuild tensors.
    static func rebuilds(_ global: PickleGlobal) -> Bool {
        (global.module == "torch._utils" && TorchAllowList.rebuildFunctions.contains(global.name))
            || global.description == TorchAllowList.rebuildFromType
    }

    /// Whether `value` is a tensor or parameter record.
    func isTensor(_ value: PickleValue) -> Bool {
        call(value).map { Self.rebuilds($0.callee) } ?? false
    }

    /// The tensor `value` describes, or nil when it is not a tensor record.
    func tensor(_ value: PickleValue, name: String, depth: Int = 0) throws -> TorchTensorRecord? {
        guard let call = call(value), Self.rebuilds(call.callee) else { return nil }
        return try tensor(call.callee, call.arguments, name: name, depth: depth)
    }

    /// The tensor a call of the rebuild function `callee` with `arguments` makes.
    func tensor(_ callee: PickleGlobal, _ arguments: [PickleValue], name: String, depth: Int) throws -> TorchTensorRecord {
        func fail(_ problem: TorchPickleProblem.Rebuild) -> TensorFileError {
            failure(.rebuild(function: callee.name, problem), tensor: name)
        }
        guard depth < 4 else { throw fail(.nestsTooDeeply) }
        switch callee.name {
        case "_rebuild_from_type_v2":
            // (rebuild function, torch.Tensor or Parameter, its arguments, Python attributes): a tensor with attributes.
            guard arguments.count == 4, case .global(let function) = arguments[0], Self.rebuilds(function),
                  case .global(let type) = arguments[1], TorchAllowList.tensorTypes.contains(type.description),
                  let inner = document.sequence(arguments[2])
            else { throw fail(.typedArguments) }
            return try tensor(function, inner, name: name, depth: depth + 1)
        case "_rebuild_parameter", "_rebuild_parameter_with_state":
            guard arguments.count >= 1, let data = try tensor(arguments[0], name: name, depth: depth + 1) else {
                throw fail(.parameterNotTensor)
            }
            return data
        default:
            return try view(callee, arguments, name: name, fail: fail)
        }
    }

    /// `_rebuild_tensor(storage, offset, size, stride)`, `_rebuild_tensor_v2(…,
    /// requires_grad, hooks[, metadata])`, `_rebuild_tensor_v3(…, dtype[, metadata])`.
    private func view(
        _ callee: PickleGlobal, _ arguments: [PickleValue], name: String, fail: (TorchPickleProblem.Rebuild) -> TensorFileError
    ) throws -> TorchTensorRecord {
        let counts = ["_rebuild_tensor": 4 ... 4, "_rebuild_tensor_v2": 6 ... 7, "_rebuild_tensor_v3": 7 ... 8]
        guard let expected = counts[callee.name], expected.contains(arguments.count) else {
            throw fail(.argumentCount(arguments.count))
        }
        guard case .persistent(let id)? = document.object(arguments[0]) else {
            throw fail(.notStorage(kind: document.kindName(arguments[0])))
        }
        let storage = try self.storage(id)
        guard case .int(let offset) = arguments[1], offset >= 0 else { throw fail(.storageOffset) }
        guard let shape = integers(arguments[2]), let strides = integers(arguments[3]) else {
            throw fail(.sizeOrStrideNotIntegers)
        }
        guard shape.count == strides.count, shape.count <= 64 else {
            throw fail(.sizeStrideMismatch(shape: shape, strides: strides))
        }
        guard shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }) else {
            throw fail(.negativeSizeOrStride(shape: shape, strides: strides))
        }
        var dtype = storage.dtype
        var dtypeName = "torch.\(storage.typeName)"
        var metadataIndex = 6
        if callee.name == "_rebuild_tensor_v3" {
            guard case .global(let global) = arguments[6], global.module == "torch" else {
                throw fail(.dtypeArgument(kind: document.kindName(arguments[6])))
            }
            dtype = TorchAllowList.dtypes[global.name]
            dtypeName = global.description
            metadataIndex = 7
        }
        guard let dtype else {
            throw TensorFileError(file: file, tensor: name, .unsupportedDType(.unknown(dtypeName, in: .pytorch)))
        }
        if arguments.count > metadataIndex, let metadata = document.dictionary(arguments[metadataIndex]),
           metadata["neg"] == .bool(true) || metadata["conj"] == .bool(true) {
            throw fail(.negativeOrConjugate)
        }
        return TorchTensorRecord(storage: storage, dtype: dtype, offset: offset, shape: shape, strides: strides)
    }

    /// The integers of a tuple or list (or of `torch.Size(tuple)`), or nil.
    func integers(_ value: PickleValue, nested: Bool = false) -> [Int]? {
        if !nested, let call = call(value), call.callee.description == "torch.Size", call.arguments.count == 1 {
            return integers(call.arguments[0], nested: true)
        }
        guard let items = document.sequence(value) else { return nil }
        var result: [Int] = []
        result.reserveCapacity(items.count)
        for item in items {
            guard case .int(let number) = item else { return nil }
            result.append(number)
        }
        return result
    }
}
