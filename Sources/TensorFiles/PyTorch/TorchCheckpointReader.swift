/// Reads PyTorch checkpoints (`.pt`, `.pth`, `.bin`) written by `torch.save`,
/// in the zip format (PyTorch ≥ 1.6) or the legacy format, without Python and
/// without running any pickled code.
///
/// The pickle is read by the `Pickle` module, which resolves globals only
/// through `TorchAllowList`; a whole pickled `nn.Module` or any other object
/// is refused with a message naming it. The tensors of the state dict(s) the
/// file holds are returned with their names; other entries (`epoch`,
/// `optimizer`, …) become `TensorFile.otherItems`. Storage bytes are not read
/// until a tensor's values are requested.
public enum TorchCheckpointReader {
    /// Reads the checkpoint at `path`.
    public static func read(path: String) throws -> TensorFile {
        let map = try MappedFile(path: path)
        if map.count == 0 { throw TensorFileError(file: path, .empty) }
        if TorchLegacyFormat.hasMagic(map.bytes) { return try TorchLegacyFormat.read(map) }
        return try TorchZipFormat.read(path: path)
    }
}
