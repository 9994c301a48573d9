import Pickle

/// What a PyTorch file records about one module besides its weights: its
/// class (an opaque name, never imported) and, for PyTorch's own recurrent
/// classes, the settings the weights cannot tell.
public struct RecordedModuleSettings: Sendable, Equatable {
    /// The class as the pickle names it (`torch.nn.modules.rnn.LSTM`,
    /// `__torch__.torch.nn.modules.rnn.LSTM`).
    public var className: String
    /// `batch_first`, when the file records it.
    public var batchFirst: Bool?
    /// `nonlinearity` of an `nn.RNN` / `nn.RNNCell` (`tanh`, `relu`), when recorded.
    public var nonlinearity: String?
    /// Where the settings were read (for `inspect`).
    public var source: String
    /// The file records code for the module that sets its input's layout but
    /// not where rnnkit reads it (a traced TorchScript module whose
    /// recurrence call it cannot read): `run` needs the layout given.
    public var layoutUnknown = false
    /// The dropout a traced TorchScript module applies between its layers on
    /// every call (traced in training mode), when it does.
    public var trainingDropout: Double?
    /// An exported program's initial states computed from the program's
    /// input (`h0`, `c0` → the input's name): fed at run time.
    public var stateInputs: [String: String] = [:]
    /// A traced module's initial states taken from its forward's arguments
    /// (`h0`, `c0` → the parameter, `hx`): the model passes the module a
    /// state, which a run is given or starts from zeros.
    public var stateArguments: [String: String] = [:]
    /// The dtype an exported program computes the module in, when below
    /// float32 (its float16 or bfloat16 weights).
    public var computeDType: DType?
    /// The dropout a pickled module saved in training mode applies between
    /// its layers until `model.eval()` (`training=True`, `dropout > 0`,
    /// `num_layers > 1`): PyTorch's output of the file as loaded is random.
    public var savedTrainingDropout: Double?
    /// What a traced module's forward computes besides its recurrence call (a
    /// hook traced into it), one clause each: named in `unrunCode`.
    public var codeBeyondRecurrence: [String] = []

    /// Creates settings.
    public init(className: String, batchFirst: Bool? = nil, nonlinearity: String? = nil, source: String) {
        self.className = className
        self.batchFirst = batchFirst
        self.nonlinearity = nonlinearity
        self.source = source
    }

    /// Whether anything beyond the class is recorded.
    public var isEmpty: Bool {
        batchFirst == nil && nonlinearity == nil && !layoutUnknown && trainingDropout == nil && savedTrainingDropout == nil
            && codeBeyondRecurrence.isEmpty && stateInputs.isEmpty && stateArguments.isEmpty
    }
}

/// Reads the tensors of pickled module objects without constructing them.
///
/// An eager `nn.Module` (`torch.save(model)`) is a `NEWOBJ` of its class with
/// a `BUILD` state dict holding `_parameters`, `_buffers`,
/// `_non_persistent_buffers_set` and `_modules`; its tensors are named as
/// `state_dict()` names them: own parameters, persistent buffers, then each
/// submodule's under its key. A TorchScript object (class `__torch__.…`) holds
/// its parameters, buffers and submodules directly as attributes.
struct TorchModuleTree {
    /// One module object found, by its dotted path relative to where the walk began.
    struct Module {
        var path: [String]
        var className: String
        var settings: RecordedModuleSettings?
        /// Whether the module's own tensors include recurrent weights
        /// (`weight_ih…`, `weight_hh…`): a module rnnkit may run.
        var holdsRecurrentWeights = false
        /// Forward (pre-)hooks registered on the module, as `others` lists them.
        var hooks: [String] = []
        /// What an eager `nn.RNN`/`LSTM`/`GRU` (or a subclass) or cell passes
        /// its recurrence; nil for other classes and TorchScript objects.
        var forwardWeights: RecurrentForwardWeights?
    }

    let decoder: TorchPickleDecoder
    private(set) var tensors: [(path: [String], record: TorchTensorRecord)] = []
    private(set) var modules: [Module] = []
    private(set) var others: [(path: [String], summary: String)] = []
    private var visited: [PickleObjectID: [String]] = [:]

    /// Most levels of modules inside modules that are followed.
    static let maximumDepth = 64
    /// Classes whose pickled attributes are read as recorded settings.
    static let recurrentClasses: Set<String> = [
        "torch.nn.modules.rnn.LSTM", "torch.nn.modules.rnn.GRU", "torch.nn.modules.rnn.RNN",
        "torch.nn.modules.rnn.LSTMCell", "torch.nn.modules.rnn.GRUCell", "torch.nn.modules.rnn.RNNCell",
    ]

