/// Why a shape cannot be used (`TensorFileError.Reason.badShape`).
public enum ShapeProblem: Equatable, Sendable, CustomStringConvertible {
    /// A dimension below zero.
    case negative([Int])
    /// The element count (times `itemSize`, when given) overflows.
    case overflows([Int], itemSize: Int?)
    /// Dimensions beyond the largest `Int` (an HDF5 dataspace's).
    case tooLarge([UInt64])
    /// A dataset written by rows needs at least one row.
    case noRows([Int])

    /// `.negative` when a dimension is below zero, else `.overflows`: for a
    /// shape `checkedByteCount` (or `checkedElementCount`) refused.
    public static func refused(_ shape: [Int], itemSize: Int?) -> ShapeProblem {
        shape.contains { $0 < 0 } ? .negative(shape) : .overflows(shape, itemSize: itemSize)
    }

    /// The problem, without file or tensor.
    public var description: String {
        switch self {
        case .negative(let shape): return "\(shape) has a negative dimension"
        case .overflows(let shape, let itemSize): return "\(shape)\(itemSize.map { " × \($0) bytes" } ?? "") overflows"
        case .tooLarge(let dims): return "\(dims) is too large"
        case .noRows(let shape): return "\(shape) cannot be written by rows"
        }
    }
}

/// Why a tensor's element type is refused (`TensorFileError.Reason.unsupportedDType`).
public enum DTypeProblem: Equatable, Sendable, CustomStringConvertible {
    /// A type `format` names `name` (an NPY type string, a safetensors code,
    /// a `torch.` dtype, an ONNX element type) that rnnkit does not read.
    case unknown(String, in: FileFormat)
    /// `format` has no such type (NPY, NPZ and HDF5 have no bfloat16).
    case notStorable(DType, in: FileFormat)
    /// Integers (or bools) were asked for.
    case notInteger(DType)
    /// Conversion between these types is not done (only to floating point).
    case notConvertible(from: DType, to: DType)

    /// The problem, without file or tensor.
    public var description: String {
        switch self {
        case .unknown(let name, let format):
            switch format {
            case .npy, .npz, .npyDirectory: return "'\(name)' (rnnkit reads f2 f4 f8 i1 u1 i2 i4 i8 b1)"
            case .safetensors: return "unknown safetensors dtype '\(name)'"
            case .onnx: return "ONNX element type \(name)"
            default: return name
            }
        case .notStorable(let dtype, let format):
            return "\(format.displayName) cannot store \(dtype.rawValue); convert to float32 (exact) or write safetensors"
        case .notInteger(let dtype): return "expected integers, found \(dtype.rawValue)"
        case .notConvertible(let source, let target): return "cannot convert \(source.rawValue) to \(target.rawValue)"
        }
    }
}

/// Why a writer cannot store a tensor under its name (`TensorFileError.Reason.badName`).
public enum TensorNameProblem: Equatable, Sendable, CustomStringConvertible {
    /// `format` cannot hold the name: a folder of `.npy` files needs file
    /// names, NPZ non-empty member names, safetensors neither an empty name
    /// nor `__metadata__`, HDF5 non-empty dot-separated parts and no `/`.
    case notAllowed(in: FileFormat)
    /// The tensor's name is also the group of `other` (HDF5 holds only one of the two).
    case alsoAGroup(of: String)

    /// The problem, without file or tensor.
    public var description: String {
        switch self {
        case .notAllowed(let format):
            switch format {
            case .npz: return "an NPZ member needs a name"
            case .safetensors: return "not a valid safetensors tensor name"
            case .hdf5: return "cannot be an HDF5 path: names are split at '.' into groups, so they need non-empty parts and no '/'"
            default: return "the name cannot be a file name (empty, contains '/', starts with '.' or is too long)"
            }
        case .alsoAGroup(let other): return "is a tensor and also a group of '\(other)'; HDF5 cannot hold both"
        }
    }
}
