import Foundation

/// Every buffer one forward call needs: the layer input in processing
/// order, the two alternating layer outputs and one workspace per direction.
/// Tens of megabytes for large batches, so a network keeps the last set for
/// the next call of the same shape (`ForwardBufferPool`): allocating and
/// first touching them anew costs page faults on every call. The layer input
/// and outputs are allocated when first asked for: a call that reads the
/// caller's input in place, or writes its last layer straight into the
/// output tensor, never needs them.
final class ForwardBuffers<S: EngineScalar> {
    private let rows: Int
    private let inputSize: Int
    private let outputSize: Int
    private var outputBuffers: [AlignedBuffer<S>?] = [nil, nil]

    /// Layer 0's input, (T·B, input_size).
    private(set) lazy var layerInput = AlignedBuffer<S>(zeros: rows * inputSize)
    /// One per direction.
    let workspaces: [DirectionWorkspace<S>]
    /// Steps each workspace's projection holds.
    let projectionSteps: Int

    init(_ network: RNNNetwork, plan: SequencePlan, projectionSteps: Int) {
        let a = network.architecture
        rows = plan.steps * plan.batch
        inputSize = a.inputSize
        outputSize = a.outputSize
        self.projectionSteps = projectionSteps
        let shape = RNNModeShape(
            gateRows: a.gateRows, hiddenSize: a.hiddenSize, stateSize: a.stateSize,
            isGRU: a.mode == .gru, isLSTM: a.mode == .lstm, projects: a.projSize > 0)
        workspaces = (0 ..< a.directions).map { _ in DirectionWorkspace(mode: shape, plan: plan, projectionSteps: projectionSteps) }
    }

    /// Layer output buffer `index` (0 or 1; layers alternate), (T·B, directions·state).
    func output(_ index: Int) -> AlignedBuffer<S> {
        if let buffer = outputBuffers[index] { return buffer }
        let buffer = AlignedBuffer<S>(zeros: rows * outputSize)
        outputBuffers[index] = buffer
        return buffer
    }

    /// Prepares reused buffers for a call: output rows past a sequence's
    /// length are never written, so they must start at zero when any
    /// sequence is shorter than T (every other element is overwritten).
    func reset(for plan: SequencePlan) {
        if plan.sortedLengths.contains(where: { $0 < plan.steps }) { outputBuffers.forEach { $0?.zero() } }
    }
}

/// One spare set of forward buffers per network, shared by its copies and
/// safe to use from several threads (a call that finds the spare taken or
/// of another shape allocates its own).
final class ForwardBufferPool: @unchecked Sendable {
    private let lock = NSLock()
    private var spare: (key: [Int], buffers: AnyObject)?

    /// Buffers for `plan` with projections of `projectionSteps` steps: the spare if it fits, else new ones.
    func take<S: EngineScalar>(_ network: RNNNetwork, plan: SequencePlan, projectionSteps: Int, as _: S.Type) -> ForwardBuffers<S> {
        let key = Self.key(plan, projectionSteps: projectionSteps, S.self)
        lock.lock()
        let found = spare
        if found?.key == key { spare = nil }
        lock.unlock()
        if found?.key == key, let buffers = found?.buffers as? ForwardBuffers<S> {
            buffers.reset(for: plan)
            return buffers
        }
        return ForwardBuffers(network, plan: plan, projectionSteps: projectionSteps)
    }

    /// Keeps `buffers` for the next call (replacing any older spare).
    func give<S: EngineScalar>(_ buffers: ForwardBuffers<S>, plan: SequencePlan) {
        lock.lock()
        spare = (Self.key(plan, projectionSteps: buffers.projectionSteps, S.self), buffers)
        lock.unlock()
    }

    private static func key<S>(_ plan: SequencePlan, projectionSteps: Int, _: S.Type) -> [Int] {
        [plan.steps, plan.batch, projectionSteps, MemoryLayout<S>.size]
    }
}