    /// The hook dicts of an `nn.Module`'s state.
    static let hookFields = [
        "_forward_pre_hooks", "_forward_hooks", "_backward_pre_hooks", "_backward_hooks", "_state_dict_hooks",
        "_state_dict_pre_hooks", "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks",
    ]

    init(decoder: TorchPickleDecoder) { self.decoder = decoder }

    /// The class and attribute dict of `value` when it is a module object.
    static func module(_ value: PickleValue, in document: PickleDocument) -> (call: PickleCall, state: PickleDictionary)? {
        guard case .call(let call)? = document.object(value), call.isNewObject, let state = call.state else { return nil }
        var attributes = document.dictionary(state)
        if attributes == nil, let parts = document.sequence(state), let first = parts.first {
            attributes = document.dictionary(first)  // (dict, slot state)
        }
        guard let attributes else { return nil }
        if isScript(call.callee) { return (call, attributes) }
        guard document.dictionary(attributes["_parameters"] ?? .none) != nil
                || document.dictionary(attributes["_modules"] ?? .none) != nil else { return nil }
        return (call, attributes)
    }

    /// Whether `global` is a TorchScript class.
    static func isScript(_ global: PickleGlobal) -> Bool {
        global.module == "__torch__" || global.module.hasPrefix("__torch__.")
    }

    /// Collects the tensors and submodules of the module object `value` at `path`.
    mutating func collect(_ value: PickleValue, path: [String]) throws {
        guard let (call, attributes) = Self.module(value, in: decoder.document) else { return }
        if case .object(let id) = value {
            if let first = visited[id] {
                others.append((path, "the same module as '\(ModulePath(components: first))'"))
                return
            }
            visited[id] = path
        }
        guard path.count <= Self.maximumDepth else {
            throw TensorFileError(file: decoder.file, .torchPickle(
                .nesting(modules: true, limit: Self.maximumDepth, path: ModulePath(components: path))))
        }
        let className = call.callee.description
        let index = modules.count
        modules.append(Module(path: path, className: className, settings: try settings(className, attributes, path: path)))
        let before = tensors.count
        if Self.isScript(call.callee) {
            try collectScript(attributes, path: path)
        } else {
            modules[index].hooks = try collectEager(attributes, path: path)
            modules[index].forwardWeights = try forwardWeights(className, attributes, path: path)
        }
        modules[index].holdsRecurrentWeights = tensors[before...].contains { entry in
            entry.path.count == path.count + 1 && ["weight_ih", "weight_hh"].contains { entry.path[path.count].hasPrefix($0) }
        }
    }

    /// Collects an eager module's tensors; returns its forward hooks as listed.
    private mutating func collectEager(_ attributes: PickleDictionary, path: [String]) throws -> [String] {
        let document = decoder.document
        var nonPersistent = Set<PickleValue>()
        if case .set(let items)? = document.object(attributes["_non_persistent_buffers_set"] ?? .none) {
            nonPersistent = Set(items)
        }
        for field in ["_parameters", "_buffers"] {
            for (key, item) in document.dictionary(attributes[field] ?? .none)?.entries ?? [] {
                guard case .string(let name) = key, item != .none else { continue }
                let itemPath = path + [name]
                guard let record = try decoder.tensor(item, name: ModulePath(components: itemPath).prefix) else {
                    others.append((itemPath, TorchItemSummary(decoder: decoder).describe(item)))
                    continue
                }
                if field == "_buffers" && nonPersistent.contains(key) {
                    others.append((itemPath, "tensor \(record.dtype.rawValue) \(record.shape) (non-persistent buffer, not in state_dict)"))
                } else {
                    tensors.append((itemPath, record))
                }
            }
        }
        // Hooks are code the file cannot carry (functions pickled by name): listed, never run.
        var hookList: [String] = []
        for field in Self.hookFields {
            guard let hooks = document.dictionary(attributes[field] ?? .none), hooks.count > 0 else { continue }
            let what = hooks.entries.map { TorchItemSummary(decoder: decoder).describe($0.value) }
            others.append((path + [field], "\(TorchItemSummary.count(hooks.count, "hook")) (\(what.joined(separator: ", "))): "
                + "not run; rnnkit computes the module without them"))
            // Forward hooks change what the module returns; state-dict and backward hooks do not.
            if field.hasPrefix("_forward") { hookList.append("\(field): \(what.joined(separator: ", "))") }
        }
        // Plain tensor attributes are not in state_dict: listed, not read.
        for (key, item) in attributes.entries {
            guard case .string(let name) = key, !name.hasPrefix("_"), decoder.isTensor(item) else { continue }
            others.append((path + [name], TorchItemSummary(decoder: decoder).describe(item) + " (plain attribute, not in state_dict)"))
        }
        for (key, item) in document.dictionary(attributes["_modules"] ?? .none)?.entries ?? [] {
            guard case .string(let name) = key, item != .none else { continue }
            guard Self.module(item, in: document) != nil else {
                others.append((path + [name], TorchItemSummary(decoder: decoder).describe(item)))
                continue
            }
            try collect(item, path: path + [name])
        }
        return hookList
    }

