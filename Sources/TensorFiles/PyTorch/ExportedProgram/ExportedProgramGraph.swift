import Foundation

/// The graph of an exported program (`models/<name>.json`), read for what it
/// says about the modules holding recurrent weights: which operator runs
/// each, with which flags, and whether the graph computes anything else
/// inside it.
///
/// An exported program is the model's code traced into operators; each
/// operator records the module whose `forward` ran it (`nn_module_stack`).
/// A module is run as recorded when its weights, all of them and in
/// PyTorch's order (`_flat_weights`), feed one of PyTorch's recurrence
/// operators (`aten.lstm`, `aten.gru`, `aten.rnn_tanh`, `aten.rnn_relu`, their
/// `.data` forms for packed input, and the four `…_cell` operators), and the
/// operators its forward ran besides are only its zero initial state and
/// shape bookkeeping. Anything else (a hook's or a subclass's operators, the
/// recurrence decomposed into `addmm`s by `run_decompositions`, training-mode
/// dropout, an initial state taken from the file's tensors) is named in
/// `UnrunModuleCode.graph` and the module refused unless PyTorch's forward
/// is assumed.
struct ExportedProgramGraph {
    /// One operator call.
    struct Node {
        /// The node as the document holds it, for messages.
        var element: ExportedProgramJSON
        var target: String
        /// The node's arguments by name.
        var arguments: [String: ExportedProgramJSON]
        /// Every tensor its arguments refer to.
        var reads: [String]
        /// The module whose forward ran it (innermost `nn_module_stack`
        /// entry): its dotted path and class; nil when the node records none.
        var module: (path: String, className: String)?

        /// `aten.lstm.input` for `torch.ops.aten.lstm.input`.
        var shortTarget: String { target.hasPrefix("torch.ops.") ? String(target.dropFirst(10)) : target }
    }

    /// What the graph records for one module holding recurrent weights.
    struct ModuleRecord {
        var settings: RecordedModuleSettings?
        var unrun: [String] = []
        /// The module's class when its forward ran the operator and the class
        /// is not one of PyTorch's recurrent ones (a subclass may rearrange
        /// what the operator returns without any operator of its own).
        var ownClass: String?
        /// The operator that runs it, for `inspect` (`aten.lstm.input`).
        var runBy: String?
        /// The module's tensors the operator is given as its weights (names
        /// inside the module), when they are all of them in PyTorch's order.
        var weights: RecurrentForwardWeights?
    }

    /// Where a tensor given as an initial state comes from.
    enum StateSource: Equatable {
        /// Zeros (`aten.zeros`, `aten.full` of 0), moved or reshaped: what runs without a state.
        case zeros
        /// Computed from the program's input `input` (fed at run time, as `--h0`/`--c0`).
        case input(String)
        /// Computed from the file's tensors or constants alone: `how` in words.
        case file(String)
    }

    /// Operators that only move or reshape values (zeros stay zeros).
    static let movement: Set<String> = [
        "aten.unsqueeze.default", "aten.squeeze.dim", "aten.squeeze.dims", "aten.squeeze.default", "aten.expand.default",
        "aten.view.default", "aten.reshape.default", "aten.clone.default", "aten.contiguous.default", "aten.slice.Tensor",
        "aten.select.int", "aten.transpose.int", "aten.permute.default", "aten._to_copy.default", "aten.alias.default",
        "aten.detach.default", "aten.t.default",
    ]

    /// Graph input name → the parameter or buffer it is (`p_lstm_weight_ih_l0` → `lstm.weight_ih_l0`).
    private(set) var states: [String: String] = [:]
    /// Graph inputs the caller gives (`user_input`).
    private(set) var userInputs: Set<String> = []
    /// Graph inputs the file gives besides parameters and buffers: a lifted
    /// tensor constant's name, else the input's kind.
    private(set) var fileInputs: [String: String] = [:]
    /// Parameters and buffers in the order the signature lists them.
    private(set) var stateOrder: [String] = []
    private(set) var nodes: [Node] = []
    /// Tensor name → the node that computes it.
    private var producers: [String: Int] = [:]
    /// Module path → the nodes its own forward ran (innermost `nn_module_stack` entry).
    private var scopes: [String: [Int]] = [:]

    /// The schema major version rnnkit reads (`schema_version.major`).
    static let schemaMajor = 8

    /// Operators that only shape the input, make the zero initial state or
    /// check sizes: what `nn.LSTM`/`GRU`/`RNN` and the cells run besides the recurrence.
    static let bookkeeping: Set<String> = [
        "aten.zeros.default", "aten.unsqueeze.default", "aten.squeeze.dim", "aten.squeeze.dims",
        "aten.sym_size.int", "aten._assert_scalar.default", "aten.sym_constrain_range_for_size.default",
        "aten._assert_tensor_metadata.default",
    ]

