import Foundation
import XCTest
import Pickle
import ZIPFoundation
@testable import TensorFiles

/// Hostile checkpoints: pickles that try to run code, loop, explode or nest
/// without end are refused with a `TensorFileError` that names the file and
/// says why; none crashes, and nothing in them runs.
final class HostileCheckpointTests: CheckpointRefusalTestCase {
    func testOsSystemIsRefusedAndNeverRuns() throws {
        let marker = Builder.temporaryURL("pwned")
        try? FileManager.default.removeItem(at: marker)
        let call: (Bool) -> [UInt8] = { stackGlobal in
            let builder = Builder()
            if stackGlobal {
                builder.op(.proto, [4]).string("os").string("system").op(.stackGlobal)
            } else {
                builder.global("os", "system")
            }
            return builder.op(.mark).string("touch \(marker.path)").op(.tuple).op(.reduce).op(.stop).bytes
        }
        for stackGlobal in [false, true] {
            for path in try files("os_system_\(stackGlobal)", zipPickle: call(stackGlobal)) {
                assertRefused(path) { refused($0, "os.system") }
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker.path))
    }

    func testCodeRunningGlobalsAndCallsAreNamed() throws {
        for (module, name, global, why) in [
            ("builtins", "eval", "builtins.eval", "module 'builtins' runs code and touches the system"),
            ("__builtin__", "getattr", "builtins.getattr", "module 'builtins' runs code and touches the system"),
            ("torch.hub", "list", "torch.hub.list", "'torch.hub' loads or runs code"),
            ("mypackage.tasks", "system", "mypackage.tasks.system", "'system' runs code"),
        ] {
            let pickle = Builder().global(module, name).op(.stop).bytes
            for path in try files("global_\(name)", zipPickle: pickle) {
                assertRefused(path) { refused($0, global) }
            }
            XCTAssertEqual(TorchAllowList.runsCode(PickleGlobal(module: global.components(separatedBy: ".").dropLast().joined(separator: "."),
                                                                name: name)), why)
        }
        // A class outside the allow-list may be instantiated (NEWOBJ) but never called (REDUCE).
        for (module, name) in [("numpy.core.multiarray", "_reconstruct"), ("argparse", "Namespace"),
                               ("torch.nn.modules.rnn", "LSTM"), ("collections", "defaultdict")] {
            let pickle = Builder().op(.emptyDict).op(.mark).string("w").tensor(weightSpec).string("x").global(module, name)
                .ints([1]).op(.reduce).op(.setItems).op(.stop).bytes
            for path in try files("call_\(name)", zipPickle: pickle) {
                assertRefused(path) { refused($0, "\(module).\(name)", call: true) }
            }
        }
    }

    func testQuantizedWeightsAreRefusedAsQuantized() throws {
        // quantize_dynamic's state dicts rebuild their weights with _rebuild_qtensor.
        let pickle = Builder().op(.emptyDict).op(.mark).string("w").global("torch._utils", "_rebuild_qtensor")
            .ints([1]).op(.reduce).op(.setItems).op(.stop).bytes
        for path in try files("quantized", zipPickle: pickle) {
            assertRefused(path) { refused($0, "torch._utils._rebuild_qtensor", call: true) }
            XCTAssertThrowsError(try TensorFile.open(path)) { error in
                XCTAssertTrue("\(error)".contains("quantized weights"), "\(error)")
                XCTAssertFalse("\(error)".contains("save `model.state_dict()` instead"), "\(error)")
            }
        }
        XCTAssertTrue(TorchAllowList.isQuantized(PickleGlobal(module: "torch.ao.nn.quantized.dynamic.modules.rnn", name: "LSTM")))
        XCTAssertFalse(TorchAllowList.isQuantized(PickleGlobal(module: "torch._utils", name: "_rebuild_tensor_v2")))
    }

    func testObjectsBesideTensorsAreOpaqueRecords() throws {
        // {"w": tensor, "args": argparse.Namespace(lr=0.1)}: the Namespace is an opaque object.
        let pickle = Builder().op(.emptyDict).op(.mark).string("w").tensor(weightSpec).string("args")
            .global("argparse", "Namespace").op(.emptyTuple).op(.newObj).op(.emptyDict).string("lr").int(1).op(.setItem)
            .op(.build).op(.setItems).op(.stop).bytes
        for path in try files("namespace", zipPickle: pickle) {
            let file = try TensorFile.open(path)
            XCTAssertEqual(file.tensors.map(\.name), ["w"])
            XCTAssertEqual(file.otherItems.map(\.name), ["args"])
            XCTAssertEqual(file.otherItems.first?.summary, "argparse.Namespace object")
            XCTAssertNil(file.metadata["pytorch.content"])
        }
    }

