import RNNLayouts

/// One time step's gate arithmetic for `rows` sequences, written as PyTorch's
/// documentation writes the equations. The matrix products are already done
/// (by BLAS, in `DirectionRunner`); these loops add the biases, apply the
/// activations and update the states in place.
enum Gates<S: EngineScalar> {
    /// LSTM, blocks `i, f, g, o` in PyTorch's row order.
    ///
    /// `gates` row: `W_ih x + W_hh h` (4·hidden); `bias`: `b_ih + b_hh`.
    /// Updates `c` (stride `hidden`) and writes `o ⊙ tanh(c')` to `h` (stride `ldh`).
    @inline(__always)
    static func lstm(rows: Int, hidden: Int, gates: UnsafePointer<S>, ldGates: Int, bias: UnsafePointer<S>,
                     c: UnsafeMutablePointer<S>, h: UnsafeMutablePointer<S>, ldh: Int) {
        let n = hidden
        for row in 0 ..< rows {
            let pre = gates + row * ldGates
            let cRow = c + row * n
            let hRow = h + row * ldh
            for j in 0 ..< n {
                let i = S.sigmoid(pre[j] + bias[j])
                let f = S.sigmoid(pre[n + j] + bias[n + j])
                let g = S.tanh(pre[2 * n + j] + bias[2 * n + j])
                let o = S.sigmoid(pre[3 * n + j] + bias[3 * n + j])
                let cNext = f * cRow[j] + i * g      // c' = f ⊙ c + i ⊙ g
                cRow[j] = cNext
                hRow[j] = o * S.tanh(cNext)          // h' = o ⊙ tanh(c')
            }
        }
    }

    /// GRU, blocks `r, z, n` in PyTorch's row order.
    ///
    /// `inputPart` row: `W_ih x` (3·hidden), `inputBias`: `b_ih`;
    /// `hiddenPart` row: `W_hh h` (3·hidden), `hiddenBias`: `b_hh`.
    /// Replaces `h` (stride `hidden`) by `h'`.
    @inline(__always)
    static func gru(rows: Int, hidden: Int, inputPart: UnsafePointer<S>, ldInput: Int, inputBias: UnsafePointer<S>,
                    hiddenPart: UnsafePointer<S>, hiddenBias: UnsafePointer<S>, h: UnsafeMutablePointer<S>) {
        let n = hidden
        for row in 0 ..< rows {
            let x = inputPart + row * ldInput
            let hh = hiddenPart + row * 3 * n
            let hRow = h + row * n
            for j in 0 ..< n {
                let r = S.sigmoid((x[j] + inputBias[j]) + (hh[j] + hiddenBias[j]))
                let z = S.sigmoid((x[n + j] + inputBias[n + j]) + (hh[n + j] + hiddenBias[n + j]))
                // n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
                let candidate = S.tanh((x[2 * n + j] + inputBias[2 * n + j]) + r * (hh[2 * n + j] + hiddenBias[2 * n + j]))
                hRow[j] = (1 - z) * candidate + z * hRow[j]   // h' = (1 − z) ⊙ n + z ⊙ h
            }
        }
    }

    /// Elman RNN: `h' = act(W_ih x + b_ih + W_hh h + b_hh)`.
    ///
    /// `pre` row: `W_ih x + W_hh h` (hidden); `bias`: `b_ih + b_hh`.
    /// Writes `h'` to `h` (stride `hidden`).
    @inline(__always)
    static func rnn(rows: Int, hidden: Int, relu: Bool, pre: UnsafePointer<S>, ldPre: Int, bias: UnsafePointer<S>,
                    h: UnsafeMutablePointer<S>) {
        for row in 0 ..< rows {
            let x = pre + row * ldPre
            let hRow = h + row * hidden
            if relu {
                for j in 0 ..< hidden { hRow[j] = S.relu(x[j] + bias[j]) }
            } else {
                for j in 0 ..< hidden { hRow[j] = S.tanh(x[j] + bias[j]) }
            }
        }
    }
}

