extension Rename {
    /// Renames that would read names in another common convention as
    /// PyTorch's: `enc_w_ih`, `enc_W_hh`, `gru.b_ih`, `decoder/weight_hh` end
    /// in a weight or bias role (`w`/`weight`/`b`/`bias` then `ih`/`hh`), and
    /// the rest of the name becomes the module prefix: `enc_w_ih` →
    /// `enc.weight_ih_l0`.
    ///
    /// Only prefixes holding both an `ih` and an `hh` weight are suggested
    /// (anything less cannot be a module), in the layer form with one layer;
    /// names PyTorch's grammar already reads are left alone. A suggestion is a
    /// guess to check, not an inference.
    public static func suggestions(for names: [String]) -> [Rename] {
        var found: [(name: String, prefix: String, role: ParameterName.Role)] = []
        for name in names where ParameterName.split(name) == nil {
            guard let (prefix, role) = recurrentRole(of: name) else { continue }
            found.append((name, prefix, role))
        }
        let complete = Set(found.map(\.prefix).filter { prefix in
            let roles = Set(found.filter { $0.prefix == prefix }.map(\.role))
            return roles.contains(.weightIH) && roles.contains(.weightHH)
        })
        return found.filter { complete.contains($0.prefix) }.map { entry in
            let parameter = ParameterName(entry.role, layer: 0).text
            return Rename(old: entry.name, new: ModulePath(entry.prefix).qualify(parameter))
        }
    }

    /// The module prefix and role a name like `enc_w_ih` seems to have.
    static func recurrentRole(of name: String) -> (prefix: String, role: ParameterName.Role)? {
        let separators: Set<Character> = ["_", ".", "/"]
        let lower = name.lowercased()
        let endings: [(String, ParameterName.Role)] = [
            ("weight_ih", .weightIH), ("weight_hh", .weightHH), ("bias_ih", .biasIH), ("bias_hh", .biasHH),
            ("w_ih", .weightIH), ("w_hh", .weightHH), ("b_ih", .biasIH), ("b_hh", .biasHH),
            ("wih", .weightIH), ("whh", .weightHH), ("bih", .biasIH), ("bhh", .biasHH),
        ]
        for (ending, role) in endings where lower.hasSuffix(ending) {
            let head = name.dropLast(ending.count)
            // The role must start a component: "enc_w_ih", not "enc_xw_ih".
            guard head.isEmpty || head.last.map(separators.contains) == true else { continue }
            var prefix = head
            while let last = prefix.last, separators.contains(last) { prefix.removeLast() }
            return (prefix.replacingSlashes, role)
        }
        return nil
    }
}

private extension Substring {
    /// HDF5-style `a/b` as rnnkit's `a.b`.
    var replacingSlashes: String { String(map { $0 == "/" ? "." : $0 }) }
}
