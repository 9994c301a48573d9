import FuzzSupport
import TensorFiles

/// PyTorch checkpoints: zip and legacy containers, the pickle, the allow-list
/// and the tensor views over storages; exported program archives (`.pt2`):
/// their members, weights configs and views.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPyTorch(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    fuzzPathReader(start, count) { path in
        try FormatSniffer.format(of: path) == .pytorchExport ? TensorFile.open(path) : TorchCheckpointReader.read(path: path)
    }
}

runFuzzer(fuzzPyTorch)
