// PLACEHOLDER (skeleton): replaced by the readers work.
import Foundation

public enum NPZReader {
    public static func read(path: String) throws -> TensorFile {
        throw TensorFileError(file: path, .invalid("NPZ reading is not implemented yet"))
    }
}
