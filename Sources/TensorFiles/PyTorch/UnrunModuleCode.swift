/// Code that a PyTorch file names for a module holding recurrent weights and
/// that rnnkit cannot run: the module's class when it is not one of PyTorch's
/// recurrent classes (a subclass of `nn.LSTM` whose `forward` may differ, a
/// module of the user's own), and forward hooks registered on it. A pickle records
/// such code by name only, so rnnkit would compute PyTorch's `forward` for
/// the weights instead of the module's. An exported program (`.pt2`) records
/// the code as a graph of operators: what its graph computes for the module
/// besides PyTorch's recurrence operator (`ExportedProgramGraph`). `run` and
/// `convert` refuse the module unless asked to assume PyTorch's forward
/// (`RequestOption.assumePyTorchForward`).
public struct UnrunModuleCode: Sendable, Equatable, Encodable {
    /// The module's class (`__main__.ScaledLSTM`) when it is not PyTorch's
    /// `nn.RNN`/`nn.LSTM`/`nn.GRU` or their cells; nil when it is.
    public var className: String?
    /// The forward hooks registered on the module, as the file names them
    /// (`_forward_hooks: __main__.halve_output`).
    public var hooks: [String]
    /// What an exported program's graph computes for the module that rnnkit
    /// does not (operators of a hook or of code of its own, training-mode
    /// dropout, …), one clause each.
    public var graph: [String]

    /// Creates the record.
    public init(className: String?, hooks: [String], graph: [String] = []) {
        self.className = className
        self.hooks = hooks
        self.graph = graph
    }

    /// Whether nothing is named: PyTorch's forward is all the module runs.
    public var isEmpty: Bool { className == nil && hooks.isEmpty && graph.isEmpty }

    /// What the file names, in words.
    public var summary: String {
        var parts: [String] = []
        if let className { parts.append("its class is \(className), not PyTorch's, so its forward may compute something else") }
        if !hooks.isEmpty { parts.append("it has hooks (\(hooks.joined(separator: "; "))) that may change what it computes") }
        parts += graph
        return parts.joined(separator: ", and ")
    }

    /// The record for a module of `className` (a pickle's or TorchScript's
    /// name) with `hooks`, or nil when PyTorch's forward is all it runs.
    static func of(className: String, hooks: [String]) -> UnrunModuleCode? {
        // PyTorch's recurrent classes, whose forward rnnkit computes (TorchScript's by their Python name).
        let own = TorchModuleTree.recurrentClasses.contains(TorchScriptArchive.pythonName(className)) ? nil : className
        guard own != nil || !hooks.isEmpty else { return nil }
        return UnrunModuleCode(className: own, hooks: hooks)
    }
}
