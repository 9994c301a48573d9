import TensorFiles

/// Takes a forward pass's `output` while the pass computes it: `rnnkit run`
/// writes it to its file as the steps are finished, so that the disk writes
/// while the engine computes instead of all of it after the last step.
///
/// The engine first calls `begin(shape:dtype:)` with the output tensor's
/// shape and dtype (those of `RNNOutput.output`), then `receive(_:)` with
/// consecutive pieces of that tensor's bytes, in order, each exactly once,
/// all of them before `forward` returns. Pieces come early where the last
/// layer's output rows are final before the pass ends (a unidirectional last
/// layer on the packed path whose rows are the caller's: every chunk of
/// steps); otherwise all at the end. The returned `RNNOutput` holds the same
/// bytes.
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

/// The bytes of one output tensor going to an `OutputReceiver` as the steps
/// finish. A receiver's error (a full disk) stops the sending; the pass
/// goes on, and `finish()` throws it.
final class OutputSending {
    private let receiver: OutputReceiver
    private let base: UnsafeRawPointer
    private let byteCount: Int
    private let stepBytes: Int
    private var sent = 0
    private var failure: Error?

    /// The output at `base`, `steps` steps of `stepBytes` bytes each.
    init(_ receiver: OutputReceiver, base: UnsafeRawPointer, steps: Int, stepBytes: Int) {
        self.receiver = receiver
        self.base = base
        self.stepBytes = stepBytes
        byteCount = steps * stepBytes
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

    private func send(upTo end: Int) {
        guard failure == nil, end > sent else { return }
        do {
            try receiver.receive(UnsafeRawBufferPointer(start: base + sent, count: end - sent))
            sent = end
        } catch {
            failure = error
        }
    }
}
