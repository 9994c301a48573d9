/// A module-qualified Python name as a pickle's `GLOBAL` / `STACK_GLOBAL`
/// spells it (after mapping Python 2 names such as `__builtin__` to Python 3).
public struct PickleGlobal: Hashable, Sendable, CustomStringConvertible {
    /// The module, e.g. `collections` or `torch._utils`.
    public let module: String
    /// The name inside the module, e.g. `OrderedDict`.
    public let name: String

    /// Creates a global reference.
    public init(module: String, name: String) {
        self.module = module
        self.name = name
    }

    /// `module.name`, the form allow-lists and error messages use.
    public var description: String { "\(module).\(name)" }
}

/// Index of a container or object inside a `PickleDocument`.
///
/// Containers live in one flat table instead of nesting inside each other, so
/// that a hostile pickle cannot build a value whose destruction or traversal
/// recurses without bound, and so that shared and mutated containers (the
/// pickle memo) keep Python's reference semantics.
public struct PickleObjectID: Hashable, Sendable {
    /// Position in `PickleDocument.objects`.
    public let index: Int

    /// Creates an identifier for table position `index`.
    public init(index: Int) { self.index = index }
}

/// A scalar, a global reference, or a reference to a container in the document.
public enum PickleValue: Hashable, Sendable {
    /// Python `None`.
    case none
    /// `True` / `False`.
    case bool(Bool)
    /// An integer that fits in `Int`.
    case int(Int)
    /// A wider integer: its little-endian two's-complement bytes, as `LONG1`
    /// and `LONG4` store them.
    case bigInt([UInt8])
    /// A Python `float`.
    case float(Double)
    /// A Python `str`.
    case string(String)
    /// A Python `bytes` or `bytearray`.
    case bytes([UInt8])
    /// A reference to an allowed global (a class, function or constant),
    /// never resolved to anything executable.
    case global(PickleGlobal)
    /// A tuple, list, dict, set, call or persistent id stored in the document.
    case object(PickleObjectID)

    /// A short English name of the kind (`None`, `int`, `str`, the global's
    /// name, or `object` for a container, which only its document can name).
    public var kindName: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .global(let global): return global.description
        case .object: return "object"
        }
    }
}

/// A recorded call to an allowed global (`REDUCE`, `NEWOBJ`), with the state a
/// later `BUILD` attached to its result. Nothing is ever called: readers of
/// the document interpret the record.
public struct PickleCall: Sendable {
    /// The global that would have been called.
    public let callee: PickleGlobal
    /// The positional arguments.
    public let arguments: [PickleValue]
    /// Whether the call came from `NEWOBJ` / `NEWOBJ_EX` (`cls.__new__`).
    public let isNewObject: Bool
    /// The argument of the last `BUILD` applied to the result, if any.
    public internal(set) var state: PickleValue?
}

/// A dictionary in insertion order; a later assignment to an existing key
/// replaces its value in place, as in Python.
public struct PickleDictionary: Sendable {
    /// The entries in insertion order.
    public private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    /// The argument of a `BUILD` applied to the dictionary (an `OrderedDict`'s
    /// attributes, e.g. a state dict's `_metadata`), if any.
    public internal(set) var state: PickleValue?
    private var positions: [PickleValue: Int] = [:]

    /// Number of entries.
    public var count: Int { entries.count }

    /// The value stored under `key`, if any.
    public subscript(key: PickleValue) -> PickleValue? {
        positions[key].map { entries[$0].value }
    }

    /// The value stored under the string key `key`, if any.
    public subscript(key: String) -> PickleValue? { self[.string(key)] }

    mutating func set(_ key: PickleValue, _ value: PickleValue) {
        if let position = positions[key] {
            entries[position].value = value
        } else {
            positions[key] = entries.count
            entries.append((key, value))
        }
    }
}

/// A container or object of a pickle.
public enum PickleObject: Sendable {
    /// A tuple.
    case tuple([PickleValue])
    /// A list.
    case list([PickleValue])
    /// A dict or `collections.OrderedDict`.
    case dictionary(PickleDictionary)
    /// A set or frozenset, in insertion order.
    case set([PickleValue])
    /// The record of a call to an allowed global.
    case call(PickleCall)
    /// The object a `BINPERSID` refers to: the pickle's persistent id, for the
    /// reader of the document to resolve (PyTorch uses it for storages).
    case persistent(PickleValue)

    /// A short English name of the kind (`tuple`, `dict`, …) for messages.
    public var kindName: String {
        switch self {
        case .tuple: return "tuple"
        case .list: return "list"
        case .dictionary: return "dict"
        case .set: return "set"
        case .call(let call): return "\(call.callee) object"
        case .persistent: return "persistent id"
        }
    }
}

/// The result of unpickling: the root value and the table of every container
/// the pickle built.
public struct PickleDocument: Sendable {
    /// The value `STOP` returned.
    public let root: PickleValue
    /// Every container, indexed by `PickleObjectID.index`.
    public let objects: [PickleObject]
    /// The protocol named by `PROTO`, or nil when the pickle has none.
    public let protocolVersion: Int?
    /// Bytes consumed, up to and including `STOP`.
    public let byteCount: Int

    /// The container `id` refers to.
    public subscript(id: PickleObjectID) -> PickleObject { objects[id.index] }

    /// The container `value` refers to, or nil for scalars and globals.
    public func object(_ value: PickleValue) -> PickleObject? {
        if case .object(let id) = value { return objects[id.index] }
        return nil
    }

    /// The items of `value` when it is a tuple or a list.
    public func sequence(_ value: PickleValue) -> [PickleValue]? {
        switch object(value) {
        case .tuple(let items)?, .list(let items)?: return items
        default: return nil
        }
    }

    /// The dictionary `value` refers to, if it is one.
    public func dictionary(_ value: PickleValue) -> PickleDictionary? {
        if case .dictionary(let dictionary)? = object(value) { return dictionary }
        return nil
    }

    /// A short English name of the value's kind (`int`, `str`, `dict`, …).
    public func kindName(_ value: PickleValue) -> String {
        if case .object(let id) = value { return objects[id.index].kindName }
        return value.kindName
    }
}
