import RNNLayouts
import TensorFiles

/// The weights of one direction of one layer, converted to the compute type
/// and laid out for the BLAS calls: each matrix row-major as PyTorch stores
/// it, so `x · W_ihᵀ` is one `gemm` with `B` transposed.
struct DirectionWeights<S: EngineScalar>: Sendable {
    /// RNN, GRU or LSTM.
    let mode: RNNMode
    /// Features this layer reads.
    let inputSize: Int
    /// Width of `c` and of each gate block.
    let hiddenSize: Int
    /// Width of `h`: `proj_size` when projecting, else `hidden_size`.
    let stateSize: Int
    /// `W_ih`, (gates·hidden, inputSize).
    let weightIH: AlignedBuffer<S>
    /// `W_hh`, (gates·hidden, stateSize).
    let weightHH: AlignedBuffer<S>
    /// The bias added to the input projection, (gates·hidden). RNN and LSTM:
    /// `b_ih + b_hh` (the two always appear summed). GRU: `b_ih` alone,
    /// because `b_hn` sits inside `r ⊙ (W_hn h + b_hn)`. Zeros without bias.
    let inputBias: AlignedBuffer<S>
    /// GRU only: `b_hh`, (3·hidden); zeros without bias. Empty otherwise.
    let hiddenBias: AlignedBuffer<S>
    /// LSTM with `proj_size`: `W_hr`, (proj, hidden). Nil otherwise.
    let weightHR: AlignedBuffer<S>?
    /// LSTM peepholes `P_i, P_o, P_f` (3·hidden) of a variant cell; nil otherwise.
    var peephole: AlignedBuffer<S>? = nil

    /// Rows of `W_ih` and `W_hh`: gates·hidden.
    var gateRows: Int { mode.gateCount * hiddenSize }
}

/// Converts a module's tensors into `DirectionWeights`.
enum WeightPreparation {
    /// The weights of every layer and direction, `[layer][direction]`.
    /// `module` must have passed `ModuleValidation`.
    static func prepare<S: EngineScalar>(_ module: RNNModule, as _: S.Type) throws -> [[DirectionWeights<S>]] {
        let architecture = module.architecture
        return try (0 ..< architecture.numLayers).map { layer in
            try (0 ..< architecture.directions).map { direction in
                try prepare(module, layer: layer, reverse: direction == 1, as: S.self)
            }
        }
    }

    private static func prepare<S: EngineScalar>(
        _ module: RNNModule, layer: Int, reverse: Bool, as _: S.Type
    ) throws -> DirectionWeights<S> {
        let architecture = module.architecture
        let layerIndex: Int? = architecture.kind == .cell ? nil : layer
        func values(_ role: ParameterName.Role) throws -> [S]? {
            guard let tensor = module.tensor(ParameterName(role, layer: layerIndex, reverse: reverse)) else { return nil }
            return try S.values(of: tensor)
        }
        let rows = architecture.gateRows
        let weightIH = try values(.weightIH) ?? []
        let weightHH = try values(.weightHH) ?? []
        let biasIH = try values(.biasIH) ?? [S](repeating: 0, count: rows)
        let biasHH = try values(.biasHH) ?? [S](repeating: 0, count: rows)
        let isGRU = architecture.mode == .gru
        let inputBias = isGRU ? biasIH : zip(biasIH, biasHH).map { $0 + $1 }
        let weightHR = architecture.projSize > 0 ? try values(.weightHR) : nil
        let peephole = try module.peepholes[layer * architecture.directions + (reverse ? 1 : 0)].map { try S.values(of: $0) }
        var weights = DirectionWeights<S>(
            mode: architecture.mode,
            inputSize: architecture.layerInputSize(layer),
            hiddenSize: architecture.hiddenSize,
            stateSize: architecture.stateSize,
            weightIH: AlignedBuffer(weightIH),
            weightHH: AlignedBuffer(weightHH),
            inputBias: AlignedBuffer(inputBias),
            hiddenBias: AlignedBuffer(isGRU ? biasHH : []),
            weightHR: weightHR.map { AlignedBuffer($0) })
        weights.peephole = peephole.map { AlignedBuffer($0) }
        return weights
    }
}
