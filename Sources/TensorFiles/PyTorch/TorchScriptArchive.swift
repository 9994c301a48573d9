import Foundation

/// The parts of a TorchScript archive (`torch.jit.save`) beside the
/// parameters: `code/` (the compiled classes as TorchScript source, with
/// `.debug_pkl` twins), `constants.pkl` (tensor constants of the code, their
/// bytes under `constants/`), `extra/` (the `_extra_files` given to save),
/// `traced_inputs.pkl` (`torch.jit.trace`'s example inputs) and `.data/`
/// (`version`, `serialization_id`). `data.pkl` and `data/` are read as in any
/// zip checkpoint; nothing in `code/` is run or interpreted.
///
/// The one thing read from `code/` is, for `nn.LSTM` / `GRU` / `RNN` (and
/// their cells) compiled by `torch.jit.script`, the `Final` constants
/// `batch_first` and `nonlinearity`, which the script printer writes as one
/// line each in the class body (`  batch_first : Final[bool] = True`). A
/// traced module bakes them into its forward's one call of the recurrence
/// (`torch.lstm(input, _1, _2, True, 1, 0., False, False, True)`: has_biases,
/// num_layers, dropout, train, bidirectional, batch_first), whose literal
/// flags are read; when there is no such call to read, the layout is unknown.
enum TorchScriptArchive {
    /// Largest code file or `constants.pkl` read.
    static let maximumMemberBytes = 4 << 20

    /// Whether the members in `folder` make a TorchScript archive.
    static func isArchive(_ members: [String: ZipMember], folder: String) -> Bool {
        members[folder + "constants.pkl"] != nil || members.keys.contains { $0.hasPrefix(folder + "code/") }
    }

    /// The class name with TorchScript's `__torch__.` prefix and
    /// `___torch_mangle_N` components removed (`torch.nn.modules.rnn.LSTM`).
    static func pythonName(_ className: String) -> String {
        className.split(separator: ".").filter { $0 != "__torch__" && !$0.hasPrefix("___torch_mangle_") }
            .joined(separator: ".")
    }

    /// Entries of the archive that are not parameters, for `inspect`.
    static func otherItems(_ archive: ZipArchive, _ members: [String: ZipMember], folder: String, file: String) throws
        -> [(name: String, summary: String)] {
        var items: [(name: String, summary: String)] = []
        if let member = members[folder + "constants.pkl"] {
            let bytes = try contents(archive, member, file: file)
            let document = try TorchPickle.load(bytes, file: file, member: member.path)
            let decoder = try TorchPickleDecoder(document: document, file: file)  // checks every storage reference
            let constants = document.sequence(document.root) ?? [document.root]
            let tensors = constants.filter(decoder.isTensor).count
            if !constants.isEmpty {
                items.append(("constants.pkl", "\(TorchItemSummary.count(constants.count, "constant")) of the code, "
                    + "\(TorchItemSummary.count(tensors, "tensor")), unnamed (a torch.jit.freeze'd module keeps its "
                    + "weights there): not read"))
            }
        }
        if members[folder + "traced_inputs.pkl"] != nil {
            items.append(("traced_inputs.pkl", "example inputs of torch.jit.trace (not read)"))
        }
        for path in members.keys.sorted() where path.hasPrefix(folder + "extra/") && !path.hasSuffix("/") {
            items.append((String(path.dropFirst(folder.count)), "\(members[path]?.size ?? 0) bytes (extra file, not read)"))
        }
        return items
    }