    /// `torch.save(nn.LSTM)` as the pickle lays it out: NEWOBJ of the class, then BUILD
    /// with `_parameters` (a tensor and a None bias), `_buffers`, `_modules` and attributes.
    func lstmModule(_ builder: Builder, batchFirst: Bool, legacy: Bool, classAsPersistent: Bool = false) -> Builder {
        if classAsPersistent {
            builder.op(.mark).string("module").global("torch.nn.modules.rnn", "LSTM").string("rnn.py").string("class LSTM: ...")
                .op(.tuple).op(.binPersId)
        } else {
            builder.global("torch.nn.modules.rnn", "LSTM")
        }
        builder.op(.emptyTuple).op(.newObj).op(.emptyDict).op(.mark)
        builder.string("_parameters").op(.emptyDict).op(.mark).string("weight_ih_l0").tensor(weightSpec, legacy: legacy)
            .string("bias_ih_l0").op(.none).op(.setItems)
        builder.string("_buffers").op(.emptyDict).string("_modules").op(.emptyDict)
        builder.string("_non_persistent_buffers_set").global("__builtin__", "set").op(.emptyList).op(.tuple1).op(.reduce)
        builder.string("batch_first").op(batchFirst ? .newTrue : .newFalse)
        return builder.op(.setItems).op(.build)
    }

    func testWholePickledModuleIsReadAsOpaqueObjects() throws {
        for batchFirst in [false, true] {
            let zip = lstmModule(Builder(), batchFirst: batchFirst, legacy: false).op(.stop).bytes
            let legacy = lstmModule(Builder(), batchFirst: batchFirst, legacy: true, classAsPersistent: true).op(.stop).bytes
            for path in try files("module_\(batchFirst)", zipPickle: zip, legacyPickle: legacy) {
                let file = try TensorFile.open(path)
                XCTAssertEqual(file.tensors.map(\.name), ["weight_ih_l0"], path)
                XCTAssertEqual(try file.tensors.first?.tensor.floats(), [1, 2, 3, 4, 5, 6], path)
                XCTAssertEqual(file.metadata["pytorch.content"], "PyTorch pickled module", path)
                XCTAssertEqual(file.otherItems.first?.name, "(root)", path)
                XCTAssertEqual(file.otherItems.first?.summary, "module torch.nn.modules.rnn.LSTM (batch_first=\(batchFirst ? "True" : "False"))", path)
                XCTAssertEqual(file.moduleSettings[""]?.batchFirst, batchFirst, path)
            }
        }
        // Under a checkpoint key, beside other entries: named as its state_dict, like a state dict there.
        let checkpoint = lstmModule(Builder().op(.emptyDict).op(.mark).string("model"), batchFirst: true, legacy: false)
            .string("epoch").int(3).op(.setItems).op(.stop).bytes
        let file = try TensorFile.open(try files("module_in_checkpoint", zipPickle: checkpoint)[0])
        XCTAssertEqual(file.tensors.map(\.name), ["weight_ih_l0"])
        XCTAssertEqual(file.otherItems.map(\.name), ["(root)", "epoch"])
        XCTAssertEqual(file.moduleSettings[""]?.batchFirst, true)
        // A non-storage persistent id as a value is still refused.
        let persistent = Builder().op(.mark).string("module_code").op(.none).op(.none).op(.none).op(.tuple)
            .op(.binPersId).op(.stop).bytes
        for path in try files("module_persistent", zipPickle: persistent) {
            assertRefused(path) { $0 == .torchPickle(.persistentIDKind("module_code")) }
        }
    }

