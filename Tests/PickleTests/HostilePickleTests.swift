import XCTest
@testable import Pickle

final class HostilePickleTests: XCTestCase {
    func reason(_ bytes: [UInt8], _ unpickler: Unpickler = unpickler(), file: StaticString = #filePath, line: UInt = #line) -> PickleError.Reason? {
        do {
            _ = try unpickler.load(bytes)
            XCTFail("expected an error", file: file, line: line)
        } catch let error as PickleError {
            return error.reason
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
        return nil
    }

    /// `os.system('echo pwned')` as GLOBAL + REDUCE (what `pickle.dumps` of a
    /// `__reduce__` returning `(os.system, ('echo pwned',))` emits).
    func osSystemCall(stackGlobal: Bool) -> [UInt8] {
        let builder = PickleBuilder(protocol: stackGlobal ? 4 : 2)
        if stackGlobal { builder.stackGlobal("posix", "system") } else { builder.global("os", "system") }
        builder.tuple { $0.string("echo pwned") }
        builder.op(.reduce).stop()
        return builder.bytes
    }

    func testOsSystemIsRefusedByName() {
        XCTAssertEqual(reason(osSystemCall(stackGlobal: false)), .refusedGlobal(PickleGlobal(module: "os", name: "system")))
        XCTAssertEqual(reason(osSystemCall(stackGlobal: true)), .refusedGlobal(PickleGlobal(module: "posix", name: "system")))
    }

    func testRefusalMessageNamesTheGlobalAndOffset() throws {
        do {
            _ = try unpickler().load(osSystemCall(stackGlobal: false))
            XCTFail("expected a refusal")
        } catch let error as PickleError {
            XCTAssertEqual(error.offset, 2)
            XCTAssertEqual(error.reason, .refusedGlobal(PickleGlobal(module: "os", name: "system")))
            // The exact wording of the most common refusal.
            XCTAssertEqual(error.description, "at pickle byte 2: refused global 'os.system': it is not on the allow-list (nothing was run)")
        }
    }

    func testPython2BuiltinNamesAreMappedBeforeTheAllowList() {
        let builder = PickleBuilder()
        builder.global("__builtin__", "eval")
        builder.stop()
        XCTAssertEqual(reason(builder.bytes), .refusedGlobal(PickleGlobal(module: "builtins", name: "eval")))
    }

    func testReduceAndBuildTricksAreMalformedNotRun() {
        // REDUCE whose callable is a string naming a function (no GLOBAL involved).
        let reduceOnString = PickleBuilder()
        reduceOnString.string("os.system")
        reduceOnString.tuple { $0.string("id") }
        reduceOnString.op(.reduce).stop()
        guard case .malformed(.reduce, .callValue)? = reason(reduceOnString.bytes) else { return XCTFail("expected malformed") }

        // BUILD that would set `__setstate__`-style state on a plain int.
        let buildOnInt = PickleBuilder()
        buildOnInt.int(1).op(.emptyDict).op(.build).stop()
        guard case .malformed? = reason(buildOnInt.bytes) else { return XCTFail("expected malformed") }

        // OrderedDict (allowed) called with a non-pair argument.
        let badOrderedDict = PickleBuilder()
        badOrderedDict.global("collections", "OrderedDict")
        badOrderedDict.tuple { $0.string("echo pwned") }
        badOrderedDict.op(.reduce).stop()
        guard case .malformed? = reason(badOrderedDict.bytes) else { return XCTFail("expected malformed") }

        // NEWOBJ with keyword arguments.
        let newObjEx = PickleBuilder(protocol: 4)
        newObjEx.global("pkg", "C")
        newObjEx.op(.emptyTuple).op(.mark).string("k").int(1).op(.dict).op(.newObjEx).stop()
        guard case .malformed? = reason(newObjEx.bytes, unpickler(allowing: ["pkg.C"])) else { return XCTFail("expected malformed") }
    }

    func testRefusedOpcodes() {
        for opcode in [PickleOpcode.inst, .obj, .int, .persId, .ext1, .nextBuffer] {
            let builder = PickleBuilder()
            builder.op(opcode, [0x31, 0x0A, 0x31, 0x0A])
            builder.stop()
            XCTAssertEqual(reason(builder.bytes), .unsupportedOpcode(opcode.rawValue), "\(opcode)")
        }
        XCTAssertEqual(reason([0x80, 0x02, 0xFF]), .unsupportedOpcode(0xFF))
        guard case .malformed? = reason([0x80, 0x06, 0x4E, 0x2E]) else { return XCTFail("protocol 6 accepted") }
    }

    func testHugeLengthsAreCheckedAgainstTheBytesPresent() {
        let binUnicode = PickleBuilder()
        binUnicode.op(.binUnicode, [0xFF, 0xFF, 0xFF, 0xFF, 0x41])
        XCTAssertEqual(reason(binUnicode.bytes), .truncated(needed: 0xFFFF_FFFF, available: 1))
        let binBytes8 = PickleBuilder(protocol: 4)
        binBytes8.op(.binBytes8, [0, 0, 0, 0, 0, 0, 0, 0xF0])
        XCTAssertEqual(reason(binBytes8.bytes), .truncated(needed: Int.max, available: 0))
        let long4 = PickleBuilder()
        long4.op(.long4, PickleBuilder.littleEndian(UInt32(bitPattern: -5)))
        guard case .malformed? = reason(long4.bytes) else { return XCTFail("negative LONG4 length accepted") }
        let frame = PickleBuilder(protocol: 4)
        frame.op(.frame, PickleBuilder.littleEndian(UInt64(1 << 40)))
        guard case .truncated? = reason(frame.bytes) else { return XCTFail("oversized FRAME accepted") }
    }

    func testEveryPrefixOfAValidPickleFailsCleanly() {
        let bytes = PickleBuilder.hex(UnpicklerTests.cpython[2] ?? "")
        XCTAssertGreaterThan(bytes.count, 100)
        for cut in 0 ..< bytes.count {
            XCTAssertNotNil(reason(Array(bytes.prefix(cut))), "prefix \(cut)")
        }
    }

    func testStackUnderflowAndMissingMarks() {
        for bytes: [UInt8] in [[0x80, 0x02, 0x2E], [0x80, 0x02, 0x61], [0x80, 0x02, 0x74], [0x80, 0x02, 0x28, 0x85], [0x80, 0x02, 0x68, 0x07]] {
            guard case .malformed? = reason(bytes) else { return XCTFail("accepted \(bytes)") }
        }
    }

    func testLimits() {
        let marks = PickleBuilder()
        for _ in 0 ..< 2_000 { marks.op(.mark) }
        guard case .limitExceeded(.markDepth, _)? = reason(marks.bytes) else { return XCTFail("mark depth not limited") }

        let small = PickleLimits(maximumStackCount: 10, maximumMarkDepth: 4, maximumMemoCount: 3,
                                 maximumObjectCount: 5, maximumGlobalNameLength: 8)
        let stack = PickleBuilder()
        for _ in 0 ..< 11 { stack.op(.none) }
        XCTAssertEqual(reason(stack.bytes, unpickler(limits: small)), .limitExceeded(.stackCount, limit: 10))
        let memo = PickleBuilder()
        memo.op(.none)
        for key in 0 ..< 4 { memo.op(.binPut, [UInt8(key)]) }
        XCTAssertEqual(reason(memo.bytes, unpickler(limits: small)), .limitExceeded(.memoCount, limit: 3))
        let objects = PickleBuilder()
        for _ in 0 ..< 6 { objects.op(.emptyList).op(.pop) }
        guard case .limitExceeded? = reason(objects.bytes, unpickler(limits: small)) else { return XCTFail("objects") }
        let name = PickleBuilder()
        name.global("averylongmodulename", "x")
        guard case .limitExceeded? = reason(name.bytes, unpickler(limits: small)) else { return XCTFail("name") }
    }

    func testDeepNestingDoesNotRecurse() throws {
        // 200 000 lists each appended into the next, and 200 000 nested 1-tuples:
        // stored flat, so neither building nor releasing them recurses.
        let lists = PickleBuilder()
        lists.op(.emptyList)
        for _ in 0 ..< 200_000 { lists.op(.emptyList).op(.binPut, [0]).op(.append).op(.pop).op(.binGet, [0]) }
        lists.stop()
        XCTAssertEqual(try unpickler().load(lists.bytes).objects.count, 200_001)
        let tuples = PickleBuilder()
        tuples.op(.none)
        for _ in 0 ..< 200_000 { tuples.op(.tuple1) }
        tuples.stop()
        XCTAssertEqual(try unpickler().load(tuples.bytes).objects.count, 200_000)
    }

    func testRandomBytesNeverCrash() {
        var generator = SplitMix64(seed: 0x5EED)
        let valid = PickleBuilder.hex(UnpicklerTests.cpython[4] ?? "")
        for round in 0 ..< 3_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0 ..< Int(generator.next() % 200)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            } else {
                bytes = valid  // a valid pickle with a few bytes flipped
                for _ in 0 ..< 1 + Int(generator.next() % 4) {
                    bytes[Int(generator.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: generator.next())
                }
            }
            do {
                _ = try unpickler().load(bytes)
            } catch is PickleError {
                continue
            } catch {
                XCTFail("round \(round): \(error) is not a PickleError")
            }
        }
    }
}

/// A small deterministic generator, so a failure repeats.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
