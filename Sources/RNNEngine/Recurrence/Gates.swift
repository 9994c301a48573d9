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
