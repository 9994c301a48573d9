import Foundation
import FuzzSupport
@_spi(Fuzzing) import RNNConvert

/// The ONNX constant evaluator: every node output of the graph is asked for,
/// not only the recurrent weights `FuzzONNX` reaches, so shapes, axes, sizes
/// and the computed-bytes budget meet every op it follows. The model is
/// written to a scratch file (external data and the budget look at the file).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzONNXConstants(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes = start else { return 0 }
    let path = ScratchFile.holding(bytes, count)
    FuzzingEntryPoints.evaluateONNXConstants(Data(bytes: bytes, count: count), file: path)
    return 0
}

runFuzzer(fuzzONNXConstants)
