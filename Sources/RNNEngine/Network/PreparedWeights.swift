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

/// Checks a module and converts its tensors into `DirectionWeights`.
enum WeightPreparation {
    /// Every problem that stops `module` from running: missing, misshaped,
    /// non-float or unexpected tensors, or options that do not fit its mode.
    static func problems(of module: RNNModule) -> [String] {
        let architecture = module.architecture
        var problems: [String] = []
        if architecture.hiddenSize < 1 {
            problems.append("hidden_size is \(architecture.hiddenSize); expected at least 1")
        }
        if architecture.projSize > 0 && architecture.mode != .lstm {
            problems.append("proj_size \(architecture.projSize) (weight_hr) exists only for LSTM, not \(architecture.mode.rawValue)")
        }
        if architecture.projSize > 0 && architecture.projSize >= architecture.hiddenSize {
            problems.append("proj_size \(architecture.projSize) must be smaller than hidden_size \(architecture.hiddenSize)")
        }
        let expected = architecture.parameterNames
        for parameter in expected {
            let name = module.qualifiedName(of: parameter)
            let shape = architecture.expectedShape(of: parameter)
            guard let tensor = module.tensor(parameter) else {
                problems.append("\(name) is missing; expected shape \(shapeText(shape)) (\(architecture.shapeReason(of: parameter)))")
                continue
            }
            if tensor.shape != shape {
                problems.append("\(name) has shape \(shapeText(tensor.shape)); expected \(shapeText(shape)) (\(architecture.shapeReason(of: parameter)))")
            }
            if !tensor.dtype.isFloatingPoint {
                problems.append("\(name) has dtype \(tensor.dtype.rawValue); weights must be floating point")
            }
        }
        problems += VariantChecks.problems(of: module)
        let expectedSet = Set(expected)
        for parameter in module.parameters.keys.sorted() where !expectedSet.contains(parameter) {
            problems.append("\(module.qualifiedName(of: parameter)) is unexpected in a \(architecture.mode.rawValue) "
                + "\(architecture.kind.rawValue) with \(architecture.numLayers) layer(s), bias=\(architecture.bias ? "True" : "False"), "
                + "proj_size=\(architecture.projSize)")
        }
        return problems
    }

    /// The weights of every layer and direction, `[layer][direction]`.
    /// `module` must have passed `problems(of:)`.
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
