/// Scratch memory for one direction of a layer, allocated once per forward
/// call and reused by every layer and every step (no allocation inside the
/// time loop).
final class DirectionWorkspace<S: EngineScalar> {
    /// `W_ih x` for every step and sequence, (T·B, gates·hidden); the
    /// recurrent product is accumulated into it step by step (RNN, LSTM).
    /// The packed path keeps only a chunk of steps here (`ProjectionChunking`).
    let projection: AlignedBuffer<S>
    /// GRU: `W_hh h` for the current step, (B, 3·hidden).
    let hiddenPart: AlignedBuffer<S>
    /// LSTM with projection: `o ⊙ tanh(c')` before `W_hr`, (B, hidden).
    /// GRU: `r ⊙ h` when the reset gate comes before the product (a variant).
    let unprojected: AlignedBuffer<S>
    /// The hidden state `h` of each sequence (processing order), (B, proj or hidden).
    let h: AlignedBuffer<S>
    /// The LSTM cell state `c`, (B, hidden).
    let c: AlignedBuffer<S>

    /// Scratch sized for the module's widths (`mode`) and `plan`'s batch, with
    /// a projection of `projectionSteps` steps.
    init(mode: RNNModeShape, plan: SequencePlan, projectionSteps: Int) {
        projection = AlignedBuffer(zeros: projectionSteps * plan.batch * mode.gateRows)
        hiddenPart = AlignedBuffer(zeros: mode.isGRU ? plan.batch * mode.gateRows : 0)
        unprojected = AlignedBuffer(zeros: mode.projects || mode.isGRU ? plan.batch * mode.hiddenSize : 0)
        h = AlignedBuffer(zeros: plan.batch * mode.stateSize)
        c = AlignedBuffer(zeros: mode.isLSTM ? plan.batch * mode.hiddenSize : 0)
    }
}

/// The widths a workspace needs, shared by every layer of a module.
struct RNNModeShape {
    var gateRows: Int
    var hiddenSize: Int
    var stateSize: Int
    var isGRU: Bool
    var isLSTM: Bool
    var projects: Bool
}

