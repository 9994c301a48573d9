import FuzzSupport
import TensorFiles

/// HDF5 through libhdf5, behind rnnkit's isolation (a damaged file that
/// crashes or hangs libhdf5 must come back as an error).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHDF5(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes = start else { return 0 }
    let path = ScratchFile.holding(bytes, count, named: true)
    if let file = try? HDF5Reader.read(path: path) { touchEveryTensor(file) }
    _ = try? HDF5Reader.stringAttributes(path: path, object: "/")
    return 0
}

runFuzzer(fuzzHDF5)
