import FuzzSupport
import TensorFiles

/// safetensors: the header parser and validation, then the data views.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes = start else { return 0 }
    _ = try? SafetensorsHeader.parse(UnsafeRawBufferPointer(start: bytes, count: count), file: "fuzz.safetensors")
    if let file = try? SafetensorsReader.read(path: ScratchFile.holding(bytes, count)) { touchEveryTensor(file) }
    return 0
}

runFuzzer(fuzzSafetensors)
