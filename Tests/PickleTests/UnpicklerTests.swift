import XCTest
@testable import Pickle

/// Python-like text of a value, for comparing with CPython's `repr`.
func render(_ value: PickleValue, in document: PickleDocument) -> String {
    func all(_ items: [PickleValue]) -> String { items.map { render($0, in: document) }.joined(separator: ", ") }
    switch value {
    case .none: return "None"
    case .bool(let flag): return flag ? "True" : "False"
    case .int(let number): return String(number)
    case .bigInt(let bytes): return "0x" + bytes.reversed().map { String(format: "%02x", $0) }.joined()
    case .float(let number): return "\(number)"
    case .string(let text): return "'\(text)'"
    case .bytes(let raw): return "b'" + raw.map { String(format: "\\x%02x", $0) }.joined() + "'"
    case .global(let global): return global.description
    case .object(let id):
        switch document[id] {
        case .tuple(let items): return items.count == 1 ? "(\(all(items)),)" : "(\(all(items)))"
        case .list(let items): return "[\(all(items))]"
        case .set(let items): return "{\(all(items))}"
        case .dictionary(let dictionary):
            return "{" + dictionary.entries.map { "\(render($0.key, in: document)): \(render($0.value, in: document))" }
                .joined(separator: ", ") + "}"
        case .call(let call): return "\(call.callee)(\(all(call.arguments)))"
        case .persistent(let id): return "persistent(\(render(id, in: document)))"
        }
    }
}

final class UnpicklerTests: XCTestCase {
    /// `pickle.dumps(obj, protocol=p).hex()` by CPython 3.11 for
    /// obj = {'name': 'lstm', 'sizes': [3, -7, 300, 70000, -2**40, 2**70], 'lr': 0.001,
    ///        'flags': (True, False, None), 'raw': b'\x00\xff',
    ///        'nested': {'a': (1,), 'b': (1, 2), 'c': (1, 2, 3), 'd': (1, 2, 3, 4)}, 'set': {5}, 'empty': ()}
    static let cpython: [Int: String] = [
        2: "80027d71002858040000006e616d65710158040000006c73746d7102580500000073697a657371035d7104284b034af9ffffff4d2c014a701101008a060000000000ff8a090000000000000000406558020000006c727105473f50624dd2f1a9fc5805000000666c616773710688894e87710758030000007261777108635f636f646563730a656e636f64650a7109580300000000c3bf710a58060000006c6174696e31710b86710c52710d58060000006e6573746564710e7d710f2858010000006171104b0185711158010000006271124b014b0286711358010000006371144b014b024b038771155801000000647116284b014b024b034b047471177558030000007365747118635f5f6275696c74696e5f5f0a7365740a71195d711a4b056185711b52711c5805000000656d707479711d29752e",
        3: "80037d71002858040000006e616d65710158040000006c73746d7102580500000073697a657371035d7104284b034af9ffffff4d2c014a701101008a060000000000ff8a090000000000000000406558020000006c727105473f50624dd2f1a9fc5805000000666c616773710688894e87710758030000007261777108430200ff710958060000006e6573746564710a7d710b28580100000061710c4b0185710d580100000062710e4b014b0286710f58010000006371104b014b024b038771115801000000647112284b014b024b034b047471137558030000007365747114636275696c74696e730a7365740a71155d71164b05618571175271185805000000656d707479711929752e",
        4: "800495b6000000000000007d94288c046e616d65948c046c73746d948c0573697a6573945d94284b034af9ffffff4d2c014a701101008a060000000000ff8a09000000000000000040658c026c7294473f50624dd2f1a9fc8c05666c6167739488894e87948c0372617794430200ff948c066e6573746564947d94288c0161944b0185948c0162944b014b0286948c0163944b014b024b0387948c016494284b014b024b034b047494758c03736574948f94284b05908c05656d7074799429752e",
        5: "800595b6000000000000007d94288c046e616d65948c046c73746d948c0573697a6573945d94284b034af9ffffff4d2c014a701101008a060000000000ff8a09000000000000000040658c026c7294473f50624dd2f1a9fc8c05666c6167739488894e87948c0372617794430200ff948c066e6573746564947d94288c0161944b0185948c0162944b014b0286948c0163944b014b024b0387948c016494284b014b024b034b047494758c03736574948f94284b05908c05656d7074799429752e",
    ]

    /// CPython's `repr(obj)`, with 2**70 written in hex (`hex(2**70)`).
    static let cpythonRepr = "{'name': 'lstm', 'sizes': [3, -7, 300, 70000, -1099511627776, 0x400000000000000000], 'lr': 0.001, 'flags': (True, False, None), 'raw': b'\\x00\\xff', 'nested': {'a': (1,), 'b': (1, 2), 'c': (1, 2, 3), 'd': (1, 2, 3, 4)}, 'set': {5}, 'empty': ()}"

