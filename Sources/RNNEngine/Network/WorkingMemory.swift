import Foundation
import RNNLayouts

/// The memory a forward call allocates, counted the way `NetworkRunner` and
/// `ForwardBuffers` allocate it, so that `RNNNetwork.forward` refuses a call
/// that would not fit before allocating anything, and only such a call.
///
/// What grows with `T·B` (the rows): the output tensor (unless the output
/// goes to a receiver through a ring of chunks, `OutputRing`), the layer input in
/// processing order (unless layer 0 reads the caller's input in place), the
/// layer outputs between layers (the last layer writes the output tensor
/// when in place), and the input projection: the packed path keeps one
/// chunk of steps (`ProjectionChunking`, ~4 MB), the reference path the
/// whole sequence, per direction. What grows with `B` only: the workspaces'
/// states and the final states.
struct WorkingMemory: Equatable {
    /// Elements (of the compute type) the call allocates; nil when the count overflows `Int`.
    let elements: Int?
    /// Bytes the call allocates; nil when the count overflows `Int`.
    let bytes: Int?

    /// The limit a call's `bytes` must not exceed for the forward passes run
    /// inside `withValue` (tests); nil: half of the machine's physical memory.
    @TaskLocal static var limitOverride: Int?

    /// The limit in force: `limitOverride`, else half of the physical memory.
    static var limit: Int { limitOverride ?? Int(clamping: ProcessInfo.processInfo.physicalMemory / 2) }

    /// Whether a call with `plan` runs on the packed float32 path: PyTorch's
    /// cells, float32, kernels other than the reference path.
    static func packs(_ architecture: RNNArchitecture, computeType: ComputeType, options: ExecutionOptions) -> Bool {
        architecture.variant.isPyTorch && computeType == .float32 && options.kernelLevel != nil
    }

    /// Steps of input projection each direction's workspace holds: a chunk
    /// on the packed path, every step on the reference path.
    static func projectionSteps(_ architecture: RNNArchitecture, plan: SequencePlan, packs: Bool) -> Int {
        packs ? ProjectionChunking.steps(steps: plan.steps, batch: plan.batch, gateRows: architecture.gateRows,
                                         override: ProjectionChunking.stepsOverride)
            : plan.steps
    }

    /// What a call with `plan` allocates; `sendsOutput`: its output goes to a receiver.
    init(_ architecture: RNNArchitecture, plan: SequencePlan, computeType: ComputeType, options: ExecutionOptions,
         sendsOutput: Bool = false) {
        let a = architecture
        let packs = Self.packs(a, computeType: computeType, options: options)
        let inPlace = plan.readsInPlace
        let ring = OutputRing(a, plan: plan, packs: packs, sendsOutput: sendsOutput)
        // Per row of T·B: the output tensor (or none: the ring, below), the
        // layer input, the layer outputs, a merged pair of directions.
        var perRow = ring == nil ? a.outputSize : 0
        if !inPlace { perRow += a.inputSize }
        perRow += (inPlace ? min(2, a.numLayers - 1) : min(2, a.numLayers)) * a.outputSize
        if !packs && a.bidirectional && a.variant.merge != .concat { perRow += 2 * a.stateSize }
        // Per sequence: each direction's workspace beside its projection, the initial and final states.
        let workspace = (a.mode == .gru ? a.gateRows : 0) + (a.projSize > 0 || a.mode == .gru ? a.hiddenSize : 0)
            + a.stateSize + (a.mode == .lstm ? a.hiddenSize : 0)
        let states = 2 * a.numLayers * a.directions * (a.stateSize + (a.mode == .lstm ? a.hiddenSize : 0))
        let perSequence = a.directions * workspace + states
        // Per step, B rows each: the input projection's chunk per direction, the ring.
        let projection = a.directions * Self.projectionSteps(a, plan: plan, packs: packs) * a.gateRows
            + (ring.map { $0.steps * a.outputSize } ?? 0)

        let rows = plan.steps.multipliedReportingOverflow(by: plan.batch)
        let rowElements = rows.partialValue.multipliedReportingOverflow(by: perRow)
        let projectionElements = projection.multipliedReportingOverflow(by: plan.batch)
        let sum = rowElements.partialValue.addingReportingOverflow(projectionElements.partialValue)
        let total = sum.partialValue.addingReportingOverflow(plan.batch * perSequence)
        let overflow = rows.overflow || rowElements.overflow || projectionElements.overflow || sum.overflow || total.overflow
        elements = overflow ? nil : total.partialValue
        let scalar = computeType == .float32 ? 4 : 8
        let bytes = total.partialValue.multipliedReportingOverflow(by: scalar)
        self.bytes = overflow || bytes.overflow ? nil : bytes.partialValue
    }
}

extension SequencePlan {
    /// Whether the processing order is the caller's (no sequence moved, time
    /// the outer dimension): layer 0 then reads the input in place and the
    /// last layer writes the output tensor's bytes.
    var readsInPlace: Bool {
        order.enumerated().allSatisfy { $0.offset == $0.element } && (!batchFirst || batch == 1)
    }
}
