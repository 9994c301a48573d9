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
    /// `input_size` is `features`, with a sentence saying it was chosen so
    /// (nil when there was no choice to make).
    ///
    /// - Throws: `LayoutError` as `selectModule(named:)`
    ///   when no module or several fit.
    public func selectModule(named name: String?, features: Int?) throws -> (module: RNNModule, choice: String?) {
        guard name == nil, modules.count > 1, let features else { return (try selectModule(named: name), nil) }
        let fitting = modules.filter { $0.architecture.inputSize == features }
        guard fitting.count == 1 else { return (try selectModule(named: name), nil) }
        let others = modules.filter { $0.name != fitting[0].name }.map { "'\($0.displayName)' (input_size \($0.architecture.inputSize))" }
        return (fitting[0], "running module '\(fitting[0].displayName)', the only one of \(modules.count) whose input_size is the input's "
            + "\(features) features (not \(others.joined(separator: ", ")))")
    }
}
