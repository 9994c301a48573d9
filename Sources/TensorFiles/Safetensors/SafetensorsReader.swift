// PLACEHOLDER (skeleton): replaced by the readers work.
public enum SafetensorsReader {
    public static func read(path: String) throws -> TensorFile {
        throw TensorFileError(file: path, .invalid("safetensors reading is not implemented yet"))
    }
}

enum SafetensorsHeader {
    static func looksLikeSafetensors(_ bytes: UnsafeRawBufferPointer) -> Bool { false }
}
