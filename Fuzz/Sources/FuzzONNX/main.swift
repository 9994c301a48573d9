import FuzzSupport
import RNNConvert

/// ONNX import: protobuf decoding (swift-protobuf), graph grouping, constant
/// folding and the recurrent-node mapping, reached as `rnnkit` reaches it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzONNX(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes = start else { return 0 }
    if let model = try? ModelSource.open(ScratchFile.holding(bytes, count)) {
        for named in model.tensors { _ = try? named.tensor.data() }
    }
    return 0
}

runFuzzer(fuzzONNX)
