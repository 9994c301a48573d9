import FuzzSupport
import Pickle

/// The pickle machine alone, with an allow-list like the checkpoint reader's.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPickle(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes = start else { return 0 }
    let unpickler = Unpickler { global in
        global.module == "collections" || global.module.hasPrefix("torch")
    }
    _ = try? unpickler.load(UnsafeRawBufferPointer(start: bytes, count: count))
    return 0
}

runFuzzer(fuzzPickle)
