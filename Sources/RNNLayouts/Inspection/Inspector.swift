import TensorFiles

/// Finds the recurrent modules in a set of named tensors and infers what each
/// one is from its names and shapes.
public enum Inspector {
    /// Groups `tensors` into modules by name prefix, infers each module's
    /// architecture and diagnoses what does not fit. Never throws: whatever
    /// cannot be inferred becomes a `Problem`. `unreadable` are entries the
    /// file holds that its reader could not read (`UnreadableTensor`): one
    /// named as a module's parameter is that module's problem
    /// (`ModuleProblem.unreadableTensor`), never left out silently.
    public static func inspect(_ tensors: [NamedTensor], unreadable: [UnreadableTensor] = []) -> Inspection {
        var order: [String] = []
        var groups: [String: [(ParameterName, NamedTensor)]] = [:]
        var others: [NamedTensor] = []
        for named in tensors {
            guard let (module, parameter) = ParameterName.split(named.name) else {
                others.append(named)
                continue
            }
            if groups[module] == nil { order.append(module) }
            groups[module, default: []].append((parameter, named))
        }
        var held: [String: [ParameterName: String]] = [:]
        for entry in unreadable {
            guard let (module, parameter) = ParameterName.split(entry.name) else { continue }
            held[module, default: [:]][parameter] = entry.why
        }
        var modules: [RNNModule] = []
        var problems: [Problem] = []
        for name in order {
            let members = groups[name] ?? []
            switch ModuleInference.infer(name: name, members: members, unreadable: held[name] ?? [:]) {
            case .success(let (module, moduleProblems)):
                modules.append(module)
                problems += moduleProblems
            case .failure(let failure):
                problems += failure.problems + Self.unreadableProblems(held[name] ?? [:], module: name)
                others += members.map(\.1)
            }
        }
        for name in held.keys.sorted() where groups[name] == nil {
            problems += Self.unreadableProblems(held[name] ?? [:], module: name)
        }
        // A missing weight the file stores in another form (a torch parametrization, …): say how.
        let names = Set(tensors.map(\.name))
        for index in problems.indices where problems[index].isMissingTensor {
            if let tensor = problems[index].tensor { problems[index].storedAs = StoredForm.find(tensor, in: names) }
        }
        return Inspection(modules: modules, otherTensors: others, problems: problems)
    }

    private static func unreadableProblems(_ held: [ParameterName: String], module: String) -> [Problem] {
        held.keys.sorted().map { parameter in
            Problem(ModuleProblem.unreadableTensor(tensor: ModulePath(module).qualify(parameter.text), why: held[parameter] ?? ""))
        }
    }
}

/// An entry a file holds under a tensor name that its reader could not read
/// (a dtype, storage or kind of value rnnkit does not read), with the
/// reader's words: `TensorFile.otherItems` named like a recurrent parameter.
public struct UnreadableTensor: Equatable, Sendable {
    /// The entry's name in the file.
    public var name: String
    /// Why it was not read, as the reader says it.
    public var why: String

    /// Creates the record.
    public init(name: String, why: String) {
        self.name = name
        self.why = why
    }

    /// The entries of `otherItems` (a reader's list of what it did not read)
    /// whose names are recurrent parameters' (`lstm.bias_ih_l0`), except
    /// tensors a saved module's forward does not use (`RecurrentForwardWeights`).
    public static func among(_ otherItems: [(name: String, summary: String)]) -> [UnreadableTensor] {
        otherItems.filter { ParameterName.split($0.name) != nil && !$0.summary.hasPrefix(RecurrentForwardWeights.unusedSummary) }.map { UnreadableTensor(name: $0.name, why: $0.summary) }
    }
}
