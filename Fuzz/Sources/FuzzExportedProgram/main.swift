import Foundation
import FuzzSupport
@_spi(Fuzzing) import TensorFiles

/// The exported program graph reader (`models/<name>.json` of a `.pt2`):
/// JSON parsing, the signature, the recurrence operators and their flags.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExportedProgram(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes = start else { return 0 }
    ExportedProgramFuzzing.readGraph(Data(bytes: bytes, count: count))
    return 0
}

runFuzzer(fuzzExportedProgram)