/// The activations and options of a cell that is not PyTorch's
/// (`CellVariant`), in the compute type: what `Gates.lstm(variant:)` and
/// `Gates.gru(variant:)` apply. Runs on the reference path only.
struct VariantCell<S: EngineScalar>: Sendable {
    /// `f`, `g`, `h` in ONNX's slots (gates, candidate, LSTM output).
    let f: Activation, g: Activation, h: Activation
    /// The bound of every gate pre-activation; nil for none.
    let clip: S?
    /// GRU: the reset gate multiplies `W_hn h + b_hn` (true) or `h` before the product.
    let linearBeforeReset: Bool
    /// LSTM: `f = 1 − i`.
    let inputForget: Bool

    /// One activation function.
    enum Activation: Sendable {
        case sigmoid, tanh, relu
        case hardSigmoid(alpha: S, beta: S)

        init(_ activation: GateActivation) {
            switch activation {
            case .sigmoid: self = .sigmoid
            case .tanh: self = .tanh
            case .relu: self = .relu
            case .hardSigmoid(let alpha, let beta): self = .hardSigmoid(alpha: S(alpha), beta: S(beta))
            }
        }

        @inline(__always)
        func callAsFunction(_ x: S) -> S {
            switch self {
            case .sigmoid: return S.sigmoid(x)
            case .tanh: return S.tanh(x)
            case .relu: return S.relu(x)
            case .hardSigmoid(let alpha, let beta): return min(1, max(0, alpha * x + beta))  // clip(αx + β, 0, 1)
            }
        }
    }

    /// The cell of `variant`; `nonlinearity` is an RNN's (relu replaces the tanh candidate).
    init(_ variant: CellVariant, nonlinearity: Nonlinearity) {
        f = Activation(variant.gate)
        g = nonlinearity == .relu ? .relu : Activation(variant.candidate)
        h = Activation(variant.output)
        clip = variant.clip.map { S($0) }
        linearBeforeReset = variant.linearBeforeReset
        inputForget = variant.inputForget
    }

    /// A pre-activation clipped to `[−clip, clip]` (onnxruntime's `clip`).
    @inline(__always)
    func clipped(_ x: S) -> S {
        guard let clip else { return x }
        return min(clip, max(-clip, x))
    }
}

extension Gates {
    /// LSTM as ONNX writes it, with the variant's activations, peepholes
    /// (`peephole`: `P_i, P_o, P_f`, 3·hidden, or nil), clip and coupled
    /// input-forget gate. Same buffers as `lstm`.
    @inline(__always)
    static func lstm(variant cell: VariantCell<S>, rows: Int, hidden: Int, gates: UnsafePointer<S>, ldGates: Int,
                     bias: UnsafePointer<S>, peephole: UnsafePointer<S>?, c: UnsafeMutablePointer<S>,
                     h: UnsafeMutablePointer<S>, ldh: Int) {
        let n = hidden
        for row in 0 ..< rows {
            let pre = gates + row * ldGates
            let cRow = c + row * n
            let hRow = h + row * ldh
            for j in 0 ..< n {
                let cPrev = cRow[j]
                let pI = peephole?[j] ?? 0, pO = peephole?[n + j] ?? 0, pF = peephole?[2 * n + j] ?? 0
                let i = cell.f(cell.clipped(pre[j] + bias[j] + pI * cPrev))               // i = f(W_i x + R_i h + P_i ⊙ c + b_i)
                let f = cell.inputForget
                    ? 1 - i                                                                  // f = 1 − i (input_forget)
                    : cell.f(cell.clipped(pre[n + j] + bias[n + j] + pF * cPrev))         // f = f(W_f x + R_f h + P_f ⊙ c + b_f)
                let g = cell.g(cell.clipped(pre[2 * n + j] + bias[2 * n + j]))            // g = g(W_g x + R_g h + b_g)
                let cNext = f * cPrev + i * g                                                // c' = f ⊙ c + i ⊙ g
                let o = cell.f(cell.clipped(pre[3 * n + j] + bias[3 * n + j] + pO * cNext)) // o = f(W_o x + R_o h + P_o ⊙ c' + b_o)
                cRow[j] = cNext
                hRow[j] = o * cell.h(cNext)                                                  // h' = o ⊙ h(c')
            }
        }
    }

