// PLACEHOLDER (skeleton): replaced by the readers work.
public enum HDF5Reader {
    public static func read(path: String) throws -> TensorFile {
        throw TensorFileError(file: path, .invalid("HDF5 reading is not implemented yet"))
    }
}