    /// The `batch_first` / `nonlinearity` constants of the scripted recurrent
    /// class `className`, read as text from its code file; nil for other
    /// classes and for classes whose code has no such lines (traced modules).
    static func settings(
        of className: String, _ archive: ZipArchive, _ members: [String: ZipMember], folder: String, file: String
    ) throws -> (settings: RecordedModuleSettings?, weights: RecurrentForwardWeights?) {
        guard TorchModuleTree.recurrentClasses.contains(pythonName(className)) else { return (nil, nil) }
        let parts = className.split(separator: ".")
        guard let name = parts.last, parts.count > 1 else { return (nil, nil) }
        let codePath = folder + "code/" + parts.dropLast().joined(separator: "/") + ".py"
        guard let member = members[codePath] else { return (nil, nil) }
        let text = String(decoding: try contents(archive, member, file: file), as: UTF8.self)
        guard let body = classBody(named: String(name), in: text) else { return (nil, nil) }
        var settings = RecordedModuleSettings(className: className, source: "the constants of \(codePath.dropFirst(folder.count))")
        for line in body {
            if let value = constant(line, "batch_first", type: "bool") {
                guard value == "True" || value == "False" else {
                    throw TensorFileError(file: file, .torchFormat(.scriptSetting(code: codePath, name: "batch_first", value: String(value.prefix(20)))))
                }
                settings.batchFirst = value == "True"
            } else if let value = constant(line, "nonlinearity", type: "str") {
                guard value == "\"tanh\"" || value == "\"relu\"" else {
                    throw TensorFileError(file: file, .torchFormat(.scriptSetting(code: codePath, name: "nonlinearity", value: String(value.prefix(20)))))
                }
                settings.nonlinearity = String(value.dropFirst().dropLast())
            } else if let value = constant(line, "mode", type: "str"), let recorded = ["\"RNN_TANH\"": "tanh", "\"RNN_RELU\"": "relu"][String(value)] {
                // Newer torch scripts nn.RNN with its `mode` constant only (`nonlinearity` stays an attribute).
                settings.nonlinearity = settings.nonlinearity ?? recorded
            }
        }
        var weights = scriptedWeights(body)
        if settings.batchFirst == nil, settings.nonlinearity == nil { (settings, weights) = traced(settings, body, code: codePath) }
        let hooks = scriptedHooks(body)
        if !hooks.isEmpty {
            settings.codeBeyondRecurrence.append("its scripted class runs \(hooks.joined(separator: ", ")) around its forward")
        }
        return (settings.isEmpty ? nil : settings, weights)
    }

