import Foundation
import FuzzSupport
@_spi(Fuzzing) import RNNConvert

/// The Keras `config.json` reader: JSON parsing, Sequential and Functional
/// models (nested ones included), and the recurrent layers' settings.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKerasConfig(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes = start else { return 0 }
    FuzzingEntryPoints.readKerasConfig(Data(bytes: bytes, count: count))
    return 0
}

runFuzzer(fuzzKerasConfig)
