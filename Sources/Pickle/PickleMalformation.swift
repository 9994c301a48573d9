/// What makes the opcodes of a pickle invalid. Each case carries the values
/// concerned; the text lives in `description`.
public enum PickleMalformation: Equatable, Sendable, CustomStringConvertible {
    /// `STOP` with nothing on the stack.
    case stopWithEmptyStack
    /// A length operand below zero.
    case negativeLength(Int32)
    /// An opcode needs a value but the stack (above the open mark) is empty.
    case emptyStack
    /// An opcode needs a `MARK` but none is open.
    case noOpenMark
    /// A memo key that was never stored.
    case unknownMemoKey(Int)
    /// A protocol newer than 5.
    case protocolTooNew(Int)
    /// An opcode needs `count` values on the stack.
    case tooFewValues(count: Int)
    /// An opcode adds to a container of another kind (`list`, `dict`, `set`).
    case wrongTarget(expected: String)
    /// Keys and values do not pair up.
    case oddKeysAndValues
    /// `STACK_GLOBAL`'s module and name are not strings.
    case globalNotStrings
    /// `NEWOBJ_EX` with keyword arguments.
    case keywordArguments
    /// `BUILD` on a value of this kind (not an object made by an allowed global).
    case stateOnValue(kind: String)
    /// `NEWOBJ` of a value of this kind (not an allowed class).
    case instantiateValue(kind: String)
    /// `REDUCE` of a value of this kind (not an allowed global).
    case callValue(kind: String)
    /// The arguments of `global` are a value of kind `found`, not a tuple.
    case argumentsNotTuple(global: PickleGlobal, found: String)
    /// `collections.OrderedDict` with more than one argument.
    case orderedDictArguments
    /// `collections.OrderedDict` with an item that is not a (key, value) pair.
    case orderedDictPair
    /// `collections.OrderedDict` with an argument that is not a list of pairs.
    case orderedDictItems
    /// `builtins.set` / `frozenset` without a list of items.
    case setItems(PickleGlobal)
    /// `_codecs.encode` other than (latin-1 text, 'latin1').
    case codecsEncode

    /// The malformation, without opcode or offset.
    public var description: String {
        switch self {
        case .stopWithEmptyStack: return "STOP with an empty stack"
        case .negativeLength(let length): return "negative length \(length)"
        case .emptyStack: return "needs a value but the stack is empty"
        case .noOpenMark: return "no MARK is open"
        case .unknownMemoKey(let key): return "memo key \(key) was never stored"
        case .protocolTooNew(let version): return "pickle protocol \(version) is newer than 5"
        case .tooFewValues(let count): return "needs \(count) values on the stack"
        case .wrongTarget(let expected): return "target is not a \(expected)"
        case .oddKeysAndValues: return "odd number of keys and values"
        case .globalNotStrings: return "module and name must be strings"
        case .keywordArguments: return "keyword arguments are not supported"
        case .stateOnValue(let kind):
            return "cannot apply state to a \(kind); only objects made by an allowed global take state"
        case .instantiateValue(let kind): return "cannot instantiate a \(kind); only an allowed class can be"
        case .callValue(let kind): return "cannot call a \(kind); only an allowed global can be called"
        case .argumentsNotTuple(let global, let found): return "arguments of \(global) must be a tuple, found a \(found)"
        case .orderedDictArguments: return "collections.OrderedDict takes at most one argument"
        case .orderedDictPair: return "collections.OrderedDict needs (key, value) pairs"
        case .orderedDictItems: return "collections.OrderedDict needs a list of (key, value) pairs"
        case .setItems(let global): return "\(global) needs a list of items"
        case .codecsEncode: return "_codecs.encode is only read as (latin-1 text, 'latin1')"
        }
    }
}

/// A size limit of `PickleLimits`.
public enum PickleLimit: Equatable, Sendable {
    /// `maximumGlobalNameLength`.
    case globalNameLength
    /// `maximumStackCount`.
    case stackCount
    /// `maximumObjectCount`.
    case objectCount
    /// `maximumMemoCount`.
    case memoCount
    /// `maximumMarkDepth`.
    case markDepth

    /// What exceeding `limit` means: `more than 100 nested MARKs`.
    func exceeded(_ limit: Int) -> String {
        switch self {
        case .globalNameLength: return "GLOBAL name longer than \(limit) bytes"
        case .stackCount: return "more than \(limit) values on the stack"
        case .objectCount: return "more than \(limit) objects"
        case .memoCount: return "more than \(limit) memo entries"
        case .markDepth: return "more than \(limit) nested MARKs"
        }
    }
}
