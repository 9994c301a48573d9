import Pickle

/// What a checkpoint holds once its pickle is interpreted: named tensor
/// records, and a short description of every other entry.
///
/// People save a bare `state_dict`, or a dict holding one (`{"model": sd,
/// "epoch": 3, "optimizer": …}`), or several (`{"model": sd, "ema": sd2}`).
/// Every dict reachable from the root through string keys that holds tensors
/// is a group; tensor names are the dotted key paths with the path prefix all
/// groups share removed, so one state dict under any key keeps its own names
/// and several get prefixed by where they sit. Other entries are reported by
/// their full dotted path; a dict with no tensors inside is reported as one
/// entry (`optimizer: dict with 2 entries`), and so are 0-d tensors that sit
/// beside a dict holding tensors (`best_loss: tensor float32 []`).
struct TorchCheckpointContents {
    /// Tensors in file order.
    var tensors: [(name: String, record: TorchTensorRecord)] = []
    /// Entries that are not tensors, with their summaries.
    var otherItems: [(name: String, summary: String)] = []
    /// Module objects (`torch.save(model)`, TorchScript) by tensor-name prefix (`""` for the root).
    var modules: [(name: String, module: TorchModuleTree.Module)] = []

    /// Most levels of dicts inside dicts that are followed.
    static let maximumDepth = 32

    /// Interprets `decoder.document`; `rootName` names a tensor saved alone.
    init(decoder: TorchPickleDecoder, rootName: String) throws {
        var walker = Walker(decoder: decoder)
        let root = decoder.document.root
        if let record = try decoder.tensor(root, name: rootName) {
            tensors = [(rootName, record)]
            return
        }
        if TorchModuleTree.module(root, in: decoder.document) != nil {
            try walker.module(root, path: [])
        } else if let entries = walker.entries(of: root, isRoot: true) {
            _ = try walker.walk(entries, path: [])
        } else {
            walker.others.append(([rootName], TorchItemSummary(decoder: decoder).describe(root)))
        }
        otherItems = walker.others.map { (ModulePath(components: $0.path).prefix, $0.summary) }
        let common = Self.commonPrefix(walker.groups.map(\.path))
        modules = walker.modules.map { path, module in
            (ModulePath(components: path.dropFirst(common) + module.path).prefix, module)
        }
        var seen = Set<String>()
        for group in walker.groups {
            let prefix = group.path.dropFirst(common)
            for (key, record) in group.tensors {
                let name = ModulePath(components: prefix).qualify(key)
                guard seen.insert(name).inserted else {
                    throw TensorFileError(file: decoder.file, tensor: name, .duplicateName(name))
                }
                tensors.append((name, record))
            }
        }
    }

    /// Lists each module object as an other item (`lstm: module
    /// torch.nn.modules.rnn.LSTM`) and sets `file.moduleSettings` from what
    /// the modules record; `scriptSettings` reads a TorchScript class's
    /// settings and weights. Tensors a recurrent module's forward does not
    /// pass its recurrence are set aside (`RecurrentForwardWeights`).
    func describeModules(
        in file: inout TensorFile,
        scriptSettings: (String) throws -> (settings: RecordedModuleSettings?, weights: RecurrentForwardWeights?) = { _ in (nil, nil) }
    ) throws {
        guard !modules.isEmpty else { return }
        var items: [(name: String, summary: String)] = []
        for (name, module) in modules {
            var settings = module.settings
            var weights = module.forwardWeights
            if settings == nil, module.className.hasPrefix("__torch__") { (settings, weights) = try scriptSettings(module.className) }
            if module.holdsRecurrentWeights, let weights { weights.setAside(in: &file, module: name, className: module.className) }
            if module.holdsRecurrentWeights, let dtype = file.halfPrecisionDType(ofModule: name) {
                settings = settings ?? RecordedModuleSettings(className: module.className, source: "the saved module")
                settings?.computeDType = dtype
            }
            var summary = "module \(module.className)"
            if module.holdsRecurrentWeights {
                var code = UnrunModuleCode.of(className: module.className, hooks: module.hooks) ?? UnrunModuleCode(className: nil, hooks: [])
                if let dropout = settings?.trainingDropout {
                    code.graph.append("its traced code runs it in training mode, with dropout \(dropout) between its layers "
                        + "(trace it after model.eval())")
                }
                code.graph += settings?.codeBeyondRecurrence ?? []
                if !code.isEmpty { file.unrunCode[name] = code }
            }
            if let settings {
                file.moduleSettings[name] = settings
                let facts = [settings.batchFirst.map { "batch_first=\($0 ? "True" : "False")" },
                             settings.nonlinearity.map { "nonlinearity='\($0)'" }].compactMap { $0 }
                if !facts.isEmpty { summary += " (\(facts.joined(separator: ", ")))" }
            }
            items.append((ModulePath(name).description, summary))
        }
        file.otherItems = items + file.otherItems
        if file.metadata["pytorch.content"] == nil { file.metadata["pytorch.content"] = "PyTorch pickled module" }
    }

