// PLACEHOLDER (skeleton): replaced by the checkpoint work.
public enum TorchCheckpointReader {
    public static func read(path: String) throws -> TensorFile {
        throw TensorFileError(file: path, .invalid("PyTorch checkpoints are not supported yet"))
    }
}

enum TorchLegacyFormat {
    static func hasMagic(_ bytes: UnsafeRawBufferPointer) -> Bool { false }
}

enum TorchZipFormat {
    static func looksLikeArchive(path: String) throws -> Bool { false }
}
