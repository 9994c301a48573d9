import Foundation

/// A checkpoint split into shards, as Hugging Face writes it
/// (`save_torch_state_dict`, `save_pretrained`): files named
/// `model-00001-of-00003.safetensors` (or `pytorch_model-00001-of-00003.bin`)
/// beside an index, `model.safetensors.index.json`, whose `weight_map` names
/// the shard holding each tensor.
///
/// Given the index, rnnkit reads the shards it names from the index's own
/// folder (plain file names only, checked on their real paths as ONNX external
/// data is: no symbolic link out of the folder), each tensor from the shard
/// the map names. Given one shard, whose name says it is one of several, its
/// modules may continue in another shard (a module cut where a shard ends):
/// `run` and `convert` refuse it and ask for the index
/// (`ModelSource.refuseShard`); `inspect` lists it.
public enum ShardedCheckpoint {
    /// Largest index read.
    static let maximumIndexBytes = 64 << 20

    /// Whether `bytes` are a shard index: a JSON object (possibly after
    /// whitespace) that holds `"weight_map"`.
    static func looksLikeIndex(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count <= maximumIndexBytes, let base = bytes.baseAddress,
              let start = bytes.firstIndex(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }), bytes[start] == UInt8(ascii: "{")
        else { return false }
        let view = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: bytes.count, deallocator: .none)
        return view.range(of: Data("\"weight_map\"".utf8)) != nil
    }

    /// `(index, count)` when `path`'s file name says it is shard `index` of
    /// `count` (`model-00001-of-00003.safetensors`, `pytorch_model-00002-of-00004.bin`), count > 1.
    public static func shardNumber(of path: String) -> (index: Int, count: Int)? {
        let name = (path as NSString).lastPathComponent
        let stem = name.split(separator: ".").first.map(String.init) ?? name
        let parts = stem.split(separator: "-")
        guard parts.count >= 4, parts[parts.count - 2] == "of",
              let index = Int(parts[parts.count - 3]), let count = Int(parts[parts.count - 1]),
              parts[parts.count - 3].count == 5, parts[parts.count - 1].count == 5, count > 1, (1 ... count).contains(index)
        else { return nil }
        return (index, count)
    }

    /// Reads the index at `path` and the tensors of the shards it names.
    public static func read(path: String) throws -> TensorFile {
        let map = try MappedFile(path: path)
        func fail(_ problem: ShardIndexProblem) -> TensorFileError { TensorFileError(file: path, .shardIndex(problem)) }
        guard map.count <= maximumIndexBytes else { throw fail(.tooLarge(size: map.count, limit: maximumIndexBytes)) }
        guard let object = try? JSONSerialization.jsonObject(with: try map.data(0, map.count)) as? [String: Any],
              let weightMap = object["weight_map"] as? [String: Any] else { throw fail(.notAnIndex) }
        var shards: [String: [String]] = [:]
        for (tensor, value) in weightMap {
            guard let shard = value as? String else { throw fail(.shardNotAName(tensor: tensor)) }
            // Plain file names beside the index, as save_torch_state_dict writes them.
            guard !shard.isEmpty, !shard.contains("/"), shard != ".", shard != ".." else {
                throw fail(.shardOutsideFolder(shard: String(shard.prefix(200))))
            }
            shards[shard, default: []].append(tensor)
        }
        guard !shards.isEmpty else { throw fail(.notAnIndex) }
        let folder = (path as NSString).deletingLastPathComponent
        guard let realFolder = RealPath.of(folder.isEmpty ? "." : folder) else { throw fail(.shardOutsideFolder(shard: folder)) }
        var tensors: [NamedTensor] = []
        var others: [(name: String, summary: String)] = []
        var metadata = (object["metadata"] as? [String: Any])?.compactMapValues { value -> String? in
            value is NSNull ? nil : "\(value)"
        } ?? [:]
        metadata["sharded.shards"] = String(shards.count)
        for shard in shards.keys.sorted() {
            let shardPath = (folder.isEmpty ? "." : folder as NSString).appendingPathComponent(shard)
            guard let real = RealPath.of(shardPath) else { throw fail(.missingShard(shard: shard)) }
            guard RealPath.isInside(real, folder: realFolder) else { throw fail(.shardOutsideFolder(shard: shard)) }
            let sniffed = try FormatSniffer.sniff(shardPath)
            guard [.safetensors, .pytorch, .pytorchLegacy].contains(sniffed.format) else {
                throw fail(.shardFormat(shard: shard, format: sniffed.format))
            }
            let file = try TensorFile.open(sniffed)
            let wanted = Set(shards[shard] ?? [])
            let found = Set(file.tensors.map(\.name))
            let unread = Dictionary(file.otherItems.map { ($0.name, $0.summary) }, uniquingKeysWith: { first, _ in first })
            for name in wanted.sorted() where !found.contains(name) {
                // A tensor the shard holds but its reader could not read is listed, like any container's.
                guard let summary = unread[name] else { throw fail(.missingTensor(tensor: name, shard: shard)) }
                others.append((name, "\(shard): \(summary)"))
            }
            tensors += file.tensors.filter { wanted.contains($0.name) }
        }
        return TensorFile(path: path, format: .shardedCheckpoint, tensors: tensors, metadata: metadata, otherItems: others)
    }
}