    /// Number of leading path components every path shares.
    static func commonPrefix(_ paths: [[String]]) -> Int {
        guard let first = paths.first else { return 0 }
        var length = first.count
        for path in paths.dropFirst() {
            length = min(length, path.count)
            while length > 0, Array(path.prefix(length)) != Array(first.prefix(length)) { length -= 1 }
        }
        return length
    }

    private struct Walker {
        let decoder: TorchPickleDecoder
        var groups: [(path: [String], tensors: [(key: String, record: TorchTensorRecord)])] = []
        var others: [(path: [String], summary: String)] = []
        var visited: [PickleObjectID: [String]] = [:]
        var modules: [(path: [String], module: TorchModuleTree.Module)] = []

        init(decoder: TorchPickleDecoder) { self.decoder = decoder }

        /// Reads the module object at `path` as one group of tensors named relative to it.
        mutating func module(_ value: PickleValue, path: [String]) throws {
            var tree = TorchModuleTree(decoder: decoder)
            try tree.collect(value, path: [])
            groups.append((path, tree.tensors.map { (ModulePath(components: $0.path).prefix, $0.record) }))
            modules += tree.modules.map { (path, $0) }
            others += tree.others.map { (path + $0.path, $0.summary) }
        }

        /// The entries of a dict whose keys are all strings (or, at the root,
        /// of a list or tuple, keyed by index), or nil.
        func entries(of value: PickleValue, isRoot: Bool = false) -> [(key: String, value: PickleValue)]? {
            if let dictionary = decoder.document.dictionary(value) {
                var result: [(key: String, value: PickleValue)] = []
                for (key, item) in dictionary.entries {
                    guard case .string(let text) = key else { return nil }
                    result.append((text, item))
                }
                return result
            }
            if isRoot, let items = decoder.document.sequence(value) {
                return items.enumerated().map { (String($0.offset), $0.element) }
            }
            return nil
        }

        /// Walks one dict; returns whether it or a dict inside holds tensors.
        mutating func walk(_ entries: [(key: String, value: PickleValue)], path: [String]) throws -> Bool {
            guard path.count <= TorchCheckpointContents.maximumDepth else {
                throw TensorFileError(file: decoder.file, .torchPickle(
                    .nesting(modules: false, limit: TorchCheckpointContents.maximumDepth, path: ModulePath(components: path))))
            }
            var foundInside = false
            var groupIndex: Int?
            for (key, value) in entries {
                let itemPath = path + [key]
                if let record = try decoder.tensor(value, name: ModulePath(components: path).qualify(key)) {
                    if let index = groupIndex {
                        groups[index].tensors.append((key, record))
                    } else {
                        groupIndex = groups.count
                        groups.append((path, [(key, record)]))
                    }
                } else if case .object(let id) = value, let first = visited[id] {
                    let kind = TorchModuleTree.module(value, in: decoder.document) != nil ? "module" : "dict"
                    others.append((itemPath, "the same \(kind) as '\(ModulePath(components: first))'"))
                } else if case .object(let id) = value, TorchModuleTree.module(value, in: decoder.document) != nil {
                    visited[id] = itemPath
                    try module(value, path: itemPath)
                    foundInside = true
                } else if case .object(let id) = value, let inner = self.entries(of: value), !inner.isEmpty {
                    visited[id] = itemPath
                    let othersBefore = others.count
                    if try walk(inner, path: itemPath) {
                        foundInside = true
                    } else {
                        others.removeSubrange(othersBefore...)
                        others.append((itemPath, TorchItemSummary(decoder: decoder).describe(value)))
                    }
                } else {
                    others.append((itemPath, TorchItemSummary(decoder: decoder).describe(value)))
                }
            }
            // Scalars beside a state dict ({"model": sd, "best_loss": tensor(0.25)}) are
            // metrics, not weights: reported as other items so the state dict keeps its names.
            if let index = groupIndex, foundInside, groups[index].tensors.allSatisfy({ $0.record.shape.isEmpty }) {
                for (key, record) in groups.remove(at: index).tensors {
                    others.append((path + [key], "tensor \(record.dtype.rawValue) []"))
                }
                groupIndex = nil
            }
            return foundInside || groupIndex != nil
        }
    }
}