    func testCPythonPicklesOfEveryProtocol() throws {
        for (version, hex) in Self.cpython.sorted(by: { $0.key < $1.key }) {
            let bytes = PickleBuilder.hex(hex)
            let document = try unpickler().load(bytes)
            XCTAssertEqual(document.protocolVersion, version)
            XCTAssertEqual(document.byteCount, bytes.count)
            XCTAssertEqual(render(document.root, in: document), Self.cpythonRepr, "protocol \(version)")
        }
    }

    func testMemoSharesMutableContainers() throws {
        // pickle.dumps({'x': s, 'y': s}, protocol=2) for one list s: the memo
        // must hand back the same list, not a copy.
        let document = try unpickler().load(PickleBuilder.hex("80027d71002858010000007871015d710258010000007971036802752e"))
        let dictionary = try XCTUnwrap(document.dictionary(document.root))
        XCTAssertEqual(dictionary["x"], dictionary["y"])
        // A list stored in the memo and appended to afterwards shows the append when fetched again.
        let builder = PickleBuilder()
        builder.op(.emptyList).op(.binPut, [0]).op(.pop).op(.binGet, [0]).int(7).op(.append).op(.pop)
        builder.op(.binGet, [0]).stop()
        let mutated = try unpickler().load(builder.bytes)
        XCTAssertEqual(render(mutated.root, in: mutated), "[7]")
    }

    func testLaterKeyReplacesEarlierValueInPlace() throws {
        let builder = PickleBuilder()
        builder.op(.emptyDict).op(.mark)
        builder.string("a"); builder.int(1); builder.string("b"); builder.int(2); builder.string("a"); builder.int(3)
        builder.op(.setItems).stop()
        let document = try unpickler().load(builder.bytes)
        XCTAssertEqual(render(document.root, in: document), "{'a': 3, 'b': 2}")
    }

    func testStackOpcodes() throws {
        let builder = PickleBuilder(protocol: 4)
        builder.op(.mark).int(1).int(2).op(.list)               // [1, 2]
        builder.op(.dup).op(.tuple2)                            // ([1, 2], [1, 2])
        builder.op(.mark).int(9).int(9).op(.popMark)            // discarded
        builder.int(5).op(.pop)                                 // discarded
        builder.op(.mark).string("k").op(.none).op(.dict)       // {'k': None}
        builder.op(.mark).int(4).op(.frozenSet)                 // {4}
        builder.op(.tuple3).op(.memoize).stop()
        let document = try unpickler().load(builder.bytes)
        XCTAssertEqual(render(document.root, in: document), "(([1, 2], [1, 2]), {'k': None}, {4})")
    }

    func testAllowedGlobalsAreRecordedNeverCalled() throws {
        // GLOBAL pkg.f, REDUCE with (1, 'x'), then BUILD with a state dict.
        let builder = PickleBuilder()
        builder.global("pkg", "f")
        builder.tuple { $0.int(1); $0.string("x") }
        builder.op(.reduce).op(.emptyDict).op(.build).stop()
        let document = try unpickler(allowing: ["pkg.f"]).load(builder.bytes)
        guard case .call(let call)? = document.object(document.root) else { return XCTFail("expected a call record") }
        XCTAssertEqual(call.callee, PickleGlobal(module: "pkg", name: "f"))
        XCTAssertEqual(call.arguments.count, 2)
        XCTAssertFalse(call.isNewObject)
        XCTAssertNotNil(call.state)
    }

    func testOrderedDictFromPairsAndPersistentIDs() throws {
        let builder = PickleBuilder()
        builder.global("collections", "OrderedDict")
        builder.op(.mark).op(.mark)
        builder.tuple { $0.string("w"); $0.string("storage"); $0.op(.binPersId) }
        builder.op(.list).op(.tuple).op(.reduce).stop()
        let document = try unpickler().load(builder.bytes)
        XCTAssertEqual(render(document.root, in: document), "{'w': persistent('storage')}")
    }

    func testStopsAtStopAndReportsBytesUsed() throws {
        let builder = PickleBuilder()
        builder.int(42)
        builder.stop()
        let length = builder.bytes.count
        builder.raw([0xDE, 0xAD, 0xBE, 0xEF])
        let document = try unpickler().load(builder.bytes)
        XCTAssertEqual(document.root, .int(42))
        XCTAssertEqual(document.byteCount, length)
    }

    func testWideIntegersNormalise() {
        XCTAssertEqual(PickleMachine.integer(littleEndian: []), .int(0))
        XCTAssertEqual(PickleMachine.integer(littleEndian: [0xFF]), .int(-1))
        XCTAssertEqual(PickleMachine.integer(littleEndian: [0x00, 0x80, 0x00]), .int(0x8000))
        // Redundant sign bytes beyond eight are dropped, so the value still fits.
        XCTAssertEqual(PickleMachine.integer(littleEndian: [0xFE] + [UInt8](repeating: 0xFF, count: 11)), .int(-2))
        XCTAssertEqual(PickleMachine.integer(littleEndian: [UInt8](repeating: 0, count: 8) + [1]),
                       .bigInt([UInt8](repeating: 0, count: 8) + [1]))
    }
}
