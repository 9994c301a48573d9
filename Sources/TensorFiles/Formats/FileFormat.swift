import Foundation

/// Every file format rnnkit reads or writes: the one vocabulary for what
/// `FormatSniffer` recognises in a file's bytes, what `inspect` shows (and
/// `inspect --json` prints as `format`), and what a conversion writes (chosen
/// by the output path's suffix, `forOutputPath(_:)`).
///
/// The raw values are the names `--json` uses.
public enum FileFormat: String, Sendable, CaseIterable, Codable {
    /// A single `.npy` array (`numpy.save`).
    case npy
    /// A directory of `.npy` files, one tensor each, named after the file.
    case npyDirectory = "npy_directory"
    /// A zip of `.npy` members (`numpy.savez`, `savez_compressed`).
    case npz
    /// An HDF5 file whose datasets are tensors (h5py, MATLAB v7.3, …).
    case hdf5
    /// A safetensors file.
    case safetensors
    /// A zip checkpoint written by `torch.save` (a state dict, a whole module, …).
    case pytorch
    /// A checkpoint in `torch.save`'s legacy (pre-1.6, `_use_new_zipfile_serialization=False`) format.
    case pytorchLegacy = "pytorch_legacy"
    /// A TorchScript archive (`torch.jit.save`: `constants.pkl`, `code/`).
    case torchScript = "torchscript"
    /// An exported program (`torch.export.save`, `.pt2`): the weights and the
    /// graph of operators the model runs.
    case pytorchExport = "pytorch_export"
    /// A checkpoint split into shards: the index (`model.safetensors.index.json`),
    /// read with the shards it names (`ShardedCheckpoint`).
    case shardedCheckpoint = "sharded_checkpoint"
    /// An ONNX model (`ModelProto` with a graph).
    case onnx
    /// A Keras 3 model archive (`.keras`: `config.json` and `model.weights.h5`).
    case keras
    /// Keras 3 weights alone (`.weights.h5`, `model.save_weights`'s layout), an HDF5 file.
    case kerasWeights = "keras_weights"
    /// A Keras 2 / tf.keras whole model (`model.save("m.h5")`: `model_config` and `model_weights`), an HDF5 file.
    case keras2Model = "keras2_model"
    /// Keras 2 / tf.keras weights alone (`model.save_weights("w.h5")`), an HDF5 file.
    case keras2Weights = "keras2_weights"

    /// The format's name in messages and in `inspect`'s first line.
    public var displayName: String {
        switch self {
        case .npy: return "NPY"
        case .npyDirectory: return "directory of .npy files"
        case .npz: return "NPZ"
        case .hdf5: return "HDF5"
        case .safetensors: return "safetensors"
        case .pytorch: return "PyTorch checkpoint"
        case .pytorchLegacy: return "PyTorch checkpoint (legacy format)"
        case .torchScript: return "TorchScript archive"
        case .pytorchExport: return "PyTorch exported program (.pt2)"
        case .shardedCheckpoint: return "sharded checkpoint (index and shards)"
        case .onnx: return "ONNX model"
        case .keras: return "Keras 3 model (.keras)"
        case .kerasWeights: return "Keras 3 weights (.weights.h5)"
        case .keras2Model: return "Keras 2 model (HDF5)"
        case .keras2Weights: return "Keras 2 weights (HDF5)"
        }
    }

    /// Whether `TensorFile.open` lists the file's tensors as they are stored
    /// (every format but ONNX and `.keras` archives, which only a model reader
    /// understands; Keras HDF5 files list their raw datasets).
    public var isTensorContainer: Bool {
        self != .onnx && self != .keras
    }

    /// Whether the format lays a model out the way another framework does
    /// (ONNX, Keras): its reader maps it into PyTorch names, and what it
    /// records besides weights (stored states, lengths) lives in the reader's hints.
    public var hasForeignLayout: Bool {
        switch self {
        case .onnx, .keras, .kerasWeights, .keras2Model, .keras2Weights: return true
        default: return false
        }
    }

    /// Whether the format is one of Keras's.
    public var isKeras: Bool {
        switch self {
        case .keras, .kerasWeights, .keras2Model, .keras2Weights: return true
        default: return false
        }
    }

    /// Whether the format is a `torch.save` checkpoint (zip or legacy).
    public var isPyTorchCheckpoint: Bool {
        self == .pytorch || self == .pytorchLegacy
    }

    /// The formats a conversion writes, each with the suffixes that choose it.
    public static let outputSuffixes: [(format: FileFormat, suffixes: [String])] = [
        (.onnx, [".onnx"]), (.keras, [".keras"]), (.kerasWeights, [".weights.h5"]), (.safetensors, [".safetensors"]),
        (.npz, [".npz"]), (.hdf5, [".h5", ".hdf5"]), (.npyDirectory, [""]),
    ]

    /// The format a conversion writes to `path`, chosen by its suffix (case
    /// insensitive): `.onnx`, `.keras`, `.weights.h5` (before `.h5`),
    /// `.safetensors`, `.npz`, `.h5` / `.hdf5`; a path without suffix or
    /// ending in `/` is a directory of `.npy` files.
    ///
    /// - Throws: `TensorFileError` with reason `.unknownSuffix` for any other
    ///   suffix, `.standardOutput` for `-`.
    public static func forOutputPath(_ path: String) throws -> FileFormat {
        guard path != "-" else { throw TensorFileError(file: path, .standardOutput) }
        if path.hasSuffix("/") { return .npyDirectory }
        let name = (path as NSString).lastPathComponent.lowercased()
        if name.hasSuffix(".weights.h5") { return .kerasWeights }  // before .h5
        let suffix = (name as NSString).pathExtension
        let dotted = suffix.isEmpty ? "" : "." + suffix
        guard let format = outputSuffixes.first(where: { $0.suffixes.contains(dotted) })?.format else {
            throw TensorFileError(file: path, .unknownSuffix(suffix))
        }
        return format
    }

    /// `.onnx, .keras, .weights.h5, …`: the output suffixes, for messages.
    static var outputSuffixList: String {
        outputSuffixes.flatMap(\.suffixes).filter { !$0.isEmpty }.joined(separator: ", ")
    }
}