    init(_ document: ExportedProgramJSON) throws {
        let major = try document.required("schema_version").required("major").int()
        guard major == Self.schemaMajor else {
            throw TensorFileError(file: document.file, .exportedProgram(.schemaVersion(major: major, supported: Self.schemaMajor)))
        }
        let module = try document.required("graph_module")
        for spec in try module.required("signature").required("input_specs").elements() {
            let (kind, value) = try spec.argument()
            let key = kind == "parameter" ? "parameter_name" : kind == "buffer" ? "buffer_name" : nil
            guard let key else {
                // A tensor argument (`{"as_tensor": {"name": …}}`), or a lifted constant's bare `{"name": …}`.
                let argument = try value.optional("arg")
                let bare = (argument?.value as? [String: Any])?["name"] as? String
                let label = (try? value.optional("tensor_constant_name")?.string()) ?? kind
                for name in bare.map({ [$0] }) ?? argument?.tensorNames() ?? [] {
                    if kind == "user_input" { userInputs.insert(name) } else { fileInputs[name] = label }
                }
                continue
            }
            let name = try value.required("arg").required("name").string()
            let target = try value.required(key).string()
            states[name] = target
            stateOrder.append(target)
        }
        for (index, element) in try module.required("graph").required("nodes").elements().enumerated() {
            var arguments: [String: ExportedProgramJSON] = [:]
            var reads: [String] = []
            for input in try element.required("inputs").elements() {
                let argument = try input.required("arg")
                arguments[try input.required("name").string()] = argument
                reads += argument.tensorNames()
            }
            var node = Node(element: element, target: try element.required("target").string(), arguments: arguments, reads: reads)
            if let stack = try element.optional("metadata")?.optional("nn_module_stack") {
                node.module = Self.innermost(try stack.string())
                if let path = node.module?.path { scopes[path, default: []].append(index) }
            }
            for name in try element.optional("outputs")?.tensorNames() ?? [] { producers[name] = index }
            nodes.append(node)
        }
    }

    /// The innermost entry of a serialized `nn_module_stack`
    /// (`L__self__,,__main__.W;L__self__lstm,lstm,torch.nn.modules.rnn.LSTM`).
    static func innermost(_ stack: String) -> (path: String, className: String)? {
        guard let last = stack.split(separator: ";").last else { return nil }
        let parts = last.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count >= 3 else { return nil }
        return (parts[1 ..< parts.count - 1].joined(separator: ","), String(parts[parts.count - 1]))
    }

    /// What the graph records for each module (by dotted path, `""` for the
    /// root) among `modules`, the modules holding recurrent weights.
    func records(for modules: Set<String>) throws -> [String: ModuleRecord] {
        var records: [String: ModuleRecord] = [:]
        var runs: [String: [Int]] = [:]
        for (index, node) in nodes.enumerated() {
            guard let operation = RecurrenceCall(node) else { continue }
            let (module, matched, names) = try weights(of: operation, node)
            guard let module, modules.contains(module) else { continue }
            guard matched else {
                records[module, default: ModuleRecord()].unrun.append(
                    "the exported graph gives \(node.shortTarget) other tensors than its weights in PyTorch's order")
                continue
            }
            runs[module, default: []].append(index)
            // The weights of every call of the module (a cell called once per step is given the same ones).
            let given = records[module]?.weights?.names ?? []
            records[module, default: ModuleRecord()].weights = RecurrentForwardWeights(
                names: given + names.filter { !given.contains($0) }, source: "what the graph gives \(node.shortTarget)")
        }
        for module in modules.sorted() {
            var record = records[module] ?? ModuleRecord()
            guard let calls = runs[module] else {
                record.unrun.append(neverRun(module))
                records[module] = record
                continue
            }
            try describe(module, calls: calls, into: &record)
            records[module] = record
        }
        return records
    }

    /// The module the operator's weights belong to, and whether they are all
    /// of its weights in PyTorch's order.
    private func weights(of call: RecurrenceCall, _ node: Node) throws -> (module: String?, matched: Bool, names: [String]) {
        let targets = call.weightNames.map { $0.flatMap { states[$0] } }
        guard let first = targets.first ?? nil else { return (nil, false, []) }
        let module = ModulePath(owning: first)
        let expected = try call.expectedNames(node)
        let matched = targets.count == expected.count && zip(targets, expected).allSatisfy { target, name in
            guard let name else { return target == nil }
            return target == module.qualify(name)
        }
        return (module.prefix, matched, expected.compactMap { $0 })
    }

