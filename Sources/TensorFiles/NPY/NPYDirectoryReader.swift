#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Reads a directory of `.npy` files as one tensor file: each `NAME.npy`
/// becomes the tensor `NAME` (so `encoder.lstm.weight_ih_l0.npy` is
/// `encoder.lstm.weight_ih_l0`). Other files are ignored; subdirectories are
/// not descended into. An entry may be a symbolic link to a file inside the
/// folder (or its subfolders), never to one outside it (`RealPath`).
public enum NPYDirectoryReader {
    /// Reads every `.npy` file directly inside `path`, sorted by name.
    public static func read(path: String) throws -> TensorFile {
        let arrays = try entries(of: path).filter { $0.hasSuffix(".npy") && !$0.hasPrefix(".") }.sorted()
        guard !arrays.isEmpty else {
            throw TensorFileError(file: path, .noNPYFiles)
        }
        guard let realFolder = RealPath.of(path) else { throw TensorFileError(file: path, .notFound) }
        var tensors: [NamedTensor] = []
        for file in arrays {
            let full = (path as NSString).appendingPathComponent(file)
            // By name first, so that nothing outside is even opened (a device
            // can act on open); then the file actually opened, in case a link
            // changed in between.
            guard let target = RealPath.of(full) else { throw TensorFileError(file: full, .notFound) }
            guard RealPath.isInside(target, folder: realFolder) else {
                throw TensorFileError(file: full, .leadsOutsideFolder(target: target))
            }
            let map = try MappedFile(path: full)
            try RealPath.checkOpened(map, isInside: realFolder, file: full)
            let name = String(file.dropLast(4))
            tensors.append(NamedTensor(name: name, tensor: try NPYReader.tensor(in: map, name: name)))
        }
        return TensorFile(path: path, format: .npyDirectory, tensors: tensors)
    }

    /// The names in the folder `path` (`.` and `..` left out).
    private static func entries(of path: String) throws -> [String] {
        guard let folder = opendir(path) else { throw TensorFileError(file: path, .unreadable(.list, errno: errno)) }
        defer { closedir(folder) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(folder) else {
                if errno != 0 { throw TensorFileError(file: path, .unreadable(.list, errno: errno)) }
                return names
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != ".", name != ".." { names.append(name) }
        }
    }
}
