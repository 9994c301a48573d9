import Foundation
import RNNLayouts
import TensorFiles

/// What a forward pass returns, in PyTorch's shapes and the compute dtype.
public struct RNNOutput: Sendable {
    /// `output`: `h` of the last layer at every step, directions concatenated:
    /// (T, B, directions·(proj or hidden)), (B, T, …) with batch_first,
    /// (T, …) for an unbatched input. Zero past each sequence's length.
    public var output: Tensor
    /// `h_n`: each layer and direction's `h` at each sequence's own end,
    /// (num_layers·directions, B, proj or hidden).
    public var hN: Tensor
    /// `c_n` for an LSTM, (num_layers·directions, B, hidden); nil otherwise.
    public var cN: Tensor?

    /// Creates an output.
    public init(output: Tensor, hN: Tensor, cN: Tensor?) {
        self.output = output
        self.hN = hN
        self.cN = cN
    }
}

/// A recurrent module ready to run: its weights checked once, converted to
/// the compute type and laid out for BLAS, then reused by every `forward`.
///
/// Runs `nn.RNN`, `nn.GRU`, `nn.LSTM` (stacked, bidirectional, with
/// `proj_size`, with or without bias) and their `*Cell` forms, which run over
/// a sequence step by step as one-layer, one-direction networks. A network is
/// immutable; `forward` may be called from several threads at once.
public struct RNNNetwork: Sendable {
    /// The module's name prefix (`""` at the root).
    public let name: String
    /// What the module is.
    public let architecture: RNNArchitecture
    /// The activation of an Elman RNN (always `.tanh` for GRU and LSTM).
    public let nonlinearity: Nonlinearity
    /// The type inputs must have and results get.
    public let computeType: ComputeType

    enum Weights: Sendable {
        case float32([[DirectionWeights<Float>]], packed: [[PackedRecurrence]])
        case float64([[DirectionWeights<Double>]])
    }

    let weights: Weights
    /// The last call's buffers, kept for the next call of the same shape.
    let bufferPool = ForwardBufferPool()

    /// Checks `module` and prepares its weights for `computeType`.
    ///
    /// - Throws: `EngineError.invalidModule` listing every problem
    ///   `ModuleValidation` finds (missing, misshaped, non-float or unexpected
    ///   tensors, options that do not fit the mode, `.relu` on a GRU or LSTM
    ///   or against the file's activation); `TensorFileError` if a tensor's
    ///   bytes cannot be read.
    public init(module: RNNModule, nonlinearity: Nonlinearity = .tanh, computeType: ComputeType = .float32) throws {
        let problems = ModuleValidation.problems(of: module, nonlinearity: nonlinearity)
        guard problems.isEmpty else { throw EngineError.invalidModule(module: module.path, problems: problems) }
        name = module.name
        architecture = module.architecture
        self.nonlinearity = nonlinearity
        self.computeType = computeType
        switch computeType {
        case .float32:
            let prepared = try WeightPreparation.prepare(module, as: Float.self)
            let packed = prepared.map { layer in layer.map { PackedRecurrence($0, relu: nonlinearity == .relu) } }
            weights = .float32(prepared, packed: packed)
        case .float64: weights = .float64(try WeightPreparation.prepare(module, as: Double.self))
        }
    }

    /// Runs the network over `input`.
    ///
    /// - Parameters:
    ///   - input: (T, B, input_size), or (B, T, input_size) with `batchFirst`,
    ///     or (T, input_size) for one unbatched sequence; dtype `computeType`.
    ///   - lengths: each sequence's valid steps (1…T, any order), as
    ///     `pack_padded_sequence(enforce_sorted=False)` takes them; nil means all T.
    ///   - h0: initial `h`, (num_layers·directions, B, proj or hidden), any float
    ///     dtype; nil means zeros. Cells also accept (B, hidden).
    ///   - c0: initial LSTM cell state, (num_layers·directions, B, hidden); nil means zeros.
    ///   - batchFirst: whether `input` and `output` put the batch first
    ///     (states never do).
    ///   - options: threads and kernels (the results agree within the parity
    ///     tolerance whatever they are).
    /// - Throws: `EngineError` for any input that does not fit, before any work.
    public func forward(
        input: Tensor, lengths: [Int]? = nil, h0: Tensor? = nil, c0: Tensor? = nil, batchFirst: Bool = false,
        options: ExecutionOptions = .automatic
    ) throws -> RNNOutput {
        let result = try run(input: input, lengths: lengths, h0: h0, c0: c0, batchFirst: batchFirst, options: options,
                             receiver: nil)
        guard let output = result.output else { preconditionFailure("a pass without a receiver keeps its output") }
        return RNNOutput(output: output, hN: result.sent.hN, cN: result.sent.cN)
    }

