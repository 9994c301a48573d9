import Pickle

/// The only globals a checkpoint's pickle may name, and how refusals are worded.
///
/// Like `torch.load(weights_only=True)`, but smaller: names that rebuild
/// tensors and storages, the dtype constants, and a few inert containers.
/// None of them is ever called; `TorchPickleDecoder` interprets their records.
enum TorchAllowList {
    /// Element type and size of each legacy storage class (`torch.FloatStorage`,
    /// …); `dtype` is nil for the ones rnnkit cannot turn into tensors.
    static let storageTypes: [String: (dtype: DType?, itemSize: Int)] = [
        "DoubleStorage": (.float64, 8), "FloatStorage": (.float32, 4), "HalfStorage": (.float16, 2),
        "BFloat16Storage": (.bfloat16, 2), "LongStorage": (.int64, 8), "IntStorage": (.int32, 4),
        "ShortStorage": (.int16, 2), "CharStorage": (.int8, 1), "ByteStorage": (.uint8, 1),
        "BoolStorage": (.bool, 1), "ComplexFloatStorage": (nil, 8), "ComplexDoubleStorage": (nil, 16),
        "QInt8Storage": (nil, 1), "QUInt8Storage": (nil, 1), "QInt32Storage": (nil, 4),
        "QUInt4x2Storage": (nil, 1), "QUInt2x4Storage": (nil, 1),
    ]

    /// `torch.<name>` dtype constants rnnkit reads, by name (aliases included).
    static let dtypes: [String: DType] = [
        "float16": .float16, "half": .float16, "bfloat16": .bfloat16, "float32": .float32, "float": .float32,
        "float64": .float64, "double": .float64, "int64": .int64, "long": .int64, "int32": .int32, "int": .int32,
        "int16": .int16, "short": .int16, "int8": .int8, "uint8": .uint8, "bool": .bool,
    ]

    /// Dtype constants that may appear (as values) but have no rnnkit dtype.
    static let otherDtypes: Set<String> = [
        "complex32", "chalf", "complex64", "cfloat", "complex128", "cdouble", "uint16", "uint32", "uint64",
        "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu",
        "float4_e2m1fn_x2", "qint8", "quint8", "qint32", "quint4x2", "quint2x4",
    ]

    /// Functions that rebuild tensors and parameters.
    static let rebuildFunctions: Set<String> = [
        "_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_tensor_v3",
        "_rebuild_parameter", "_rebuild_parameter_with_state",
    ]

    /// Rebuilds a tensor that carries Python attributes (`t.foo = 1`).
    static let rebuildFromType = "torch._tensor._rebuild_from_type_v2"

    /// Tensor classes `_rebuild_from_type_v2` may name.
    static let tensorTypes: Set<String> = ["torch.Tensor", "torch.nn.parameter.Parameter"]

    /// Other allowed globals: inert containers and torch value types.
    static let others: Set<String> = [
        "collections.OrderedDict", "builtins.set", "builtins.frozenset", "_codecs.encode",
        "torch.Size", "torch.device", "torch.storage.UntypedStorage", "torch.UntypedStorage",
        "torch.storage.TypedStorage", "torch.TypedStorage",
    ]

    /// Whether `global` may appear in a checkpoint's pickle.
    static func allows(_ global: PickleGlobal) -> Bool {
        switch global.module {
        case "torch":
            return storageTypes[global.name] != nil || dtypes[global.name] != nil
                || otherDtypes.contains(global.name) || others.contains(global.description)
                || tensorTypes.contains(global.description)
        case "torch.cuda":
            return storageTypes[global.name] != nil
        case "torch._utils":
            return rebuildFunctions.contains(global.name)
        default:
            return others.contains(global.description) || global.description == rebuildFromType
                || tensorTypes.contains(global.description)
        }
    }

    /// The storage class a global names (`torch.FloatStorage`,
    /// `torch.storage.UntypedStorage`), as (name, dtype, element size).
    static func storageType(_ global: PickleGlobal) -> (name: String, dtype: DType?, itemSize: Int)? {
        if global.name == "UntypedStorage" || global.name == "TypedStorage", others.contains(global.description) {
            return (global.name, .uint8, 1)
        }
        guard global.module == "torch" || global.module == "torch.cuda",
              let known = storageTypes[global.name] else { return nil }
        return (global.name, known.dtype, known.itemSize)
    }

    /// Modules whose names are plainly code execution, not data.
    static let codeModules: Set<String> = [
        "os", "posix", "nt", "sys", "subprocess", "builtins", "shutil", "socket", "importlib", "runpy",
        "pickle", "marshal", "ctypes", "code", "pty", "webbrowser", "operator", "functools", "types",
        "pdb", "timeit", "platform", "io", "tempfile", "multiprocessing", "threading", "signal", "codecs",
    ]

    /// What to tell the user about a refused global.
    static func refusal(_ global: PickleGlobal) -> String {
        let name = "'\(global)'"
        let root = String(global.module.split(separator: ".").first ?? "")
        let looksLikeClass = global.name.first.map { $0.isUppercase } ?? false
        if global.module.hasPrefix("torch.nn.modules") || global.module == "torch.nn"
            || (global.module == "__main__" && looksLikeClass) {
            return "refused global \(name): the file holds a whole pickled nn.Module, not a state_dict. "
                + "rnnkit reads tensors only and never unpickles Python objects; in Python, load the model "
                + "and save `torch.save(model.state_dict(), \"weights.pt\")` instead"
        }
        if looksLikeClass && !codeModules.contains(root) && !global.module.hasPrefix("_") {
            return "refused global \(name): the file holds a pickled Python object of that class, which rnnkit "
                + "does not read (only tensors, dicts, lists, numbers and strings; nothing is unpickled). "
                + "If it is a whole model, save `model.state_dict()` instead; otherwise remove the object "
                + "from the checkpoint"
        }
        return "refused global \(name): it is not on rnnkit's allow-list of tensor-rebuilding names, and "
            + "rnnkit never runs code from a checkpoint (nothing was run)"
    }
}
