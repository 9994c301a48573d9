import Foundation

/// Reads safetensors files.
///
/// The file is memory-mapped and only its header is parsed; every tensor is
/// a zero-copy view of the map, so opening a multi-gigabyte file reads a few
/// pages. `__metadata__` becomes `TensorFile.metadata`. Tensors whose dtype
/// rnnkit does not handle (`U32`, `F8_E4M3`, …) are validated like the others
/// and listed in `otherItems`.
public enum SafetensorsReader {
    /// Reads the file at `path`.
    public static func read(path: String) throws -> TensorFile {
        let map = try MappedFile(path: path)
        if map.count == 0 { throw TensorFileError(file: path, .empty) }
        let header = try SafetensorsHeader.parse(map.bytes, file: path)
        var tensors: [NamedTensor] = []
        var others: [(name: String, summary: String)] = []
        for entry in header.entries {
            guard let dtype = entry.dtype else {
                others.append((entry.name, "\(entry.code) tensor of shape \(entry.shape) (dtype not supported by rnnkit)"))
                continue
            }
            let data = try map.data(header.dataStart + entry.begin, entry.end - entry.begin, tensor: entry.name)
            let tensor = try Tensor(dtype: dtype, shape: entry.shape, data: data)
            tensors.append(NamedTensor(name: entry.name, tensor: tensor))
        }
        return TensorFile(path: path, format: .safetensors, tensors: tensors, metadata: header.metadata, otherItems: others)
    }
}