    func testModuleGraphsCannotLoopOrExplode() throws {
        // A module whose _modules holds itself: reported once, not walked again.
        let looping = Builder().global("__main__", "Net").op(.emptyTuple).op(.newObj).op(.binPut, [0]).op(.emptyDict)
            .op(.mark).string("_parameters").op(.emptyDict).string("weight").tensor(weightSpec).op(.setItem)
            .string("_modules").op(.emptyDict).string("me").op(.binGet, [0]).op(.setItem).op(.setItems).op(.build).op(.stop).bytes
        for path in try files("module_loop", zipPickle: looping) {
            let file = try TensorFile.open(path)
            XCTAssertEqual(file.tensors.map(\.name), ["weight"], path)
            XCTAssertTrue(file.otherItems.contains { $0.name == "me" && $0.summary == "the same module as '(root)'" }, path)
        }
        // One module under many keys is read once: the others refer to it (no work per reference).
        var shared = Builder().op(.emptyDict).op(.mark).string("model")
        shared = lstmModule(shared, batchFirst: false, legacy: false).op(.binPut, [1])
        for key in ["ema", "best"] { shared.string(key).op(.binGet, [1]) }
        let sharedPickle = shared.op(.setItems).op(.stop).bytes
        for path in try files("module_shared", zipPickle: sharedPickle) {
            let file = try TensorFile.open(path)
            XCTAssertEqual(file.tensors.map(\.name), ["weight_ih_l0"], path)
            XCTAssertEqual(file.otherItems.first { $0.name == "best" }?.summary, "the same module as 'model'", path)
        }
        // Hooks are listed, never run; non-persistent buffers are not in state_dict.
        let hooked = Builder().global("__main__", "Net").op(.emptyTuple).op(.newObj).op(.emptyDict).op(.mark)
            .string("_parameters").op(.emptyDict).string("_buffers").op(.emptyDict).string("cache").tensor(weightSpec).op(.setItem)
            .string("_non_persistent_buffers_set").global("builtins", "set").op(.mark).string("cache").op(.list).op(.tuple1).op(.reduce)
            .string("_forward_hooks").op(.emptyDict).int(0).global("mypackage.hooks", "Clamp").op(.emptyTuple).op(.newObj).op(.setItem)
            .op(.setItems).op(.build).op(.stop).bytes
        for path in try files("module_hooks", zipPickle: hooked) {
            let file = try TensorFile.open(path)
            XCTAssertEqual(file.tensors.map(\.name), [], path)
            XCTAssertEqual(file.otherItems.first { $0.name == "_forward_hooks" }?.summary,
                           "1 hook (mypackage.hooks.Clamp object): not run; rnnkit computes the module without them", path)
            XCTAssertEqual(file.otherItems.first { $0.name == "cache" }?.summary,
                           "tensor float32 [2, 3] (non-persistent buffer, not in state_dict)", path)
        }
        // A bad nonlinearity on PyTorch's own RNN class is refused, not defaulted.
        let relu6 = Builder().global("torch.nn.modules.rnn", "RNN").op(.emptyTuple).op(.newObj).op(.emptyDict).op(.mark)
            .string("_parameters").op(.emptyDict).string("nonlinearity").string("relu6").op(.setItems).op(.build).op(.stop).bytes
        for path in try files("module_relu6", zipPickle: relu6) {
            assertRefused(path) {
                $0 == .torchPickle(.moduleSetting(module: .root, className: "torch.nn.modules.rnn.RNN", .nonlinearity("'relu6'")))
            }
        }
    }

    func testReduceAndBuildTricks() throws {
        // _rebuild_tensor_v2 (allowed) handed a command string instead of a storage.
        let fake = Builder().op(.emptyDict).string("w").global("torch._utils", "_rebuild_tensor_v2").op(.mark)
            .string("os.system").int(0).ints([2]).ints([1]).op(.newFalse).op(.emptyDict).op(.tuple).op(.reduce)
            .op(.setItem).op(.stop).bytes
        for path in try files("fake_storage", zipPickle: fake) {
            assertRefused(path, tensor: "w") { $0 == .torchPickle(.rebuild(function: "_rebuild_tensor_v2", .notStorage(kind: "str"))) }
        }
        // BUILD on a plain value.
        let buildOnInt = Builder().int(1).op(.emptyDict).op(.build).op(.stop).bytes
        for path in try files("build_int", zipPickle: buildOnInt) {
            assertRefused(path) {
                guard case .unpickling(let error, _) = $0, case .malformed(.build, .stateOnValue) = error.reason else { return false }
                return true
            }
        }
        // BUILD giving a state dict a `__setstate__` entry is inert: the file reads normally.
        let inert: (Bool) -> [UInt8] = { legacy in
            Builder().global("collections", "OrderedDict").op(.emptyTuple).op(.reduce)
                .string("w").tensor(self.weightSpec, legacy: legacy).op(.setItem)
                .op(.emptyDict).string("__setstate__").string("os.system").op(.setItem).op(.build).op(.stop).bytes
        }
        for path in try files("inert_build", zipPickle: inert(false), legacyPickle: inert(true)) {
            let file = try TensorFile.open(path)
            XCTAssertEqual(try file.tensor(named: "w")?.floats(), [1, 2, 3, 4, 5, 6])
        }
    }

    func testDeepNestingIsBounded() throws {
        let nested = Builder()
        for _ in 0 ..< 100 { nested.op(.emptyDict).string("a") }
        nested.tensor(weightSpec)
        for _ in 0 ..< 100 { nested.op(.setItem) }
        for path in try files("nested", zipPickle: nested.op(.stop).bytes) {
            assertRefused(path) {
                guard case .torchPickle(.nesting(false, 32, _)) = $0 else { return false }
                return true
            }
        }
        let marks = Builder()
        for _ in 0 ..< 100_000 { marks.op(.mark) }
        for path in try files("marks", zipPickle: marks.bytes) {
            assertRefused(path) {
                guard case .unpickling(let error, _) = $0, case .limitExceeded(.markDepth, _) = error.reason else { return false }
                return true
            }
        }
    }
}
