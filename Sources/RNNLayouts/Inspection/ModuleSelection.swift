extension Inspection {
    /// The module a command should work on: the one named `name` (`""` or
    /// `(root)` for the root), or the only one when `name` is nil.
    ///
    /// - Throws: `LayoutError.moduleSelection` listing the modules when there
    ///   are none, several (and no name), or none with that name.
    public func selectModule(named name: String?) throws -> RNNModule {
        let listing = modules.map { "'\($0.name.isEmpty ? "(root)" : $0.name)' (\($0.architecture.mode.rawValue))" }
            .joined(separator: ", ")
        guard let name else {
            if modules.count == 1 { return modules[0] }
            if modules.isEmpty {
                let why = problems.isEmpty ? "" : ": " + problems.map(\.description).joined(separator: "; ")
                throw LayoutError.moduleSelection("no recurrent module found (no weight_ih_l0/weight_ih tensors with their weight_hh partners)\(why)")
            }
            throw LayoutError.moduleSelection("the file holds \(modules.count) modules; choose one with --module: \(listing)")
        }
        let wanted = name == "(root)" ? "" : name
        if let module = modules.first(where: { $0.name == wanted }) { return module }
        throw LayoutError.moduleSelection("no module named '\(name)'; the file holds: \(listing.isEmpty ? "none" : listing)")
    }
}
