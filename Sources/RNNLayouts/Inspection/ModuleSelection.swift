import TensorFiles

extension Inspection {
    /// The module a command should work on: the one named `name` (`""` or
    /// `(root)` for the root), or the only one when `name` is nil.
    ///
    /// - Throws: `LayoutError.severalModules` when there are several and no
    ///   name; `LayoutError.noModule` or `.noSuchModule` listing the modules when there
    ///   are none or none with that name.
    public func selectModule(named name: String?) throws -> RNNModule {
        let entries = modules.map(LayoutError.ModuleEntry.init)
        guard let name else {
            if modules.count == 1 { return modules[0] }
            if modules.isEmpty {
                throw LayoutError.noModule(problems: problems)
            }
            throw LayoutError.severalModules(entries)
        }
        let wanted = ModulePath(parsing: name).prefix
        if let module = modules.first(where: { $0.name == wanted }) { return module }
        throw LayoutError.noSuchModule(name, available: entries)
    }

    /// The module to run on an input with `features` features: the one named
    /// `name`; with no name and several modules, the only one whose
    /// `input_size` is `features`, with the choice made (nil when there was
    /// no choice to make).
    ///
    /// - Throws: `LayoutError` as `selectModule(named:)`
    ///   when no module or several fit.
    public func selectModule(named name: String?, features: Int?) throws -> (module: RNNModule, choice: ModuleChoice?) {
        guard name == nil, modules.count > 1, let features else { return (try selectModule(named: name), nil) }
        let fitting = modules.filter { $0.architecture.inputSize == features }
        guard fitting.count == 1 else { return (try selectModule(named: name), nil) }
        let others = modules.filter { $0.name != fitting[0].name }.map(LayoutError.ModuleEntry.init)
        return (fitting[0], ModuleChoice(chosen: LayoutError.ModuleEntry(fitting[0]), others: others, features: features))
    }
}

/// A module chosen without being named: of a file's several modules, the
/// only one whose `input_size` is the input's `features`. The text lives in
/// `message(naming:)`, which names the option that chooses another.
public struct ModuleChoice: Equatable, Sendable {
    /// The module chosen.
    public var chosen: LayoutError.ModuleEntry
    /// The file's other modules.
    public var others: [LayoutError.ModuleEntry]
    /// The input's features (its last dimension).
    public var features: Int

    /// Creates the description of a choice.
    public init(chosen: LayoutError.ModuleEntry, others: [LayoutError.ModuleEntry], features: Int) {
        self.chosen = chosen
        self.others = others
        self.features = features
    }

    /// The choice, and the option that makes another, named by `name`.
    public func message(naming name: (RequestOption) -> String) -> String {
        let rest = others.map { "'\($0.path)' (input_size \($0.inputSize))" }.joined(separator: ", ")
        return "running module '\(chosen.path)', the only one of \(others.count + 1) whose input_size is the input's "
            + "\(features) features (not \(rest)); choose another with \(name(.module))"
    }
}