    /// The hooks a scripted class compiles with it (`  __forward_hooks__ = ["name", ]`,
    /// `  __forward_pre_hooks__ = […]`), each as "forward hook name" / "forward pre-hook name".
    static func scriptedHooks(_ body: [Substring]) -> [String] {
        var hooks: [String] = []
        for (field, kind) in [("__forward_pre_hooks__", "forward pre-hook"), ("__forward_hooks__", "forward hook")] {
            guard let line = body.first(where: { $0.hasPrefix("  \(field) = [") }) else { continue }
            let names = line.drop { $0 != "[" }.dropFirst().prefix { $0 != "]" }
                .split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \"'")) }.filter { !$0.isEmpty }
            hooks += names.prefix(4).map { "\(kind) \($0.prefix(60))" }
        }
        return hooks
    }

    /// The weights a scripted `nn.RNN`/`LSTM`/`GRU` passes its recurrence: the
    /// `_flat_weights` its `Final` constants `num_layers`, `bidirectional`,
    /// `bias`, `proj_size` name. Nil when they are not all there (a cell).
    static func scriptedWeights(_ body: [Substring]) -> RecurrentForwardWeights? {
        func value(_ name: String, _ type: String) -> Substring? { body.lazy.compactMap { constant($0, name, type: type) }.first }
        guard let layers = value("num_layers", "int").flatMap({ Int($0) }), let bidirectional = value("bidirectional", "bool"),
              let bias = value("bias", "bool") else { return nil }
        let projSize = value("proj_size", "int").flatMap { Int($0) } ?? 0
        return RecurrentForwardWeights(names: RecurrentForwardWeights.flatNames(
            layers: layers, bidirectional: bidirectional == "True", bias: bias == "True", projSize: projSize),
            source: "its _flat_weights (num_layers=\(layers), bidirectional=\(bidirectional), bias=\(bias), proj_size=\(projSize))")
    }

    /// Recurrence functions a traced forward calls, and the nonlinearity each records.
    static let tracedCalls: [(call: String, nonlinearity: String?)] = [
        ("torch.lstm(", nil), ("torch.gru(", nil), ("torch.rnn_tanh(", "tanh"), ("torch.rnn_relu(", "relu"),
    ]

    /// `settings` with what a traced module's recurrence call records: its
    /// literal `batch_first` (the 9th argument of the padded form, whose 4th is
    /// `has_biases`), its function's nonlinearity, dropout applied on every
    /// call when traced in training mode, and what its forward computes
    /// besides the call (`TracedForward`); and the weights the call passes. A
    /// sequence module whose call cannot be read has an unknown layout. Cells
    /// have no layout; a traced cell's forward is its equations written out
    /// op by op, compared with PyTorch's (`TracedCellForward`).
    static func traced(_ settings: RecordedModuleSettings, _ body: [Substring], code: String)
        -> (RecordedModuleSettings, RecurrentForwardWeights?) {
        let classLast = pythonName(settings.className).split(separator: ".").last.map(String.init) ?? ""
        var settings = settings
        let shortCode = code.split(separator: "/").drop { $0 != "code" }.joined(separator: "/")
        if let kind = TracedCellForward.Kind(rawValue: classLast) {
            // A scripted cell's class records its constants (`bias : Final[bool]`) and runs PyTorch's own code.
            guard !body.contains(where: { $0.contains(" : Final[") }) else { return (settings, nil) }
            let forward = TracedCellForward(body, kind: kind)
            settings.source = "the traced forward in \(shortCode)"
            settings.codeBeyondRecurrence = forward.beyondRecurrence
            settings.nonlinearity = forward.nonlinearity
            return (settings, forward.weights.map { RecurrentForwardWeights(names: $0, source: "the weights its traced forward reads in \(shortCode)") })
        }
        guard ["LSTM", "GRU", "RNN"].contains(classLast) else { return (settings, nil) }
        settings.source = "the traced call in \(shortCode)"
        let forward = TracedForward(body, functions: tracedCalls.map(\.call))
        settings.codeBeyondRecurrence = forward.beyondRecurrence
        let weights = forward.weights.map { RecurrentForwardWeights(names: $0, source: "the weights of its traced call in \(shortCode)") }
        guard let (rest, function) = forward.call, let arguments = callArguments(rest),
              arguments.count == 9, ["True", "False"].contains(arguments[3]), ["True", "False"].contains(arguments[8]),
              let layers = Int(arguments[4]), let dropout = Double(arguments[5])
        else {
            settings.layoutUnknown = true
            return (settings, weights)
        }
        settings.batchFirst = arguments[8] == "True"
        settings.nonlinearity = tracedCalls.first { $0.call == function }?.nonlinearity
        // A state the model passes the module: the run needs it given (as an exported program's state input).
        if let parameter = forward.stateParameters.first {
            settings.stateArguments["h0"] = parameter
            if function == "torch.lstm(" { settings.stateArguments["c0"] = forward.stateParameters.last }
        }
        if arguments[6] == "True", dropout > 0, layers > 1 { settings.trainingDropout = dropout }
        return (settings, weights)
    }

    /// The top-level arguments of a call whose text after `(` is `text`, nil when its `)` is not on the line.
    static func callArguments(_ text: Substring) -> [String]? {
        var depth = 0, current = "", arguments: [String] = []
        for character in text {
            switch character {
            case "(", "[", "{": depth += 1
            case ")" where depth == 0:
                arguments.append(current.trimmingCharacters(in: .whitespaces))
                return arguments
            case ")", "]", "}": depth -= 1
            case "," where depth == 0:
                arguments.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
                continue
            default: break
            }
            current.append(character)
        }
        return nil
    }

    /// The lines of `class <name>(Module):` up to the next unindented line.
    static func classBody(named name: String, in text: String) -> [Substring]? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0 == "class \(name)(Module):" }) else { return nil }
        let rest = lines[(start + 1)...]
        let end = rest.firstIndex { !$0.isEmpty && !$0.hasPrefix(" ") } ?? lines.endIndex
        return Array(lines[(start + 1) ..< end])
    }

    /// The value of `  <name> : Final[<type>] = <value>`, or nil when `line` is not that.
    static func constant(_ line: Substring, _ name: String, type: String) -> Substring? {
        let prefix = "  \(name) : Final[\(type)] = "
        guard line.hasPrefix(prefix) else { return nil }
        return line.dropFirst(prefix.count)
    }

    private static func contents(_ archive: ZipArchive, _ member: ZipMember, file: String) throws -> Data {
        guard member.size <= maximumMemberBytes else {
            throw TensorFileError(file: file, .torchFormat(.memberTooLarge(member: member.path, size: member.size, limit: maximumMemberBytes)))
        }
        return try archive.contents(of: member)
    }
}
