import Foundation

/// Every buffer one forward call needs: the layer input in processing
/// order, the two alternating layer outputs and one workspace per direction.
/// Tens of megabytes for large batches, so a network keeps the last set for
/// the next call of the same shape (`ForwardBufferPool`): allocating and
/// first touching them anew costs page faults on every call.
final class ForwardBuffers<S: EngineScalar> {
    /// Layer 0's input, (T·B, input_size).
    let layerInput: AlignedBuffer<S>
    /// Layer outputs, (T·B, directions·state); layers alternate between them.
    let outputs: [AlignedBuffer<S>]
    /// One per direction.
    let workspaces: [DirectionWorkspace<S>]

    init(_ network: RNNNetwork, plan: SequencePlan) {
        let a = network.architecture
        let rows = plan.steps * plan.batch
        layerInput = AlignedBuffer(zeros: rows * a.inputSize)
        outputs = [AlignedBuffer(zeros: rows * a.outputSize), AlignedBuffer(zeros: a.numLayers > 1 ? rows * a.outputSize : 0)]
        let shape = RNNModeShape(
            gateRows: a.gateRows, hiddenSize: a.hiddenSize, stateSize: a.stateSize,
            isGRU: a.mode == .gru, isLSTM: a.mode == .lstm, projects: a.projSize > 0)
        workspaces = (0 ..< a.directions).map { _ in DirectionWorkspace(mode: shape, plan: plan) }
    }

    /// Prepares reused buffers for a call: output rows past a sequence's
    /// length are never written, so they must start at zero when any
    /// sequence is shorter than T (every other element is overwritten).
    func reset(for plan: SequencePlan) {
        if plan.sortedLengths.contains(where: { $0 < plan.steps }) { outputs.forEach { $0.zero() } }
    }
}

/// One spare set of forward buffers per network, shared by its copies and
/// safe to use from several threads (a call that finds the spare taken or
/// of another shape allocates its own).
final class ForwardBufferPool: @unchecked Sendable {
    private let lock = NSLock()
    private var spare: (key: [Int], buffers: AnyObject)?

    /// Buffers for `plan`: the spare if it fits, else new ones.
    func take<S: EngineScalar>(_ network: RNNNetwork, plan: SequencePlan, as _: S.Type) -> ForwardBuffers<S> {
        let key = [plan.steps, plan.batch, MemoryLayout<S>.size]
        lock.lock()
        let found = spare
        if found?.key == key { spare = nil }
        lock.unlock()
        if found?.key == key, let buffers = found?.buffers as? ForwardBuffers<S> {
            buffers.reset(for: plan)
            return buffers
        }
        return ForwardBuffers(network, plan: plan)
    }

    /// Keeps `buffers` for the next call (replacing any older spare).
    func give<S: EngineScalar>(_ buffers: ForwardBuffers<S>, plan: SequencePlan) {
        lock.lock()
        spare = ([plan.steps, plan.batch, MemoryLayout<S>.size], buffers)
        lock.unlock()
    }
}
