/// Why a checkpoint's pickle, read without error, does not hold what a
/// PyTorch checkpoint holds: a storage reference, a tensor record or a module
/// setting that is not what PyTorch writes. Each case carries the values
/// concerned; the text lives in `description`.
public enum TorchPickleProblem: Equatable, Sendable, CustomStringConvertible {
    /// A persistent id that is a value of kind `kind`, not a tuple.
    case persistentIDNotTuple(kind: String)
    /// A persistent id whose tag is `kind`, not `storage`.
    case persistentIDKind(String)
    /// A storage persistent id with `count` fields (5 or 6 expected).
    case storageFieldCount(Int)
    /// A storage type that is a value of kind `kind`, not a torch storage class.
    case notStorageClass(kind: String)
    /// A storage key that is a value of kind `kind`, not a string.
    case storageKeyNotString(kind: String)
    /// A storage size that is a value of kind `kind`, not a count ≥ 0.
    case storageSize(storage: String, kind: String)
    /// A storage whose `count` elements overflow in bytes.
    case storageCountOverflows(storage: String, count: Int)
    /// A legacy storage view that is not (key, offset, size) inside the storage's `count` elements.
    case storageView(storage: String, count: Int)
    /// The tensor-rebuilding call `function` is not what PyTorch writes.
    case rebuild(function: String, Rebuild)
    /// Dicts (or, when `modules`, module objects) nest more than `limit` levels at `path`.
    case nesting(modules: Bool, limit: Int, path: ModulePath)
    /// A recurrent module's recorded setting is not what PyTorch stores.
    case moduleSetting(module: ModulePath, className: String, Setting)

    /// What is wrong with a tensor-rebuilding call.
    public enum Rebuild: Equatable, Sendable {
        /// Rebuilding calls nest more than 4 deep.
        case nestsTooDeeply
        /// `_rebuild_from_type_v2` without (rebuild function, tensor type, arguments, state).
        case typedArguments
        /// A parameter whose data is not a tensor.
        case parameterNotTensor
        /// A number of arguments the function never takes.
        case argumentCount(Int)
        /// The first argument is a value of kind `kind`, not a storage.
        case notStorage(kind: String)
        /// A negative or non-integer storage offset.
        case storageOffset
        /// Size or stride that are not tuples of integers.
        case sizeOrStrideNotIntegers
        /// Size and stride of different lengths (or more than 64 dimensions).
        case sizeStrideMismatch(shape: [Int], strides: [Int])
        /// A negative size or stride.
        case negativeSizeOrStride(shape: [Int], strides: [Int])
        /// `_rebuild_tensor_v3`'s dtype argument is a value of kind `kind`, not a torch dtype.
        case dtypeArgument(kind: String)
        /// The negative or conjugate bit is set.
        case negativeOrConjugate
    }

    /// What is wrong with a recorded module setting.
    public enum Setting: Equatable, Sendable {
        /// `batch_first` is a value of kind `kind`, not a bool.
        case batchFirst(kind: String)
        /// `nonlinearity` is `value`, not 'tanh' or 'relu'.
        case nonlinearity(String)
        /// `_flat_weights_names` (the weights the forward passes) is not what
        /// the recorded settings (`settings`, in words) make: PyTorch's
        /// forward passes the one with the other's flags.
        case flatWeights(recorded: [String], settings: String, expected: [String])
    }

    /// The problem, without file or tensor.
    public var description: String {
        switch self {
        case .persistentIDNotTuple(let kind):
            return "persistent id is a \(kind), expected a ('storage', type, key, location, size) tuple"
        case .persistentIDKind(let kind):
            return "persistent id of kind '\(kind)'; only storages "
                + "(and, for NEWOBJ, a legacy file's ('module', class, file, source)) are read"
        case .storageFieldCount(let count):
            return "storage persistent id has \(count) fields, expected 5 (zip) or 6 (legacy)"
        case .notStorageClass(let kind):
            return "storage type \(kind) is not a torch storage class"
        case .storageKeyNotString(let kind):
            return "storage key is a \(kind), expected a string"
        case .storageSize(let storage, let kind):
            return "storage '\(storage)' has size \(kind), expected a count ≥ 0"
        case .storageCountOverflows(let storage, let count):
            return "storage '\(storage)' claims \(count) elements, which overflows"
        case .storageView(let storage, let count):
            return "storage '\(storage)' has an invalid view (offset, size) for \(count) elements"
        case .rebuild(let function, let problem):
            return "\(function): " + Self.text(problem)
        case .nesting(let modules, let limit, let path):
            return "\(modules ? "modules" : "dicts") nest more than \(limit) levels deep at '\(path.prefix)'"
        case .moduleSetting(let module, let className, let setting):
            let what = switch setting {
            case .batchFirst(let kind): "batch_first is a \(kind), expected a bool"
            case .nonlinearity(let value): "nonlinearity \(value), expected 'tanh' or 'relu'"
            case .flatWeights(let recorded, let settings, let expected):
                "its _flat_weights_names [\(recorded.joined(separator: ", "))] are not the weights its recorded settings "
                    + "(\(settings)) name [\(expected.joined(separator: ", "))]; PyTorch's forward passes the first with the "
                    + "settings' flags, which does not compute that module (build the module with the settings its weights "
                    + "need and save it again, or save its state_dict)"
            }
            return "module '\(module)' (\(className)): \(what)"
        }
    }

    private static func text(_ problem: Rebuild) -> String {
        switch problem {
        case .nestsTooDeeply: return "tensor records nest too deeply"
        case .typedArguments: return "expected (rebuild function, tensor type, arguments, state)"
        case .parameterNotTensor: return "the parameter's data is not a tensor"
        case .argumentCount(let count): return "\(count) arguments"
        case .notStorage(let kind): return "the first argument is a \(kind), expected a storage"
        case .storageOffset: return "invalid storage offset"
        case .sizeOrStrideNotIntegers: return "size and stride must be tuples of integers"
        case .sizeStrideMismatch(let shape, let strides): return "size \(shape) and stride \(strides) do not match"
        case .negativeSizeOrStride(let shape, let strides): return "negative size \(shape) or stride \(strides)"
        case .dtypeArgument(let kind): return "the dtype argument is a \(kind)"
        case .negativeOrConjugate:
            return "the tensor was saved with its negative or conjugate bit set, which rnnkit does not apply"
        }
    }
}
