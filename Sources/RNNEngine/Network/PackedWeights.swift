import CRNNKernels
import RNNLayouts

/// The recurrent matrices of one float32 direction, packed once at load for
/// the fused step kernel (`rk_step_run`): per block of units, every gate's
/// rows side by side for each column of `h`, so that one pass over the block
/// computes `W_hh h` for all gates of those units and applies the gates.
struct PackedRecurrence: Sendable {
    /// The kernel kind of the gate pass (`RK_STEP_*`).
    let kind: Int32
    /// `W_hh` packed for `kind`.
    let weightHH: AlignedBuffer<Float>
    /// `W_hr` packed for `RK_STEP_LINEAR` (LSTM with projection).
    let weightHR: AlignedBuffer<Float>?

    /// Packs the matrices of `weights`; `relu` selects the Elman RNN's activation.
    init(_ weights: DirectionWeights<Float>, relu: Bool) {
        switch weights.mode {
        case .lstm: kind = Int32(RK_STEP_LSTM)
        case .gru: kind = Int32(RK_STEP_GRU)
        case .rnn: kind = Int32(relu ? RK_STEP_RNN_RELU : RK_STEP_RNN_TANH)
        }
        weightHH = Self.pack(kind: kind, weights.weightHH, units: weights.hiddenSize, columns: weights.stateSize)
        weightHR = weights.weightHR.map {
            Self.pack(kind: Int32(RK_STEP_LINEAR), $0, units: weights.stateSize, columns: weights.hiddenSize)
        }
    }

    private static func pack(kind: Int32, _ matrix: AlignedBuffer<Float>, units: Int, columns: Int) -> AlignedBuffer<Float> {
        let packed = AlignedBuffer<Float>(zeros: rk_packed_count(kind, units, columns))
        rk_pack(kind, matrix.pointer, units, columns, packed.pointer)
        return packed
    }
}
