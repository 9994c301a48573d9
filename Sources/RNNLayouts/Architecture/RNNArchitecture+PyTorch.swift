import TensorFiles

/// A constructor argument that weights do not record, and why.
public struct UnstoredSetting: Equatable, Sendable {
    /// The constructor argument (`batch_first`, `nonlinearity`, `dropout`).
    public var name: String
    /// Why it cannot be read from the file and what it changes.
    public var reason: String
}

extension RNNArchitecture {
    /// The PyTorch constructor call that rebuilds a module with these weights,
    /// e.g. `nn.LSTM(input_size=5, hidden_size=8, num_layers=2,
    /// bidirectional=True, batch_first=?)`.
    ///
    /// Arguments at their default (`num_layers=1`, `bias=True`, …) are left
    /// out; `nonlinearity` and `batch_first`, which the weights cannot tell,
    /// are written `=?` (see `unstoredSettings`). A dtype other than float32
    /// is passed as `dtype=`.
    public var pytorchConstructor: String {
        var arguments = ["input_size=\(inputSize)", "hidden_size=\(hiddenSize)"]
        if kind == .layer && numLayers != 1 { arguments.append("num_layers=\(numLayers)") }
        if !bias { arguments.append("bias=False") }
        if kind == .layer && bidirectional { arguments.append("bidirectional=True") }
        if kind == .layer && projSize > 0 { arguments.append("proj_size=\(projSize)") }
        if mode == .rnn { arguments.append("nonlinearity=?") }
        if kind == .layer { arguments.append("batch_first=?") }
        if dtype != .float32 { arguments.append("dtype=torch.\(dtype.rawValue)") }
        return "\(mode.pytorchClass(kind))(\(arguments.joined(separator: ", ")))"
    }

    /// The constructor arguments the weights cannot tell, each with the reason.
    public var unstoredSettings: [UnstoredSetting] {
        var settings: [UnstoredSetting] = []
        if mode == .rnn {
            settings.append(UnstoredSetting(
                name: "nonlinearity",
                reason: "'tanh' (the default) or 'relu': the activation has no weights, so the file cannot say; "
                    + "pass the one the model was trained with"))
        }
        if kind == .layer {
            settings.append(UnstoredSetting(
                name: "batch_first",
                reason: "only the layout of input and output ((seq, batch, feature) or (batch, seq, feature)); "
                    + "weights are the same either way, and h_n/c_n are (layers·directions, batch, hidden) regardless"))
            if numLayers > 1 {
                settings.append(UnstoredSetting(
                    name: "dropout",
                    reason: "applied between layers during training only; it has no weights and no effect in eval()"))
            }
        }
        return settings
    }

    /// One step of this module as PyTorch computes it (`RNNMode.equations`),
    /// with the LSTM projection when `proj_size` is set; a variant's own
    /// equations when the module is not PyTorch's cell (`variantDifferences`).
    public var stepEquations: [String] {
        if !variant.isPyTorch { return variantEquations + (mergeEquation.map { [$0] } ?? []) }
        var lines = mode.equations
        if mode == .lstm && projSize > 0 && !lines.isEmpty {
            lines[lines.count - 1] = "h' = W_hr (o ⊙ tanh(c'))    (weight_hr projects hidden_size \(hiddenSize) to proj_size \(projSize))"
        }
        return lines
    }

    /// How the rows of `weight_ih` / `weight_hh` / the biases split into gate
    /// blocks in PyTorch's order, e.g. `i 0–7 | f 8–15 | g 16–23 | o 24–31`.
    public var gateLayout: String {
        mode.gateNames.enumerated().map { index, name in
            "\(name) \(index * hiddenSize)–\((index + 1) * hiddenSize - 1)"
        }.joined(separator: " | ")
    }
}
