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
    /// - `.npy`: a directory of `NAME.npy` files; when `path` ends in `.npy`
    ///   and there is exactly one tensor, that single file.
    /// - `.npz`: stored members, like `numpy.savez`.
    /// - `.safetensors`: `metadata` becomes `__metadata__`.
    /// - `.hdf5`: `a.b.c` becomes dataset `c` in group `a/b`; `metadata`
    ///   becomes string attributes of the root group.
    /// - `.pytorch`: refused (rnnkit reads checkpoints but does not write them).
    ///
    /// NPY and NPZ cannot carry `metadata`; it is dropped for them.
    public static func write(
        _ tensors: [NamedTensor], as format: ContainerFormat, to path: String, metadata: [String: String] = [:],
        force: Bool = false
    ) throws {
        switch format {
        case .npy:
            if tensors.count == 1, path.hasSuffix(".npy") {
                try NPYWriter.write(tensors[0].tensor, to: path, force: force)
            } else {
                try NPYWriter.writeDirectory(tensors, to: path, force: force)
            }
        case .npz:
            try NPZWriter.write(tensors, to: path, force: force)
        case .safetensors:
            try SafetensorsWriter.write(tensors, to: path, metadata: metadata, force: force)
        case .hdf5:
            try HDF5Writer.write(tensors, to: path, metadata: metadata, force: force)
        case .pytorch:
            throw TensorFileError(file: path, .invalid(
                "rnnkit does not write PyTorch checkpoints; write safetensors (torch loads it with safetensors.torch.load_file)"))
        }
    }
}
