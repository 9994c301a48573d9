import RNNLayouts
import TensorFiles

/// The checks a module whose cell is not PyTorch's (`CellVariant`) must pass
/// before it runs, and the layer-level steps the variant adds (merging the
/// directions, reversing a `go_backwards` output).
enum VariantChecks {
    /// Every problem with `module`'s variant and peephole tensors.
    static func problems(of module: RNNModule) -> [String] {
        let a = module.architecture, v = a.variant
        var problems: [String] = []
        let mode = a.mode.rawValue
        if a.mode == .rnn, v.gate != .sigmoid || v.output != .tanh {
            problems.append("an RNN has one activation (g); gate activation \(v.gate.text) / output activation \(v.output.text) do not apply")
        }
        if a.mode == .gru, v.output != .tanh {
            problems.append("a GRU has activations f and g only; output activation \(v.output.text) does not apply")
        }
        if a.mode != .gru, !v.linearBeforeReset { problems.append("linear_before_reset=0 applies to GRU only, not \(mode)") }
        if a.mode != .lstm, v.inputForget { problems.append("input_forget applies to LSTM only, not \(mode)") }
        if a.mode != .lstm, v.peepholes { problems.append("peepholes apply to LSTM only, not \(mode)") }
        if let clip = v.clip, !(clip.isFinite && clip > 0) { problems.append("clip \(clip) must be a positive finite number") }
        for activation in [v.gate, v.candidate, v.output] {
            if case .hardSigmoid(let alpha, let beta) = activation, !(alpha.isFinite && beta.isFinite) {
                problems.append("HardSigmoid alpha \(alpha), beta \(beta) must be finite")
            }
        }
        if a.bidirectional, v.direction != .forward {
            problems.append("direction \(v.direction.rawValue) applies to a one-direction module; this one is bidirectional")
        }
        if !a.bidirectional, v.merge != .concat { problems.append("merge_mode \(v.merge.rawValue) needs two directions") }
        let slices = a.numLayers * a.directions
        if v.peepholes {
            for index in 0 ..< slices {
                let where_ = "layer \(index / a.directions)\(a.directions == 2 ? (index % 2 == 1 ? " reverse" : " forward") : "")"
                guard let tensor = module.peepholes[index] else {
                    problems.append("the peephole weights of \(where_) are missing; expected (3·hidden_size) = (\(3 * a.hiddenSize))")
                    continue
                }
                if tensor.shape != [3 * a.hiddenSize] {
                    problems.append("the peephole weights of \(where_) have shape \(tensor.shape); expected (3·hidden_size) = (\(3 * a.hiddenSize))")
                }
                if !tensor.dtype.isFloatingPoint { problems.append("the peephole weights of \(where_) are \(tensor.dtype.rawValue), not floating point") }
            }
        }
        if let extra = module.peepholes.slices.keys.sorted().first(where: { !v.peepholes || $0 >= slices || $0 < 0 }) {
            problems.append("peephole weights for state slice \(extra) do not belong to this \(mode) (peepholes \(v.peepholes ? "on" : "off"), \(slices) slice(s))")
        }
        return problems
    }

    /// Combines a bidirectional layer's `[forward, backward]` rows (each
    /// `2·state` wide) into `output` (`state` wide) by `merge`.
    static func merge<S: EngineScalar>(_ merge: DirectionMerge, rows: Int, state: Int, from both: UnsafePointer<S>,
                                       into output: UnsafeMutablePointer<S>) {
        for row in 0 ..< rows {
            let forward = both + row * 2 * state, backward = forward + state
            let target = output + row * state
            for j in 0 ..< state {
                switch merge {
                case .concat, .sum: target[j] = forward[j] + backward[j]
                case .mul: target[j] = forward[j] * backward[j]
                case .ave: target[j] = (forward[j] + backward[j]) / 2
                }
            }
        }
    }

    /// Reverses the step order of a layer output (T·B rows of `width`), for
    /// Keras `go_backwards=True`, whose outputs come in reading order.
    static func reverseSteps<S: EngineScalar>(_ values: UnsafeMutablePointer<S>, steps: Int, batch: Int, width: Int) {
        let block = batch * width
        for t in 0 ..< steps / 2 {
            let a = values + t * block, b = values + (steps - 1 - t) * block
            for k in 0 ..< block { swap(&a[k], &b[k]) }
        }
    }
}
