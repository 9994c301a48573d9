/// Reads a pickle into a `PickleDocument` without running anything.
///
/// A stack machine over the binary opcodes of pickle protocols 2–5 (the ones
/// `torch.save` and `pickle.dump` emit). `GLOBAL` and `STACK_GLOBAL` are
/// resolved only through the caller's allow-list: a global it refuses stops
/// the read with `PickleError.Reason.refusedGlobal`, naming it. Allowed
/// globals are never looked up or called; `REDUCE`, `NEWOBJ` and `BUILD` only
/// record what would have been called (`PickleCall`), except for a few inert
/// standard constructors that are evaluated as data: `collections.OrderedDict`
/// (a dict), `builtins.set` / `builtins.frozenset` (a set) and `_codecs.encode`
/// with `latin1` (bytes, as protocol 2 stores them).
///
/// Every read is checked against the bytes that remain before anything is
/// allocated, and `PickleLimits` caps the stack, memo, marks and objects.
///
/// A second policy, `allowCall`, decides which allowed globals a `REDUCE` may
/// name (a function call in Python); `NEWOBJ` (`cls.__new__(cls)`, how
/// protocol 2 pickles an instance) only records an opaque object of the class.
public struct Unpickler {
    /// The size limits.
    public var limits: PickleLimits
    /// Decides whether a global may appear in the pickle.
    public var allowGlobal: (PickleGlobal) -> Bool
    /// Decides whether a `REDUCE` may name an allowed global (other than the
    /// inert constructors evaluated as data); a refusal stops the read with
    /// `PickleError.Reason.refusedCall`. Nothing is ever called either way.
    public var allowCall: (PickleGlobal) -> Bool
    /// The class a persistent object stands for when `NEWOBJ` instantiates it
    /// (PyTorch's legacy format pickles a module class as the persistent id
    /// `("module", class, source file, source)`), or nil to refuse.
    public var persistentClass: ([PickleValue]) -> PickleGlobal?

    /// Creates an unpickler that accepts the globals `allowGlobal` approves
    /// and lets `REDUCE` name those `allowCall` approves (all, by default).
    public init(
        limits: PickleLimits = .standard, allowCall: @escaping (PickleGlobal) -> Bool = { _ in true },
        persistentClass: @escaping ([PickleValue]) -> PickleGlobal? = { _ in nil },
        allowGlobal: @escaping (PickleGlobal) -> Bool
    ) {
        self.limits = limits
        self.allowGlobal = allowGlobal
        self.allowCall = allowCall
        self.persistentClass = persistentClass
    }

    /// Reads one pickle from the start of `bytes`, up to its `STOP` opcode.
    /// Bytes after `STOP` are left alone; `PickleDocument.byteCount` says how
    /// many were used.
    public func load(_ bytes: UnsafeRawBufferPointer) throws -> PickleDocument {
        var machine = PickleMachine(bytes: bytes, limits: limits, allowGlobal: allowGlobal)
        machine.allowCall = allowCall
        machine.persistentClass = persistentClass
        return try machine.run()
    }

    /// Reads one pickle from the start of `bytes`.
    public func load(_ bytes: [UInt8]) throws -> PickleDocument {
        try bytes.withUnsafeBytes { try load($0) }
    }
}

/// The machine's state while it runs: input cursor, stack, marks and memo.
struct PickleMachine {
    let bytes: UnsafeRawBufferPointer
    let limits: PickleLimits
    let allowGlobal: (PickleGlobal) -> Bool
    var allowCall: (PickleGlobal) -> Bool = { _ in true }
    var persistentClass: ([PickleValue]) -> PickleGlobal? = { _ in nil }
    var position = 0
    var opcodeStart = 0
    var opcode = PickleOpcode.stop
    var stack: [PickleValue] = []
    var marks: [Int] = []
    var memo: [Int: PickleValue] = [:]
    var store = PickleObjectStore()
    var protocolVersion: Int?

    init(bytes: UnsafeRawBufferPointer, limits: PickleLimits, allowGlobal: @escaping (PickleGlobal) -> Bool) {
        self.bytes = bytes
        self.limits = limits
        self.allowGlobal = allowGlobal
    }