    /// Runs the network over `input` like `forward(input:lengths:h0:c0:batchFirst:options:)`,
    /// passing `output` to `receiver` as the pass finishes it
    /// (`OutputReceiver`) instead of returning it: a long output need not
    /// be all in memory at once (`rnnkit run` writes it to its file meanwhile).
    ///
    /// - Throws: `EngineError` for any input that does not fit, before any
    ///   work; the receiver's error, after the pass.
    public func forward(
        input: Tensor, lengths: [Int]? = nil, h0: Tensor? = nil, c0: Tensor? = nil, batchFirst: Bool = false,
        options: ExecutionOptions = .automatic, sendingOutputTo receiver: OutputReceiver
    ) throws -> RNNSentOutput {
        try run(input: input, lengths: lengths, h0: h0, c0: c0, batchFirst: batchFirst, options: options,
                receiver: receiver).sent
    }

    /// The checks and the pass both `forward`s share.
    private func run(input: Tensor, lengths: [Int]?, h0: Tensor?, c0: Tensor?, batchFirst: Bool,
                     options: ExecutionOptions, receiver: OutputReceiver?) throws -> NetworkPassResult {
        let plan = try SequencePlan(architecture: architecture, input: input, computeType: computeType,
                                    lengths: lengths, batchFirst: batchFirst)
        if architecture.variant.direction == .backwards, plan.sortedLengths.contains(where: { $0 < plan.steps }) {
            throw EngineError.backwardsWithUnequalLengths(module: ModulePath(name))
        }
        let h0 = try checkedState(h0, name: "h0", plan: plan, width: architecture.stateSize)
        if c0 != nil && architecture.mode != .lstm { throw EngineError.cellStateNotApplicable(mode: architecture.mode) }
        let c0 = try checkedState(c0, name: "c0", plan: plan, width: architecture.hiddenSize)
        try checkMemory(plan, options: options, sendsOutput: receiver != nil)
        switch weights {
        case .float32(let prepared, let packed):
            let runner = NetworkRunner(network: self, weights: prepared, plan: plan, packed: packed, options: options)
            return try runner.withBLASThreads { try runner.run(input: input, h0: h0, c0: c0, receiver: receiver) }
        case .float64(let prepared):
            let runner = NetworkRunner(network: self, weights: prepared, plan: plan, options: options)
            return try runner.withBLASThreads { try runner.run(input: input, h0: h0, c0: c0, receiver: receiver) }
        }
    }

    /// Refuses a call whose buffers (`WorkingMemory`: what the call really
    /// allocates) would not fit in memory, or whose matrices BLAS (32-bit
    /// dimensions) cannot index, before allocating anything.
    private func checkMemory(_ plan: SequencePlan, options: ExecutionOptions, sendsOutput: Bool) throws {
        let memory = WorkingMemory(architecture, plan: plan, computeType: computeType, options: options, sendsOutput: sendsOutput)
        let rows = plan.steps.multipliedReportingOverflow(by: plan.batch)
        // nil when counting the bytes overflows.
        guard !rows.overflow, let bytes = memory.bytes, bytes <= WorkingMemory.limit else {
            throw EngineError.workingMemory(steps: plan.steps, batch: plan.batch, bytes: rows.overflow ? nil : memory.bytes,
                                            physicalMemory: ProcessInfo.processInfo.physicalMemory)
        }
        if rows.partialValue > Int(Int32.max) {
            throw EngineError.tooManyRows(steps: plan.steps, batch: plan.batch)
        }
    }

    /// `state` if it has the shape PyTorch expects (cells may omit the leading 1).
    private func checkedState(_ state: Tensor?, name: String, plan: SequencePlan, width: Int) throws -> Tensor? {
        guard let state else { return nil }
        let count = architecture.numLayers * architecture.directions
        let expected = plan.stateShape(count: count, width: width)
        let isCellShorthand = architecture.kind == .cell && state.shape == Array(expected.dropFirst())
        guard state.shape == expected || isCellShorthand else {
            throw EngineError.stateShape(name: name, shape: state.shape, expected: expected, layers: architecture.numLayers,
                                         directions: architecture.directions, projected: name == "h0" && architecture.projSize > 0)
        }
        guard state.dtype.isFloatingPoint else { throw EngineError.stateDType(name: name, found: state.dtype) }
        return state
    }
}

extension RNNModule {
    /// Runs this module on `input`, computing in the input's dtype: a
    /// one-off `RNNNetwork(module:nonlinearity:computeType:)` plus `forward`.
    /// Prepare an `RNNNetwork` once instead to run many inputs.
    public func forward(
        input: Tensor, lengths: [Int]? = nil, h0: Tensor? = nil, c0: Tensor? = nil,
        batchFirst: Bool = false, nonlinearity: Nonlinearity = .tanh
    ) throws -> RNNOutput {
        guard let computeType = ComputeType(dtype: input.dtype) else {
            throw EngineError.inputDType(found: input.dtype, expected: nil)
        }
        let network = try RNNNetwork(module: self, nonlinearity: nonlinearity, computeType: computeType)
        return try network.forward(input: input, lengths: lengths, h0: h0, c0: c0, batchFirst: batchFirst)
    }
}
