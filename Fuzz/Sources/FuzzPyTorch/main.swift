import FuzzSupport
import TensorFiles

/// PyTorch checkpoints: zip and legacy containers, the pickle, the allow-list
/// and the tensor views over storages.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPyTorch(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    fuzzPathReader(start, count, TorchCheckpointReader.read(path:))
}

runFuzzer(fuzzPyTorch)
