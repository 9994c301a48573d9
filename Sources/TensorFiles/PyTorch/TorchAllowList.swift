import Pickle

/// The globals a checkpoint's pickle may name, and how refusals are worded.
///
/// The allow-list proper is like `torch.load(weights_only=True)`, but
/// smaller: names that rebuild tensors and storages, the dtype constants, and
/// a few inert containers; only these may be named by a `REDUCE`. Any other
/// class may appear as an instance (`NEWOBJ`, how `torch.save(model)` pickles
/// `nn.Module`s), recorded as an opaque object, unless it or its module runs
/// code (`posix.system`, `builtins.eval`, `subprocess.Popen`, …), which is
/// refused wherever it sits. Nothing is ever called or imported;
/// `TorchPickleDecoder` and `TorchModuleTree` interpret the records.
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

    /// TorchScript's pickler helpers in `torch.jit._pickle`: each returns its
    /// first argument (a list, tagged with its static type), so they are data.
    static let scriptDataFunctions: Set<String> = [
        "restore_type_tag", "build_tensorlist", "build_intlist", "build_doublelist", "build_boollist",
    ]

    /// Whether `global` is on the allow-list proper: the names that may be
    /// called (`REDUCE`) to make tensors and plain values.
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
        case "torch.jit._pickle":
            return scriptDataFunctions.contains(global.name)
        default:
            return others.contains(global.description) || global.description == rebuildFromType
                || tensorTypes.contains(global.description)
        }
    }

    /// Whether `global` may appear in a checkpoint's pickle at all: the
    /// allow-list, or a class recorded as an opaque object (`__main__.Seq2Seq`,
    /// `torch.nn.modules.rnn.LSTM`, TorchScript's `__torch__.…`) that is
    /// neither in a module that runs code nor a name that does.
    static func mayAppear(_ global: PickleGlobal) -> Bool {
        allows(global) || runsCode(global) == nil
    }

    /// Whether a `REDUCE` may name `global` (never actually called).
    static func mayBeCalled(_ global: PickleGlobal) -> Bool {
        allows(global) && !tensorTypes.contains(global.description)
    }

    /// Why `global` is taken to run code, or nil when it is not.
    static func runsCode(_ global: PickleGlobal) -> String? {
        let root = String(global.module.split(separator: ".").first ?? "")
        if codeModules.contains(root) { return "module '\(root)' runs code and touches the system" }
        if codeNames.contains(global.name) { return "'\(global.name)' runs code" }
        if let prefix = codeTorchModules.first(where: { global.module == $0 || global.module.hasPrefix($0 + ".") }) {
            return "'\(prefix)' loads or runs code"
        }
        let identifier = global.module.split(separator: ".", omittingEmptySubsequences: false) + [Substring(global.name)]
        guard identifier.allSatisfy({ part in
            !part.isEmpty && part.allSatisfy { $0 == "_" || $0.isLetter || $0.isNumber } && !(part.first?.isNumber ?? true)
        }) else { return "it is not a Python name" }
        return nil
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
        "_thread", "copyreg", "asyncio", "ssl", "http", "urllib", "ftplib", "smtplib", "telnetlib", "glob",
        "pathlib", "zipimport", "imp", "pkgutil", "inspect", "gc", "ast", "dis", "site",
    ]

    /// Names that run code or reach the system, in whatever module.
    static let codeNames: Set<String> = [
        "eval", "exec", "execfile", "compile", "system", "popen", "Popen", "spawn", "spawnl", "spawnv",
        "getattr", "setattr", "delattr", "__import__", "import_module", "open", "load", "loads",
        "run", "call", "check_call", "check_output", "apply", "globals", "locals", "vars", "breakpoint",
        "input", "exit", "quit", "__reduce__", "__reduce_ex__", "__setstate__", "__getattribute__",
    ]

    /// Parts of torch that load files or compile and run code.
    static let codeTorchModules: [String] = [
        "torch.hub", "torch.serialization", "torch.jit", "torch.utils.cpp_extension", "torch.ops",
        "torch._C", "torch.package", "torch._dynamo", "torch.compiler", "torch.fx", "torch.export",
        "torch.cuda.memory", "torch.distributed",
    ]

    /// Whether `global` builds a quantized tensor or module (`torch.ao.quantization.quantize_dynamic`, …).
    static func isQuantized(_ global: PickleGlobal) -> Bool {
        global.name == "_rebuild_qtensor" || global.module.contains("quantized") || global.module.hasPrefix("torch.ao.")
    }

    /// What to tell the user about quantized weights, which rnnkit does not compute.
    static func quantizedRefusal(_ global: PickleGlobal) -> String {
        "refused '\(global)': the checkpoint holds quantized weights (torch.ao.quantization), which rnnkit does not "
            + "compute (nothing was run); save the float model's state_dict() before quantizing it"
    }

    /// What to tell the user about a global refused as a call (`REDUCE`).
    static func callRefusal(_ global: PickleGlobal) -> String {
        if isQuantized(global) { return quantizedRefusal(global) }
        return "refused call of '\(global)': the pickle calls it to make a value, and rnnkit calls nothing from a "
            + "file but the allow-listed tensor rebuilders (nothing was run). Classes are read as opaque objects "
            + "only when pickled as instances; remove this value from the checkpoint, or save "
            + "`model.state_dict()` instead"
    }

    /// What to tell the user about a refused global (one that runs code, or
    /// any global in a pickle that must hold plain data).
    static func refusal(_ global: PickleGlobal) -> String {
        if isQuantized(global) { return quantizedRefusal(global) }
        if let reason = runsCode(global) {
            return "refused global '\(global)': \(reason); rnnkit never runs code from a checkpoint (nothing was run)"
        }
        let name = "'\(global)'"
        return "refused global \(name): it is not on rnnkit's allow-list of tensor-rebuilding names, and "
            + "rnnkit never runs code from a checkpoint (nothing was run)"
    }
}
