/// Writes tensors into any container rnnkit reads, atomically.
///
/// The one entry point for conversions: each format's writer takes care of
/// its own rules (NPY/NPZ/HDF5 refuse bfloat16, HDF5 turns dotted names into
/// groups, …). Callers decide about overwriting first, with
/// `AtomicOutput.checkWritable(_:inputs:force:kind:)`; `force` then lets the
/// writer replace an existing file (or `.npy` folder), see `OutputTarget`.
public enum TensorFileWriter {
    /// Writes `tensors` as `format` to `path`.
    ///
    /// - `.npyDirectory`: a directory of `NAME.npy` files.
    /// - `.npy`: when `path` ends in `.npy` and there is exactly one tensor,
    ///   that single file; otherwise a directory, as `.npyDirectory`.
    /// - `.npz`: stored members, like `numpy.savez`.
    /// - `.safetensors`: `metadata` becomes `__metadata__`.
    /// - `.hdf5`: `a.b.c` becomes dataset `c` in group `a/b`; `metadata`
    ///   becomes string attributes of the root group.
    /// - Any other format is refused: PyTorch checkpoints rnnkit reads but
    ///   does not write; ONNX and Keras files hold a model, not a list of
    ///   tensors, and are written by a conversion.
    ///
    /// NPY and NPZ cannot carry `metadata`; it is dropped for them.
    public static func write(
        _ tensors: [NamedTensor], as format: FileFormat, to path: String, metadata: [String: String] = [:],
        force: Bool = false
    ) throws {
        switch format {
        case .npy where tensors.count == 1 && path.hasSuffix(".npy"):
            try NPYWriter.write(tensors[0].tensor, to: path, force: force)
        case .npy, .npyDirectory:
            try NPYWriter.writeDirectory(tensors, to: path, force: force)
        case .npz:
            try NPZWriter.write(tensors, to: path, force: force)
        case .safetensors:
            try SafetensorsWriter.write(tensors, to: path, metadata: metadata, force: force)
        case .hdf5:
            try HDF5Writer.write(tensors, to: path, metadata: metadata, force: force)
        case .pytorch, .pytorchLegacy, .torchScript, .pytorchExport, .shardedCheckpoint, .onnx, .keras, .kerasWeights, .keras2Model, .keras2Weights:
            throw TensorFileError(file: path, .notWritten(format))
        }
    }
}