    mutating func run() throws -> PickleDocument {
        while position < bytes.count {
            opcodeStart = position
            let code = bytes[position]
            position += 1
            guard let known = PickleOpcode(rawValue: code) else {
                throw PickleError(offset: opcodeStart, .unsupportedOpcode(code))
            }
            opcode = known
            if known == .stop {
                guard let root = stack.last else { throw malformed(.stopWithEmptyStack) }
                return PickleDocument(
                    root: root, objects: store.finish(), protocolVersion: protocolVersion, byteCount: position)
            }
            try execute(known)
        }
        throw PickleError(offset: bytes.count, .missingStop)
    }

    // MARK: Reading operands

    func error(_ reason: PickleError.Reason) -> PickleError { PickleError(offset: opcodeStart, reason) }

    func malformed(_ what: PickleMalformation) -> PickleError { error(.malformed(opcode: opcode, what)) }

    var remaining: Int { bytes.count - position }

    mutating func take(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= remaining else {
            throw error(.truncated(needed: count, available: remaining))
        }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position ..< position + count])
    }

    /// A little-endian unsigned integer of `width` bytes (1, 2, 4 or 8).
    mutating func unsigned(_ width: Int) throws -> UInt64 {
        let raw = try take(width)
        var value: UInt64 = 0
        for index in stride(from: width - 1, through: 0, by: -1) { value = value << 8 | UInt64(raw[index]) }
        return value
    }

    /// A length operand of `width` bytes, checked against the bytes that remain.
    mutating func length(_ width: Int, signed: Bool = false) throws -> Int {
        let raw = try unsigned(width)
        if signed, width == 4, Int32(bitPattern: UInt32(raw)) < 0 {
            throw malformed(.negativeLength(Int32(bitPattern: UInt32(raw))))
        }
        guard raw <= UInt64(remaining) else {
            throw error(.truncated(needed: raw > UInt64(Int.max) ? Int.max : Int(raw), available: remaining))
        }
        return Int(raw)
    }

    /// Bytes up to the next newline (excluded), at most `maximumGlobalNameLength`.
    mutating func line() throws -> String {
        let window = min(remaining, limits.maximumGlobalNameLength + 1)
        for index in 0 ..< window where bytes[position + index] == 0x0A {
            let text = String(decoding: try take(index), as: UTF8.self)
            position += 1
            return text
        }
        if window == remaining { throw error(.truncated(needed: window + 1, available: remaining)) }
        throw error(.limitExceeded(.globalNameLength, limit: limits.maximumGlobalNameLength))
    }

    // MARK: Stack

    var markBase: Int { marks.last ?? 0 }

    mutating func push(_ value: PickleValue) throws {
        guard stack.count < limits.maximumStackCount else {
            throw error(.limitExceeded(.stackCount, limit: limits.maximumStackCount))
        }
        stack.append(value)
    }

    mutating func pop() throws -> PickleValue {
        guard stack.count > markBase else { throw malformed(.emptyStack) }
        return stack.removeLast()
    }

    func top() throws -> PickleValue {
        guard stack.count > markBase, let value = stack.last else {
            throw malformed(.emptyStack)
        }
        return value
    }

    /// The values pushed since the last `MARK`, which is closed.
    mutating func popMark() throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw malformed(.noOpenMark) }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    mutating func pushObject(_ object: PickleObject) throws {
        guard store.count < limits.maximumObjectCount else {
            throw error(.limitExceeded(.objectCount, limit: limits.maximumObjectCount))
        }
        try push(store.add(object))
    }

    mutating func remember(_ key: Int) throws {
        if memo[key] == nil, memo.count >= limits.maximumMemoCount {
            throw error(.limitExceeded(.memoCount, limit: limits.maximumMemoCount))
        }
        memo[key] = try top()
    }

    mutating func recall(_ key: Int) throws {
        guard let value = memo[key] else { throw malformed(.unknownMemoKey(key)) }
        try push(value)
    }
}