    /// Why a module no recurrence operator runs is refused.
    private func neverRun(_ module: String) -> String {
        let readers = nodes.filter { node in
            node.reads.contains { states[$0].map { ModulePath(owning: $0).prefix == module } ?? false }
        }
        guard !readers.isEmpty else {
            return "the exported graph never runs it, so the file does not say what it computes"
        }
        var seen: [String] = []
        for node in readers where !seen.contains(node.shortTarget) { seen.append(node.shortTarget) }
        let some = seen.prefix(3).joined(separator: ", ") + (seen.count > 3 ? ", …" : "")
        return "the exported graph computes it with other operators than PyTorch's recurrence (\(some): "
            + "decomposed by run_decompositions, or code of its own)"
    }

    /// Settings and refusals of a module that `calls` run.
    private func describe(_ module: String, calls: [Int], into record: inout ModuleRecord) throws {
        // One layout when every call agrees, else unknown.
        var layouts: Set<Bool?> = []
        for index in calls {
            let node = nodes[index]
            guard let call = RecurrenceCall(node) else { continue }
            let flags = try call.flags(node)
            layouts.insert(flags.batchFirst)
            if flags.train, flags.dropout > 0, flags.layers > 1 {
                record.unrun.append("the exported graph runs it in training mode, with dropout \(flags.dropout) between its "
                    + "layers (export it after model.eval())")
            }
            var fromInput: [String: String] = [:]
            for (index, name) in call.stateNames(node).enumerated() {
                switch stateSource(name) {
                case .zeros: break
                case .input(let input): fromInput[index == 0 ? "h0" : "c0"] = input
                case .file(let how):
                    record.unrun.append("the exported graph gives it an initial state computed from \(how), which rnnkit "
                        + "does not compute (give that state as --h0/--c0)")
                }
            }
            let owner = node.module.flatMap { $0.path == module ? $0.className : nil }
            if let owner, !TorchModuleTree.recurrentClasses.contains(owner) { record.ownClass = owner }
            if record.settings == nil {
                record.settings = RecordedModuleSettings(
                    className: owner ?? node.shortTarget, nonlinearity: call.nonlinearity,
                    source: "the exported graph's \(node.shortTarget)")
                record.settings?.stateInputs = fromInput
                // Packed input (`.data`): the program packs it, so the padded layout is not recorded.
                record.settings?.layoutUnknown = call.isPacked
                record.runBy = node.shortTarget
            }
        }
        record.settings?.batchFirst = layouts.count == 1 ? layouts.first ?? nil : nil
        guard !scopes.isEmpty else {
            record.unrun.append("the exported graph does not record which module ran each operator (no nn_module_stack)")
            return
        }
        var extra: [String] = []
        for index in scopes[module] ?? [] where !calls.contains(index) {
            let node = nodes[index]
            if isBookkeeping(node) || extra.contains(node.shortTarget) { continue }
            extra.append(node.shortTarget)
        }
        if !extra.isEmpty {
            let some = extra.prefix(3).joined(separator: ", ") + (extra.count > 3 ? ", …" : "")
            record.unrun.append("the exported graph computes more inside it than PyTorch's recurrence (\(some): a hook, "
                + "or code of its own)")
        }
    }

    /// Where the tensor `name` given as an initial state comes from, followed
    /// back through the graph (each node once).
    func stateSource(_ name: String) -> StateSource {
        var visited: Set<String> = []
        var pending = [name]
        var onlyZeros = true
        var input: String?
        var how: String?
        while let current = pending.popLast() {
            guard visited.insert(current).inserted else { continue }
            if userInputs.contains(current) { input = input ?? current; onlyZeros = false; continue }
            if let state = states[current] ?? fileInputs[current] {
                how = how ?? "the file's tensor '\(state)'"
                onlyZeros = false
                continue
            }
            guard let index = producers[current] else { onlyZeros = false; continue }
            let node = nodes[index]
            if node.target == "torch.ops.aten.zeros.default" || isZeroFull(node) { continue }
            if Self.movement.contains(node.shortTarget), let source = node.arguments["self"]?.tensorNames().first {
                pending.append(source)
                continue
            }
            onlyZeros = false
            how = how ?? node.shortTarget
            pending += node.reads
        }
        if onlyZeros { return .zeros }
        if let input { return .input(input) }
        return .file(how ?? "the graph")
    }

    private func isZeroFull(_ node: Node) -> Bool {
        guard node.shortTarget == "aten.full.default", let fill = try? node.arguments["fill_value"]?.argument() else { return false }
        return (try? fill.value.double()) == 0
    }

    private func isBookkeeping(_ node: Node) -> Bool {
        let target = node.shortTarget
        if Self.bookkeeping.contains(target) || target.hasPrefix("_operator.") || target.hasPrefix("operator.") { return true }
        // nn.LSTM's zeros, as `run_decompositions` spells them.
        return isZeroFull(node)
    }
}