    private mutating func collectScript(_ attributes: PickleDictionary, path: [String]) throws {
        var submodules: [(String, PickleValue)] = []
        for (key, item) in attributes.entries {
            guard case .string(let name) = key else { continue }
            if let record = try decoder.tensor(item, name: ModulePath(components: path).qualify(name)) {
                tensors.append((path + [name], record))
            } else if Self.module(item, in: decoder.document) != nil {
                submodules.append((name, item))
            }
        }
        for (name, item) in submodules { try collect(item, path: path + [name]) }
    }

    /// The weights an eager recurrent module's forward passes its recurrence:
    /// `_flat_weights_names` (any `nn.RNNBase`, subclasses included: with
    /// `--assume-pytorch-forward` their forward is PyTorch's), checked against
    /// `num_layers`, `bidirectional`, `bias` and `proj_size`, whose flags
    /// PyTorch passes with them; a cell's four attributes. Nil otherwise.
    private func forwardWeights(_ className: String, _ attributes: PickleDictionary, path: [String]) throws -> RecurrentForwardWeights? {
        let document = decoder.document
        if className.hasSuffix("Cell"), Self.recurrentClasses.contains(className) {
            return RecurrentForwardWeights(names: RecurrentForwardWeights.cellNames, source: "weight_ih, weight_hh, bias_ih and bias_hh")
        }
        let source = "its _flat_weights"
        let recorded = document.sequence(attributes["_flat_weights_names"] ?? .none)?.compactMap { item -> String? in
            if case .string(let name) = item { return name } else { return nil }
        }
        func int(_ key: String) -> Int? { if case .int(let value)? = attributes[key] { value } else { nil } }
        func bool(_ key: String) -> Bool? { if case .bool(let value)? = attributes[key] { value } else { nil } }
        var expected: [String]?
        var words = ""
        if let layers = int("num_layers"), let bidirectional = bool("bidirectional"), let bias = bool("bias") {
            let projSize = int("proj_size") ?? 0
            expected = RecurrentForwardWeights.flatNames(layers: layers, bidirectional: bidirectional, bias: bias, projSize: projSize)
            words = "num_layers=\(layers), bidirectional=\(bidirectional ? "True" : "False"), bias=\(bias ? "True" : "False"), "
                + "proj_size=\(projSize)"
        }
        guard let names = recorded ?? (Self.recurrentClasses.contains(className) ? expected : nil) else { return nil }
        if let expected, expected != names {
            throw TensorFileError(file: decoder.file, .torchPickle(.moduleSetting(
                module: ModulePath(components: path), className: className, .flatWeights(recorded: names, settings: words, expected: expected))))
        }
        return RecurrentForwardWeights(names: names, source: source)
    }

    /// `batch_first` and `nonlinearity` of PyTorch's own recurrent classes, as
    /// pickled in their attributes; nil for any other class (TorchScript
    /// classes keep them in `code/`, which `TorchScriptCode` reads).
    private func settings(_ className: String, _ attributes: PickleDictionary, path: [String]) throws -> RecordedModuleSettings? {
        guard Self.recurrentClasses.contains(className) else { return nil }
        var settings = RecordedModuleSettings(className: className, source: "the pickled \(className)'s attributes")
        func fail(_ setting: TorchPickleProblem.Setting) -> TensorFileError {
            TensorFileError(file: decoder.file, .torchPickle(.moduleSetting(module: ModulePath(components: path), className: className, setting)))
        }
        switch attributes["batch_first"] {
        case .bool(let flag)?: settings.batchFirst = flag
        case nil: break
        case let other?: throw fail(.batchFirst(kind: decoder.document.kindName(other)))
        }
        switch attributes["nonlinearity"] {
        case .string(let text)? where ["tanh", "relu"].contains(text): settings.nonlinearity = text
        case nil: break
        case let other?: throw fail(.nonlinearity(TorchItemSummary.scalar(other) ?? "object"))
        }
        // Saved in training mode: nn.RNN/LSTM/GRU drop out between layers on every call until eval().
        if case .bool(true)? = attributes["training"], case .int(let layers)? = attributes["num_layers"], layers > 1 {
            switch attributes["dropout"] {
            case .float(let rate)? where rate > 0: settings.savedTrainingDropout = rate
            case .int(let rate)? where rate > 0: settings.savedTrainingDropout = Double(rate)
            default: break
            }
        }
        return settings.isEmpty ? nil : settings
    }
}
