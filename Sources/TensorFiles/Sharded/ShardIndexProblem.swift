/// Why a shard index (`model.safetensors.index.json`) is refused. The text
/// lives in `description`.
public enum ShardIndexProblem: Equatable, Sendable, CustomStringConvertible {
    /// More bytes than an index is read with.
    case tooLarge(size: Int, limit: Int)
    /// Not a JSON object with a `weight_map` object of tensor names to shard names.
    case notAnIndex
    /// The map gives `tensor` something other than a file name.
    case shardNotAName(tensor: String)
    /// A shard named with a folder, or leading outside the index's folder (through a link).
    case shardOutsideFolder(shard: String)
    /// A shard the map names is not beside the index.
    case missingShard(shard: String)
    /// A shard of another format than safetensors or a PyTorch checkpoint.
    case shardFormat(shard: String, format: FileFormat)
    /// A tensor the map places in `shard` is not there.
    case missingTensor(tensor: String, shard: String)

    public var description: String {
        switch self {
        case .tooLarge(let size, let limit):
            return "the index is \(size) bytes, more than the \(limit) rnnkit reads"
        case .notAnIndex:
            return "not a shard index: expected a JSON object whose \"weight_map\" maps tensor names to shard file names"
        case .shardNotAName(let tensor):
            return "the weight_map gives '\(tensor)' something other than a shard file name"
        case .shardOutsideFolder(let shard):
            return "shard '\(shard)' is not a file beside the index (only plain file names in the index's folder are read)"
        case .missingShard(let shard):
            return "shard '\(shard)' named by the index is not beside it (copy the shards with the index)"
        case .shardFormat(let shard, let format):
            return "shard '\(shard)' is \(format.displayName), not safetensors or a PyTorch checkpoint"
        case .missingTensor(let tensor, let shard):
            return "the index places '\(tensor)' in shard '\(shard)', which does not hold it"
        }
    }
}