    /// GRU reset before the product: writes `r ⊙ h` to `resetState` (stride
    /// `hidden`) for `W_hn (r ⊙ h)`. `hiddenPart` holds `W_hh h` for `r`.
    @inline(__always)
    static func gruResetState(variant cell: VariantCell<S>, rows: Int, hidden: Int, inputPart: UnsafePointer<S>, ldInput: Int,
                              inputBias: UnsafePointer<S>, hiddenPart: UnsafePointer<S>, hiddenBias: UnsafePointer<S>,
                              h: UnsafePointer<S>, resetState: UnsafeMutablePointer<S>) {
        let n = hidden
        for row in 0 ..< rows {
            let x = inputPart + row * ldInput
            let hh = hiddenPart + row * 3 * n
            for j in 0 ..< n {
                let r = cell.f(cell.clipped((x[j] + inputBias[j]) + (hh[j] + hiddenBias[j])))
                resetState[row * n + j] = r * h[row * n + j]
            }
        }
    }

    /// GRU with the variant's activations and clip. With
    /// `linearBeforeReset` the `n` block of `hiddenPart` is `W_hn h`
    /// (`n = g(W_in x + b_in + r ⊙ (W_hn h + b_hn))`), else `W_hn (r ⊙ h)`
    /// (`n = g(W_in x + b_in + W_hn (r ⊙ h) + b_hn)`). Same buffers as `gru`.
    @inline(__always)
    static func gru(variant cell: VariantCell<S>, rows: Int, hidden: Int, inputPart: UnsafePointer<S>, ldInput: Int,
                    inputBias: UnsafePointer<S>, hiddenPart: UnsafePointer<S>, hiddenBias: UnsafePointer<S>,
                    h: UnsafeMutablePointer<S>) {
        let n = hidden
        for row in 0 ..< rows {
            let x = inputPart + row * ldInput
            let hh = hiddenPart + row * 3 * n
            let hRow = h + row * n
            for j in 0 ..< n {
                let r = cell.f(cell.clipped((x[j] + inputBias[j]) + (hh[j] + hiddenBias[j])))
                let z = cell.f(cell.clipped((x[n + j] + inputBias[n + j]) + (hh[n + j] + hiddenBias[n + j])))
                let recurrent = cell.linearBeforeReset
                    ? r * (hh[2 * n + j] + hiddenBias[2 * n + j])   // r ⊙ (W_hn h + b_hn)
                    : hh[2 * n + j] + hiddenBias[2 * n + j]         // W_hn (r ⊙ h) + b_hn
                let candidate = cell.g(cell.clipped((x[2 * n + j] + inputBias[2 * n + j]) + recurrent))
                hRow[j] = (1 - z) * candidate + z * hRow[j]          // h' = (1 − z) ⊙ n + z ⊙ h
            }
        }
    }

    /// Elman RNN with the variant's activation and clip: `h' = g(clip(W_ih x + b_ih + W_hh h + b_hh))`.
    @inline(__always)
    static func rnn(variant cell: VariantCell<S>, rows: Int, hidden: Int, pre: UnsafePointer<S>, ldPre: Int,
                    bias: UnsafePointer<S>, h: UnsafeMutablePointer<S>) {
        for row in 0 ..< rows {
            let x = pre + row * ldPre
            let hRow = h + row * hidden
            for j in 0 ..< hidden { hRow[j] = cell.g(cell.clipped(x[j] + bias[j])) }
        }
    }
}