/// Runs one direction of one layer over the whole sequence.
enum DirectionRunner<S: EngineScalar> {
    /// Computes `h` for every step of every sequence and writes it to
    /// `output` at columns `column ..< column + stateSize`.
    ///
    /// - `input`: the layer's input, (T·B, inputSize), processing order.
    /// - `output`: the layer's output, (T·B, outputWidth); rows of steps past
    ///   a sequence's length are left untouched (zero).
    /// - `workspace.h` / `.c` hold the initial states on entry and the
    ///   final states (each sequence's own last step) on return.
    /// - `variant`: a cell that is not PyTorch's (`CellVariant`); nil for PyTorch's.
    static func run(
        _ w: DirectionWeights<S>, reverse: Bool, relu: Bool, variant: VariantCell<S>? = nil, plan: SequencePlan,
        input: UnsafePointer<S>, output: UnsafeMutablePointer<S>, outputWidth: Int, column: Int,
        workspace: DirectionWorkspace<S>
    ) {
        let batch = plan.batch
        let gateRows = w.gateRows
        let hidden = w.hiddenSize
        let state = w.stateSize
        let projection = workspace.projection.pointer
        let h = workspace.h.pointer
        let c = workspace.c.pointer

        // The input projection of every step at once: (T·B, in) · W_ihᵀ.
        S.gemmABt(m: plan.steps * batch, n: gateRows, k: w.inputSize, a: input, lda: w.inputSize,
                  b: w.weightIH.pointer, ldb: w.inputSize, beta: 0, c: projection, ldc: gateRows)

        for step in 0 ..< plan.steps {
            let t = reverse ? plan.steps - 1 - step : step
            // Sequences are sorted by decreasing length: those still running are the first `rows`.
            let rows = plan.activeCount[t]
            if rows == 0 { continue }
            let pre = projection + t * batch * gateRows
            switch w.mode {
            case .lstm:
                multiply(rows: rows, h, w.weightHH, outputs: gateRows, inputs: state, beta: 1, into: pre)
                if let variant {
                    let target = w.weightHR == nil ? h : workspace.unprojected.pointer
                    Gates.lstm(variant: variant, rows: rows, hidden: hidden, gates: pre, ldGates: gateRows, bias: w.inputBias.pointer,
                               peephole: w.peephole.map { UnsafePointer($0.pointer) }, c: c, h: target, ldh: hidden)
                    if let weightHR = w.weightHR {
                        multiply(rows: rows, target, weightHR, outputs: state, inputs: hidden, beta: 0, into: h)
                    }
                } else if let weightHR = w.weightHR {
                    let unprojected = workspace.unprojected.pointer
                    Gates.lstm(rows: rows, hidden: hidden, gates: pre, ldGates: gateRows, bias: w.inputBias.pointer,
                               c: c, h: unprojected, ldh: hidden)
                    // h' = W_hr (o ⊙ tanh(c'))
                    multiply(rows: rows, unprojected, weightHR, outputs: state, inputs: hidden, beta: 0, into: h)
                } else {
                    Gates.lstm(rows: rows, hidden: hidden, gates: pre, ldGates: gateRows, bias: w.inputBias.pointer,
                               c: c, h: h, ldh: hidden)
                }
            case .gru:
                let hiddenPart = workspace.hiddenPart.pointer
                multiply(rows: rows, h, w.weightHH, outputs: gateRows, inputs: state, beta: 0, into: hiddenPart)
                if let variant {
                    if !variant.linearBeforeReset {
                        // W_hn (r ⊙ h) replaces the n block of W_hh h.
                        let resetState = workspace.unprojected.pointer
                        Gates.gruResetState(variant: variant, rows: rows, hidden: hidden, inputPart: pre, ldInput: gateRows,
                                            inputBias: w.inputBias.pointer, hiddenPart: hiddenPart, hiddenBias: w.hiddenBias.pointer,
                                            h: h, resetState: resetState)
                        S.gemmABt(m: rows, n: hidden, k: hidden, a: resetState, lda: hidden, b: w.weightHH.pointer + 2 * hidden * hidden,
                                  ldb: hidden, beta: 0, c: hiddenPart + 2 * hidden, ldc: gateRows)
                    }
                    Gates.gru(variant: variant, rows: rows, hidden: hidden, inputPart: pre, ldInput: gateRows,
                              inputBias: w.inputBias.pointer, hiddenPart: hiddenPart, hiddenBias: w.hiddenBias.pointer, h: h)
                } else {
                    Gates.gru(rows: rows, hidden: hidden, inputPart: pre, ldInput: gateRows, inputBias: w.inputBias.pointer,
                              hiddenPart: hiddenPart, hiddenBias: w.hiddenBias.pointer, h: h)
                }
            case .rnn:
                multiply(rows: rows, h, w.weightHH, outputs: gateRows, inputs: state, beta: 1, into: pre)
                if let variant {
                    Gates.rnn(variant: variant, rows: rows, hidden: hidden, pre: pre, ldPre: gateRows, bias: w.inputBias.pointer, h: h)
                } else {
                    Gates.rnn(rows: rows, hidden: hidden, relu: relu, pre: pre, ldPre: gateRows,
                              bias: w.inputBias.pointer, h: h)
                }
            }
            let stepOutput = output + t * batch * outputWidth + column
            for row in 0 ..< rows {
                (stepOutput + row * outputWidth).update(from: h + row * state, count: state)
            }
        }
    }

    /// `target (rows, outputs) = x (rows, inputs) · Wᵀ + beta · target` with
    /// `W` (outputs, inputs): a matrix-vector product for a single row.
    @inline(__always)
    static func multiply(rows: Int, _ x: UnsafePointer<S>, _ weights: AlignedBuffer<S>, outputs: Int, inputs: Int,
                         beta: S, into target: UnsafeMutablePointer<S>) {
        if rows == 1 {
            S.gemv(m: outputs, n: inputs, a: weights.pointer, lda: inputs, x: x, beta: beta, y: target)
        } else {
            S.gemmABt(m: rows, n: outputs, k: inputs, a: x, lda: inputs, b: weights.pointer, ldb: inputs,
                      beta: beta, c: target, ldc: outputs)
        }
    }
}
