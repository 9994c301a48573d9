import TensorFiles

/// Finds the recurrent modules in a set of named tensors and infers what each
/// one is from its names and shapes.
public enum Inspector {
    /// Groups `tensors` into modules by name prefix, infers each module's
    /// architecture and diagnoses what does not fit. Never throws: whatever
    /// cannot be inferred becomes a `Problem`.
    public static func inspect(_ tensors: [NamedTensor]) -> Inspection {
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
        var modules: [RNNModule] = []
        var problems: [Problem] = []
        for name in order {
            let members = groups[name] ?? []
            switch ModuleInference.infer(name: name, members: members) {
            case .success(let (module, moduleProblems)):
                modules.append(module)
                problems += moduleProblems
            case .failure(let failure):
                problems += failure.problems
                others += members.map(\.1)
            }
        }
        // A missing weight the file stores in another form (a torch parametrization, …): say how.
        let names = Set(tensors.map(\.name))
        for index in problems.indices where problems[index].isMissingTensor {
            if let tensor = problems[index].tensor { problems[index].storedAs = StoredForm.find(tensor, in: names) }
        }
        return Inspection(modules: modules, otherTensors: others, problems: problems)
    }
}
