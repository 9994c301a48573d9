import RNNLayouts
import TensorFiles

/// Takes a forward pass's `output` while the pass computes it: `rnnkit run`
/// writes it to its file as the steps are finished, so that the disk writes
/// while the engine computes instead of all of it after the last step.
///
/// The engine first calls `begin(shape:dtype:)` with the output tensor's
/// shape and dtype, then `receive(_:)` with consecutive pieces of that
/// tensor's bytes, in order, each exactly once, all of them before
/// `forward(…sendingOutputTo:)` returns. Pieces come early where the last
/// layer's output rows are final before the pass ends (a unidirectional last
/// layer on the packed path whose rows are the caller's: every chunk of
/// steps); otherwise all at the end. The engine keeps no copy: where the
/// pieces come early and every sequence has all T steps, the last layer
/// writes into a ring of a few chunks (`OutputRing`) rather than a tensor of
/// all T steps, so a long output is never all in memory at once. A piece's
/// bytes are valid only during `receive`.
public protocol OutputReceiver: AnyObject {
    /// The output tensor's shape and dtype, before any of its bytes.
    func begin(shape: [Int], dtype: DType) throws
    /// The next `bytes` of the output tensor.
    func receive(_ bytes: UnsafeRawBufferPointer) throws
}

extension OutputReceiver {
    /// Passes a finished `tensor` whole: `begin` and every byte.
    public func receiveWhole(_ tensor: Tensor) throws {
        try begin(shape: tensor.shape, dtype: tensor.dtype)
        try tensor.forEachPiece { try receive($0) }
    }
}

/// What a forward pass that sent its output to an `OutputReceiver` returns:
/// the output's shape and dtype (its bytes went to the receiver, see
/// `RNNOutput.output` for what they are), `h_n` and `c_n`.
public struct RNNSentOutput: Sendable {
    /// The shape of the output the receiver was given.
    public var outputShape: [Int]
    /// Its dtype: the compute dtype.
    public var outputDType: DType
    /// `h_n`, as in `RNNOutput.hN`.
    public var hN: Tensor
    /// `c_n` for an LSTM, as in `RNNOutput.cN`; nil otherwise.
    public var cN: Tensor?

    /// Creates a result.
    public init(outputShape: [Int], outputDType: DType, hN: Tensor, cN: Tensor?) {
        self.outputShape = outputShape
        self.outputDType = outputDType
        self.hN = hN
        self.cN = cN
    }

    /// The states of `output`, whose `output` went whole to a receiver.
    public init(sent output: RNNOutput) {
        self.init(outputShape: output.output.shape, outputDType: output.output.dtype, hN: output.hN, cN: output.cN)
    }
}

/// The last layer's output rows as a ring of `chunks` chunks of steps
/// (`ProjectionChunking`'s) instead of all T steps: step t in slot
/// t mod `steps`. For a pass whose output goes to a receiver chunk by chunk
/// (a unidirectional last layer on the packed path, rows in the caller's
/// order), so that its output is never all in memory, nor touched for the
/// first time (page faults at every step of a long output). The rows past a
/// shorter sequence's end are never written and its final state is read from
/// its last step, so every sequence must have all T steps.
struct OutputRing: Equatable {
    /// Chunks of steps the ring holds: while member 0 sends one, the others
    /// may write the next.
    static let chunkCount = 2
    /// Chunks the ring holds.
    let chunks: Int
    /// Steps the ring holds.
    let steps: Int

    /// The ring of a pass whose output goes to a receiver (`sendsOutput`):
    /// nil unless the last layer is unidirectional on the packed path
    /// (`packs`) in the caller's order, every sequence has all T steps, and
    /// the ring holds fewer steps than T.
    init?(_ architecture: RNNArchitecture, plan: SequencePlan, packs: Bool, sendsOutput: Bool) {
        guard sendsOutput, packs, plan.readsInPlace, architecture.directions == 1,
              plan.sortedLengths.allSatisfy({ $0 == plan.steps }) else { return nil }
        let chunkSteps = WorkingMemory.projectionSteps(architecture, plan: plan, packs: packs)
        let (steps, overflow) = chunkSteps.multipliedReportingOverflow(by: Self.chunkCount)
        guard chunkSteps > 0, !overflow, steps < plan.steps else { return nil }
        chunks = Self.chunkCount
        self.steps = steps
    }
}

/// The bytes of one output tensor going to an `OutputReceiver` as the steps
/// finish, from a tensor of every step or a ring (`OutputRing`). A
/// receiver's error (a full disk) stops the sending; the pass goes on, and
/// `finish()` throws it.
final class OutputSending {
    private let receiver: OutputReceiver
    private let base: UnsafeRawPointer
    private let byteCount: Int
    private let stepBytes: Int
    /// Bytes at `base`: every step's, or the ring's.
    private let heldBytes: Int
    private var sent = 0
    private var failure: Error?

    /// The output at `base`, `steps` steps of `stepBytes` bytes each; `base`
    /// holds all of them, or a ring of `heldSteps` (step t in slot t mod `heldSteps`).
    init(_ receiver: OutputReceiver, base: UnsafeRawPointer, steps: Int, stepBytes: Int, heldSteps: Int? = nil) {
        self.receiver = receiver
        self.base = base
        self.stepBytes = stepBytes
        byteCount = steps * stepBytes
        heldBytes = heldSteps.map { $0 * stepBytes } ?? byteCount
    }

    /// Every step below `step` is final: sends what was not sent yet.
    func finished(below step: Int) {
        send(upTo: min(byteCount, step * stepBytes))
    }

    /// Sends the rest; throws the receiver's first error.
    func finish() throws {
        send(upTo: byteCount)
        if let failure { throw failure }
    }

    /// Sends bytes `sent ..< end`, in one piece, or two where they wrap around the ring.
    private func send(upTo end: Int) {
        while failure == nil, end > sent, heldBytes > 0 {
            let offset = sent % heldBytes
            let count = min(end - sent, heldBytes - offset)
            do {
                try receiver.receive(UnsafeRawBufferPointer(start: base + offset, count: count))
                sent += count
            } catch {
                failure = error
            }
        }
    }
}
