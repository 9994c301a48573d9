import Foundation

/// Reads a directory of `.npy` files as one tensor file: each `NAME.npy`
/// becomes the tensor `NAME` (so `encoder.lstm.weight_ih_l0.npy` is
/// `encoder.lstm.weight_ih_l0`). Other files are ignored; subdirectories are
/// not descended into.
public enum NPYDirectoryReader {
    /// Reads every `.npy` file directly inside `path`, sorted by name.
    public static func read(path: String) throws -> TensorFile {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw TensorFileError(file: path, .unreadable("cannot list the directory"))
        }
        let arrays = names.filter { $0.hasSuffix(".npy") && !$0.hasPrefix(".") }.sorted()
        guard !arrays.isEmpty else {
            throw TensorFileError(file: path, .wrongKind("is a directory without .npy files"))
        }
        var tensors: [NamedTensor] = []
        for file in arrays {
            let full = (path as NSString).appendingPathComponent(file)
            let map = try MappedFile(path: full)
            let name = String(file.dropLast(4))
            tensors.append(NamedTensor(name: name, tensor: try NPYReader.tensor(in: map, name: name)))
        }
        return TensorFile(path: path, format: .npyDirectory, tensors: tensors)
    }
}
