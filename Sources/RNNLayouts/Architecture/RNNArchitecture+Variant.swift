/// What a module computes beyond PyTorch's cell (`CellVariant`), in words
/// and equations, and why `nn.RNN` / `nn.GRU` / `nn.LSTM` cannot load it.
extension RNNArchitecture {
    /// One line per option that differs from PyTorch's cell: what it
    /// computes and why PyTorch's class cannot load the module. Empty for
    /// PyTorch's cell.
    public var variantDifferences: [String] {
        let v = variant
        let pytorch = mode.pytorchClass(kind)
        var lines: [String] = []
        let keep = "run and convert to ONNX keep it; converting to PyTorch names is refused"
        if mode != .rnn, v.gate != .sigmoid {
            lines.append("gate activation \(v.gate.text) (f, on \(mode == .lstm ? "i, f, o" : "r, z")): \(pytorch) uses σ; \(keep)")
        }
        if v.candidate != .tanh, !(mode == .rnn && v.candidate == .relu) {
            lines.append("candidate activation \(v.candidate.text) (g): \(pytorch) uses \(mode == .rnn ? "tanh or relu" : "tanh"); \(keep)")
        }
        if mode == .lstm, v.output != .tanh {
            lines.append("output activation \(v.output.text) (h, in h' = o ⊙ h(c')): \(pytorch) uses tanh; \(keep)")
        }
        if mode == .gru, !v.linearBeforeReset {
            lines.append("reset gate before the recurrent product (Keras reset_after=False, ONNX linear_before_reset=0): "
                + "\(pytorch) applies it after, r ⊙ (W_hn h + b_hn); \(keep)")
        }
        if v.peepholes { lines.append("peepholes (ONNX P, order i, o, f): \(pytorch) has none; \(keep)") }
        if let clip = v.clip {
            lines.append("gate pre-activations clipped to [−\(clip), \(clip)] (ONNX clip): \(pytorch) does not clip; \(keep)")
        }
        if v.inputForget { lines.append("coupled input-forget gate f = 1 − i (ONNX input_forget=1): \(pytorch) has its own f; \(keep)") }
        switch v.direction {
        case .forward: break
        case .reverse:
            lines.append("one direction reading the sequence backwards (ONNX direction=\"reverse\"): \(pytorch) has no one-direction "
                + "reverse module; \(keep)")
        case .backwards:
            lines.append("one direction reading the sequence backwards with outputs in reading order, output[0] for the last step "
                + "(Keras go_backwards=True): \(pytorch) has no one-direction reverse module; run and convert to ONNX or Keras keep it; "
                + "converting to PyTorch names is refused")
        }
        if bidirectional, v.merge != .concat {
            lines.append("directions merged by \(v.merge.rawValue) (Keras merge_mode=\"\(v.merge.rawValue)\"): \(pytorch) concatenates them; "
                + "run and convert to Keras keep it; ONNX and PyTorch names are refused")
        }
        return lines
    }

    /// One step as the module computes it, one line per equation: PyTorch's
    /// (`RNNMode.equations`) for PyTorch's cell, else the variant's
    /// (`f`, `g`, `h` the activations named in `variantDifferences`).
    var variantEquations: [String] {
        let v = variant
        let clipped: (String) -> String = { pre in v.clip.map { "clip(\(pre), −\($0), \($0))" } ?? pre }
        let f = { v.gate.applied(to: clipped($0)) }, g = { v.candidate.applied(to: clipped($0)) }
        switch mode {
        case .rnn:
            return ["h' = \(g("W_ih x + b_ih + W_hh h + b_hh"))"]
        case .gru:
            let n = v.linearBeforeReset ? "W_in x + b_in + r ⊙ (W_hn h + b_hn)" : "W_in x + b_in + W_hn (r ⊙ h) + b_hn"
            return [
                "r  = \(f("W_ir x + b_ir + W_hr h + b_hr"))",
                "z  = \(f("W_iz x + b_iz + W_hz h + b_hz"))",
                "n  = \(g(n))",
                "h' = (1 − z) ⊙ n + z ⊙ h",
            ]
        case .lstm:
            let pi = v.peepholes ? " + P_i ⊙ c" : "", pf = v.peepholes ? " + P_f ⊙ c" : "", po = v.peepholes ? " + P_o ⊙ c'" : ""
            let h = v.output.applied(to: "c'")
            return [
                "i  = \(f("W_ii x + b_ii + W_hi h + b_hi\(pi)"))",
                v.inputForget ? "f  = 1 − i    (input_forget)" : "f  = \(f("W_if x + b_if + W_hf h + b_hf\(pf)"))",
                "g  = \(g("W_ig x + b_ig + W_hg h + b_hg"))",
                "c' = f ⊙ c + i ⊙ g",
                "o  = \(f("W_io x + b_io + W_ho h + b_ho\(po)"))",
                projSize > 0 ? "h' = W_hr (o ⊙ \(h))" : "h' = o ⊙ \(h)",
            ]
        }
    }

    /// The variant's merge of a bidirectional layer's outputs, as an equation.
    var mergeEquation: String? {
        guard bidirectional, variant.merge != .concat else { return nil }
        switch variant.merge {
        case .concat: return nil
        case .sum: return "output = h_forward + h_backward"
        case .mul: return "output = h_forward ⊙ h_backward"
        case .ave: return "output = (h_forward + h_backward) / 2"
        }
    }
}
