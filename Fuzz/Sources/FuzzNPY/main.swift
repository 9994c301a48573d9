import Foundation
import FuzzSupport
import TensorFiles

/// NPY: the header parser and the data view, from bytes and from a file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPY(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes = start else { return 0 }
    let data = Data(bytes: bytes, count: count)
    if let tensor = try? NPYReader.tensor(from: data, file: "fuzz.npy") {
        _ = try? tensor.data()
        if tensor.dtype.isFloatingPoint { _ = try? tensor.floats() }
    }
    if let file = try? NPYReader.read(path: ScratchFile.holding(bytes, count)) { touchEveryTensor(file) }
    return 0
}

runFuzzer(fuzzNPY)
