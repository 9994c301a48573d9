import XCTest
@testable import Pickle

/// The second policy (`allowCall`) and legacy module classes
/// (`persistentClass`): classes may be instantiated as opaque records, only
/// approved globals may be called, and nothing runs either way.
final class OpaqueObjectTests: XCTestCase {
    /// Allows every global but lets `REDUCE` name only `collections.OrderedDict` (handled as data).
    let classesOnly = Unpickler(allowCall: { _ in false }, persistentClass: { items in
        guard items.count == 2, items[0] == .string("class"), case .global(let global) = items[1] else { return nil }
        return global
    }, allowGlobal: { _ in true })

    func testNewObjRecordsAnOpaqueObjectWithItsBuildState() throws {
        let builder = PickleBuilder()
        builder.global("__main__", "Seq2Seq")
        builder.op(.emptyTuple).op(.newObj)
        builder.op(.emptyDict).string("hidden").int(7).op(.setItem).op(.build).stop()
        let document = try classesOnly.load(builder.bytes)
        guard case .call(let call)? = document.object(document.root) else { return XCTFail("not a call record") }
        XCTAssertEqual(call.callee, PickleGlobal(module: "__main__", name: "Seq2Seq"))
        XCTAssertTrue(call.isNewObject)
        XCTAssertEqual(call.state.flatMap { document.dictionary($0) }?["hidden"], .int(7))
    }

    func testReduceOfAGlobalOutsideAllowCallIsRefusedByName() {
        for (module, name) in [("argparse", "Namespace"), ("numpy.core.multiarray", "_reconstruct")] {
            let builder = PickleBuilder()
            builder.global(module, name)
            builder.tuple { $0.int(1) }
            builder.op(.reduce).stop()
            XCTAssertThrowsError(try classesOnly.load(builder.bytes)) { error in
                XCTAssertEqual((error as? PickleError)?.reason, .refusedCall(PickleGlobal(module: module, name: name)))
            }
        }
        // The inert constructors stay data under the stricter policy.
        let ordered = PickleBuilder()
        ordered.global("collections", "OrderedDict")
        ordered.op(.emptyTuple).op(.reduce).stop()
        XCTAssertNoThrow(try classesOnly.load(ordered.bytes))
    }

    func testNewObjOfAPersistentClassUsesTheCallersResolution() throws {
        let builder = PickleBuilder()
        builder.tuple { $0.string("class"); $0.global("__main__", "Net") }
        builder.op(.binPersId).op(.emptyTuple).op(.newObj).stop()
        let document = try classesOnly.load(builder.bytes)
        guard case .call(let call)? = document.object(document.root) else { return XCTFail("not a call record") }
        XCTAssertEqual(call.callee.description, "__main__.Net")

        let unknown = PickleBuilder()
        unknown.tuple { $0.string("other"); $0.global("__main__", "Net") }
        unknown.op(.binPersId).op(.emptyTuple).op(.newObj).stop()
        XCTAssertThrowsError(try classesOnly.load(unknown.bytes)) { error in
            XCTAssertEqual((error as? PickleError)?.reason, .malformed(opcode: .newObj, .instantiateValue(kind: "persistent id")))
        }
        // REDUCE on a persistent object is never a call.
        let reduce = PickleBuilder()
        reduce.tuple { $0.string("class"); $0.global("__main__", "Net") }
        reduce.op(.binPersId).op(.emptyTuple).op(.reduce).stop()
        XCTAssertThrowsError(try classesOnly.load(reduce.bytes))
    }

    func testPython2ModuleNamesOfCodeRunnersAreMapped() {
        // Python 3 pickles subprocess.Popen at protocol 2 as `commands Popen`.
        for (written, read) in [("commands", "subprocess"), ("__builtin__", "builtins"), ("cPickle", "pickle")] {
            let builder = PickleBuilder()
            builder.global(written, "Popen")
            builder.stop()
            let refuseAll = Unpickler { _ in false }
            XCTAssertThrowsError(try refuseAll.load(builder.bytes)) { error in
                XCTAssertEqual((error as? PickleError)?.reason, .refusedGlobal(PickleGlobal(module: read, name: "Popen")))
            }
        }
    }
}
