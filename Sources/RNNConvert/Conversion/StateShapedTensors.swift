import RNNLayouts
import TensorFiles

/// Tensors a file stores around a recurrent module, shaped like its initial
/// state: a wrapper's learned `h0` (`nn.Parameter(torch.zeros(layers, 1,
/// hidden))` passed as `self.lstm(x, (self.h0.expand(…), …))`). rnnkit runs
/// the module alone (a state dict records no forward, and a wrapper's code is
/// not read), so it cannot tell whether the model passes it; a run starts
/// from zeros, the module's own default, and says so (`ModuleNote.stateShapedTensor`), naming the rename that makes it
/// the module's stored default (`<module>.h0`, `StoredInputsConversion`).
extension ModelSource {
    /// The state a recurrent module of the file takes: how many rows
    /// (layers · directions) and the widths of `h0` and `c0`.
    private struct StateShape {
        var rows: Set<String> = []  // "layer/direction" of each weight_hh
        var widths: Set<Int> = []   // weight_hh's columns (hidden or proj_size); an LSTM's weight_hr's (hidden)
    }

    /// Adds a `stateShapedTensor` note to each recurrent module for every
    /// other tensor of shape `(layers·directions, batch, width)` whose module
    /// is the recurrent module's or one around it (the root included), other
    /// than the module's own stored `h0`/`c0`/`lengths` and recurrent weights. Not
    /// for an exported program (`.pt2`), whose graph records how a state is computed.
    mutating func noteStateShapedTensors() {
        // An exported program's graph says where a state comes from; its reader reports that.
        guard format != .pytorchExport else { return }
        var shapes: [String: StateShape] = [:]
        for named in tensors {
            guard let (module, parameter) = ParameterName.split(named.name), named.tensor.shape.count == 2 else { continue }
            switch parameter.role {
            case .weightHH:
                shapes[module, default: StateShape()].rows.insert("\(parameter.layer ?? 0)/\(parameter.direction)")
                shapes[module, default: StateShape()].widths.insert(named.tensor.shape[1])
            case .weightHR:
                shapes[module, default: StateShape()].widths.insert(named.tensor.shape[1])
            default:
                break
            }
        }
        guard !shapes.isEmpty else { return }
        for named in tensors {
            let shape = named.tensor.shape
            guard shape.count == 3, named.tensor.dtype.isFloatingPoint, shape[1] >= 1, ParameterName.split(named.name) == nil
            else { continue }
            let owner = ModulePath(owning: named.name).prefix
            for (module, state) in shapes.sorted(by: { $0.key < $1.key })
            where shape[0] == state.rows.count && state.widths.contains(shape[2]) && Self.encloses(owner, module) {
                let last = named.name.split(separator: ".").last.map(String.init) ?? named.name
                // The module's own stored defaults are read as such (`readStoredTensors`), and a run uses
                // them (noted then); a final state stored beside the weights is an expected output, a
                // `weight` another layer's.
                if owner == module, Converter.storedSuffixes.contains(last) { continue }
                let cell = last.lowercased().hasPrefix("c") || last.lowercased().contains("cell")
                let storedState = hints[module]?.storedState
                if (cell ? storedState?.c0 : storedState?.h0) != nil || Self.otherNames.contains(last.lowercased()) { continue }
                let stored = Converter.storedName(module, cell ? "c0" : "h0")
                hints[module, default: ModuleHints()].notes.append(.stateShapedTensor(name: named.name, shape: shape, stored: stored))
            }
        }
    }

    /// Names of a final state (an expected output kept beside the weights), not an initial one, and
    /// of other layers' parameters (a `Conv1d` weight is three-dimensional too).
    private static let otherNames: Set<String> = ["h_n", "c_n", "hn", "cn", "h_t", "c_t", "weight", "bias"]

    /// Whether module `owner` is `module` or a module around it.
    private static func encloses(_ owner: String, _ module: String) -> Bool {
        owner.isEmpty || owner == module || module.hasPrefix(owner + ".")
    }

    /// The source with `renames` applied to its tensors' names, and what
    /// the new names mean found again: a tensor renamed to `<module>.h0`,
    /// `.c0` or `.lengths` is that module's stored default, as if the file
    /// had stored it so.
    ///
    /// - Throws: `LayoutError` as `Rename.apply`.
    public mutating func rename(_ renames: [Rename]) throws {
        guard !renames.isEmpty else { return }
        tensors = try Rename.apply(renames, to: tensors)
        for module in hints.keys {
            hints[module]?.notes.removeAll { note in
                if case .stateShapedTensor = note { return true } else { return false }
            }
        }
        readStoredTensors(only: Set(renames.map(\.new)))
        noteStateShapedTensors()
    }
}
