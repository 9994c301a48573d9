import FuzzSupport
import TensorFiles

/// NPZ: the zip directory checks, ZIPFoundation, and the NPY members.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPZ(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    fuzzPathReader(start, count, NPZReader.read(path:))
}

runFuzzer(fuzzNPZ)
