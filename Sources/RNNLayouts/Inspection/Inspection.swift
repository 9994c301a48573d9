import TensorFiles

/// What the inspector found in a file.
public struct Inspection: Sendable {
    /// The recurrent modules, in the order their first tensor appears.
    public var modules: [RNNModule]
    /// Tensors that belong to no recurrent module (embeddings, heads, …).
    public var otherTensors: [NamedTensor]
    /// Everything that looks wrong, per tensor or module.
    public var problems: [Problem]

    /// Creates an inspection result.
    public init(modules: [RNNModule], otherTensors: [NamedTensor], problems: [Problem]) {
        self.modules = modules
        self.otherTensors = otherTensors
        self.problems = problems
    }

    /// The module named `name` (`""` for the root), if found.
    public func module(named name: String) -> RNNModule? {
        modules.first { $0.name == name }
    }

    /// The problems that concern `module` (its tensors or the module itself).
    public func problems(of module: RNNModule) -> [Problem] {
        let prefix = ModulePath(module.name).qualify("")
        return problems.filter { problem in
            guard let tensor = problem.tensor else { return false }
            if module.name.isEmpty { return ParameterName.split(tensor)?.module == "" }
            return tensor.hasPrefix(prefix) && ParameterName.split(tensor)?.module == module.name
        }
    }
}