/// A call of one of PyTorch's recurrence operators, as the graph records it.
struct RecurrenceCall {
    enum Kind: String { case lstm, gru, rnnTanh = "rnn_tanh", rnnRelu = "rnn_relu" }

    let kind: Kind
    /// A `…_cell` operator (one step, `w_ih`/`w_hh`/`b_ih`/`b_hh`).
    let isCell: Bool
    /// The `.data` form (packed input: no `batch_first`).
    let isPacked: Bool
    /// The graph names of the weights it is given, nil for an absent bias.
    let weightNames: [String?]

    init?(_ node: ExportedProgramGraph.Node) {
        let parts = node.shortTarget.split(separator: ".")
        guard parts.count == 3, parts[0] == "aten" else { return nil }
        var name = String(parts[1])
        isCell = name.hasSuffix("_cell")
        if isCell { name.removeLast(5) }
        guard let kind = Kind(rawValue: name) else { return nil }
        self.kind = kind
        switch (isCell, parts[2]) {
        case (true, "default"):
            isPacked = false
            weightNames = ["w_ih", "w_hh", "b_ih", "b_hh"].map { node.arguments[$0]?.tensorNames().first }
        case (false, "input"), (false, "data"):
            isPacked = parts[2] == "data"
            weightNames = node.arguments["params"]?.tensorNames() ?? []
        default:
            return nil
        }
    }

    var nonlinearity: String? {
        switch kind {
        case .rnnTanh: return "tanh"
        case .rnnRelu: return "relu"
        case .lstm, .gru: return nil
        }
    }

    /// The operator's flags (a cell's: one layer, one direction, no dropout).
    func flags(_ node: ExportedProgramGraph.Node) throws
        -> (batchFirst: Bool?, train: Bool, dropout: Double, layers: Int, bidirectional: Bool, biased: Bool) {
        guard !isCell else { return (nil, false, 0, 1, false, weightNames.count == 4 && weightNames[2] != nil) }
        func value(_ name: String) throws -> ExportedProgramJSON {
            guard let argument = node.arguments[name] else { throw node.element.fail("a call with argument \(name)") }
            return try argument.argument().value
        }
        let batchFirst = isPacked ? nil : try value("batch_first").bool()
        return (batchFirst, try value("train").bool(), try value("dropout").double(), try value("num_layers").int(),
                try value("bidirectional").bool(), try value("has_biases").bool())
    }

    /// The names of the tensors given as its initial state.
    func stateNames(_ node: ExportedProgramGraph.Node) -> [String] {
        node.arguments["hx"]?.tensorNames() ?? []
    }

    /// The parameter names PyTorch gives the weights of this call, in the
    /// order it takes them (`_flat_weights`: `weight_ih_l0`, `weight_hh_l0`,
    /// `bias_ih_l0`, `bias_hh_l0`, `weight_hr_l0`, then `…_reverse`, then the
    /// next layer); nil for a cell's absent bias. Empty when the flags and
    /// the number of weights disagree.
    func expectedNames(_ node: ExportedProgramGraph.Node) throws -> [String?] {
        if isCell {
            return ["weight_ih", "weight_hh", weightNames[2] == nil ? nil : "bias_ih", weightNames[3] == nil ? nil : "bias_hh"]
        }
        let flags = try flags(node)
        let directions = flags.bidirectional ? ["", "_reverse"] : [""]
        let groups = flags.layers.multipliedClamped(by: directions.count)
        let plain = flags.biased ? 4 : 2
        guard groups > 0, groups <= weightNames.count else { return [] }
        let projected = kind == .lstm && weightNames.count == groups * (plain + 1)
        guard projected || weightNames.count == groups * plain else { return [] }
        var names: [String?] = []
        for layer in 0 ..< flags.layers {
            for suffix in directions {
                names += ["weight_ih_l\(layer)\(suffix)", "weight_hh_l\(layer)\(suffix)"]
                if flags.biased { names += ["bias_ih_l\(layer)\(suffix)", "bias_hh_l\(layer)\(suffix)"] }
                if projected { names.append("weight_hr_l\(layer)\(suffix)") }
            }
        }
        return names
    }
}

/// Entry point for the fuzz target in `Fuzz/` (not part of the API).
@_spi(Fuzzing)
public enum ExportedProgramFuzzing {
    /// Reads `data` as an exported program's `models/<name>.json` and what it
    /// records for modules holding its parameters, ignoring the errors.
    public static func readGraph(_ data: Data) {
        guard let document = try? ExportedProgramJSON.parse(data, member: "models/model.json", file: "fuzz.pt2"),
              let graph = try? ExportedProgramGraph(document) else { return }
        _ = try? graph.records(for: Set(graph.stateOrder.map { ModulePath(owning: $0).prefix }))
    }
}
