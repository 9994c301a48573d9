extension PickleMachine {
    /// Python 2 module names that protocol-2 pickles use, mapped as Python 3's
    /// `_compat_pickle` does for the modules that matter here (Python 3
    /// writes `subprocess.Popen` as `commands Popen`, `eval` as `__builtin__ eval`).
    static let python2Modules = [
        "__builtin__": "builtins", "copy_reg": "copyreg", "exceptions": "builtins", "commands": "subprocess",
        "cPickle": "pickle", "thread": "_thread", "dummy_thread": "_dummy_thread", "Queue": "queue",
        "cStringIO": "io", "StringIO": "io", "UserDict": "collections", "__ipython__": "builtins",
    ]

    /// Runs one opcode (not `STOP`, which `run` handles).
    mutating func execute(_ opcode: PickleOpcode) throws {
        switch opcode {
        case .proto:
            let version = Int(try unsigned(1))
            guard version <= 5 else { throw malformed(.protocolTooNew(Int(version))) }
            protocolVersion = version
        case .frame:
            _ = try length(8)  // framing is optional to honour; only its size is checked
        case .mark:
            guard marks.count < limits.maximumMarkDepth else {
                throw error(.limitExceeded(.markDepth, limit: limits.maximumMarkDepth))
            }
            marks.append(stack.count)
        case .pop:
            if stack.count > markBase { stack.removeLast() } else { _ = try popMark() }
        case .popMark:
            _ = try popMark()
        case .dup:
            try push(try top())

        case .none: try push(.none)
        case .newTrue: try push(.bool(true))
        case .newFalse: try push(.bool(false))
        case .binInt: try push(.int(Int(Int32(bitPattern: UInt32(try unsigned(4))))))
        case .binInt1: try push(.int(Int(try unsigned(1))))
        case .binInt2: try push(.int(Int(try unsigned(2))))
        case .long1: try push(Self.integer(littleEndian: Array(try take(try length(1)))))
        case .long4: try push(Self.integer(littleEndian: Array(try take(try length(4, signed: true)))))
        case .binFloat: try push(.float(Double(bitPattern: try unsigned(8).byteSwapped)))  // stored big-endian
        case .binString: try push(.string(Self.latin1(try take(try length(4, signed: true)))))
        case .shortBinString: try push(.string(Self.latin1(try take(try length(1)))))
        case .binUnicode: try push(.string(String(decoding: try take(try length(4)), as: UTF8.self)))
        case .shortBinUnicode: try push(.string(String(decoding: try take(try length(1)), as: UTF8.self)))
        case .binUnicode8: try push(.string(String(decoding: try take(try length(8)), as: UTF8.self)))
        case .binBytes: try push(.bytes(Array(try take(try length(4)))))
        case .shortBinBytes: try push(.bytes(Array(try take(try length(1)))))
        case .binBytes8, .byteArray8: try push(.bytes(Array(try take(try length(8)))))

        case .emptyTuple: try pushObject(.tuple([]))
        case .tuple: try pushObject(.tuple(try popMark()))
        case .tuple1, .tuple2, .tuple3:
            let count = Int(opcode.rawValue - PickleOpcode.tuple1.rawValue) + 1
            guard stack.count - markBase >= count else { throw malformed(.tooFewValues(count: count)) }
            let items = Array(stack.suffix(count))
            stack.removeLast(count)
            try pushObject(.tuple(items))
        case .emptyList: try pushObject(.list([]))
        case .list: try pushObject(.list(try popMark()))
        case .append:
            let item = try pop()
            guard store.append([item], to: try top()) else { throw malformed(.wrongTarget(expected: "list")) }
        case .appends:
            let items = try popMark()
            guard store.append(items, to: try top()) else { throw malformed(.wrongTarget(expected: "list")) }
        case .emptyDict: try pushObject(.dictionary(PickleDictionary()))
        case .dict:
            let items = try popMark()
            guard items.count % 2 == 0 else { throw malformed(.oddKeysAndValues) }
            try pushObject(.dictionary(PickleDictionary()))
            _ = store.setItems(items, in: try top())
        case .setItem:
            let value = try pop()
            let key = try pop()
            guard store.setItems([key, value], in: try top()) else { throw malformed(.wrongTarget(expected: "dict")) }
        case .setItems:
            let items = try popMark()
            guard items.count % 2 == 0 else { throw malformed(.oddKeysAndValues) }
            guard store.setItems(items, in: try top()) else { throw malformed(.wrongTarget(expected: "dict")) }
        case .emptySet: try pushObject(.set([]))
        case .addItems:
            let items = try popMark()
            guard store.addItems(items, to: try top()) else { throw malformed(.wrongTarget(expected: "set")) }
        case .frozenSet: try pushObject(.set(try popMark()))

        case .binPut: try remember(Int(try unsigned(1)))
        case .longBinPut: try remember(Int(try unsigned(4)))
        case .memoize: try remember(memo.count)
        case .binGet: try recall(Int(try unsigned(1)))
        case .longBinGet: try recall(Int(try unsigned(4)))

        case .global:
            let module = try line()
            let name = try line()
            try push(.global(try resolve(module: module, name: name)))
        case .stackGlobal:
            let name = try pop()
            let module = try pop()
            guard case .string(let moduleText) = module, case .string(let nameText) = name else {
                throw malformed(.globalNotStrings)
            }
            try push(.global(try resolve(module: moduleText, name: nameText)))
        case .reduce:
            let arguments = try pop()
            let callee = try pop()
            try push(try construct(callee, arguments, isNewObject: false))
        case .newObj:
            let arguments = try pop()
            let callee = try pop()
            try push(try construct(callee, arguments, isNewObject: true))
        case .newObjEx:
            let keywords = try pop()
            let arguments = try pop()
            let callee = try pop()
            guard store.isEmptyDictionary(keywords) else { throw malformed(.keywordArguments) }
            try push(try construct(callee, arguments, isNewObject: true))
        case .build:
            let state = try pop()
            let target = try top()
            guard store.build(target, state: state) else {
                throw malformed(.stateOnValue(kind: kindName(target)))
            }
        case .binPersId:
            try pushObject(.persistent(try pop()))

        case .stop, .int, .long, .float, .string, .unicode, .get, .put, .persId, .inst, .obj,
             .ext1, .ext2, .ext4, .nextBuffer, .readonlyBuffer:
            throw error(.unsupportedOpcode(opcode.rawValue))
        }
    }

    /// Maps Python 2 names and applies the allow-list.
    func resolve(module: String, name: String) throws -> PickleGlobal {
        let global = PickleGlobal(module: Self.python2Modules[module] ?? module, name: name)
        guard allowGlobal(global) else { throw error(.refusedGlobal(global)) }
        return global
    }

    /// The result of calling `callee` (an allowed global) with `arguments`:
    /// inert standard constructors become data, anything else a call record.
    mutating func construct(_ callee: PickleValue, _ arguments: PickleValue, isNewObject: Bool) throws -> PickleValue {
        let global: PickleGlobal
        switch callee {
        case .global(let named):
            global = named
        case _ where isNewObject:
            guard let id = store.persistentID(callee), let items = store.sequenceItems(id),
                  let named = persistentClass(items)
            else { throw malformed(.instantiateValue(kind: kindName(callee))) }
            global = named
        default:
            throw malformed(.callValue(kind: kindName(callee)))
        }
        guard let items = store.tupleItems(arguments) else {
            throw malformed(.argumentsNotTuple(global: global, found: kindName(arguments)))
        }
        switch global.description {
        case "collections.OrderedDict":
            guard items.count <= 1 else { throw malformed(.orderedDictArguments) }
            var pairs: [PickleValue] = []
            for pair in items.first.flatMap({ store.sequenceItems($0) }) ?? [] {
                guard let kv = store.sequenceItems(pair), kv.count == 2 else {
                    throw malformed(.orderedDictPair)
                }
                pairs += kv
            }
            guard items.isEmpty || store.sequenceItems(items[0]) != nil else {
                throw malformed(.orderedDictItems)
            }
            guard store.count < limits.maximumObjectCount else {
                throw error(.limitExceeded(.objectCount, limit: limits.maximumObjectCount))
            }
            let dictionary = store.add(.dictionary(PickleDictionary()))
            _ = store.setItems(pairs, in: dictionary)
            return dictionary
        case "builtins.set", "builtins.frozenset":
            guard items.count <= 1, items.isEmpty || store.sequenceItems(items[0]) != nil else {
                throw malformed(.setItems(global))
            }
            guard store.count < limits.maximumObjectCount else {
                throw error(.limitExceeded(.objectCount, limit: limits.maximumObjectCount))
            }
            return store.add(.set(items.first.flatMap { store.sequenceItems($0) } ?? []))
        case "_codecs.encode":
            guard items.count == 2, case .string(let text) = items[0], case .string(let encoding) = items[1],
                  ["latin1", "latin-1"].contains(encoding.lowercased()),
                  text.unicodeScalars.allSatisfy({ $0.value <= 0xFF })
            else { throw malformed(.codecsEncode) }
            return .bytes(text.unicodeScalars.map { UInt8($0.value) })
        default:
            guard isNewObject || allowCall(global) else { throw error(.refusedCall(global)) }
            guard store.count < limits.maximumObjectCount else {
                throw error(.limitExceeded(.objectCount, limit: limits.maximumObjectCount))
            }
            return store.add(.call(PickleCall(callee: global, arguments: items, isNewObject: isNewObject, state: nil)))
        }
    }

    func kindName(_ value: PickleValue) -> String {
        switch store.kind(of: value) {
        case .tuple?: return "tuple"
        case .list?: return "list"
        case .dictionary?: return "dict"
        case .set?: return "set"
        case .call?: return "object"
        case .persistent?: return "persistent id"
        case nil: return value.kindName
        }
    }

    /// A `LONG1` / `LONG4` payload: `Int` when it fits, else its bytes with
    /// redundant sign bytes removed.
    static func integer(littleEndian raw: [UInt8]) -> PickleValue {
        guard let last = raw.last else { return .int(0) }
        var bytes = raw
        let negative = last & 0x80 != 0
        let filler: UInt8 = negative ? 0xFF : 0x00
        while bytes.count > 1, bytes[bytes.count - 1] == filler, (bytes[bytes.count - 2] & 0x80 != 0) == negative {
            bytes.removeLast()
        }
        guard bytes.count <= 8 else { return .bigInt(bytes) }
        var value: UInt64 = negative ? ~0 : 0
        for (index, byte) in bytes.enumerated() {
            value &= ~(UInt64(0xFF) << (8 * UInt64(index)))
            value |= UInt64(byte) << (8 * UInt64(index))
        }
        return .int(Int(Int64(bitPattern: value)))
    }

    /// Python 2 `str` bytes read as Latin-1 (ASCII for everything PyTorch writes).
    static func latin1(_ raw: UnsafeRawBufferPointer) -> String {
        String(String.UnicodeScalarView(raw.map { Unicode.Scalar($0) }))
    }
}
