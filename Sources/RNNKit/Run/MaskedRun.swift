import RNNEngine
import RNNLayouts
import TensorFiles

extension RNNNetwork {
    /// Runs the network as Keras runs it behind `mask` (`MaskedForward`):
    /// the mask computed from the input (`Masking`), or given by `lengths`
    /// (a mask made upstream, `Embedding(mask_zero=True)`); without a mask,
    /// the plain forward pass with `lengths` as PyTorch's packed lengths.
    ///
    /// - Throws: `StoredInputError` when the mask and the lengths do not go
    ///   together or the mask cannot be computed; `EngineError` for an
    ///   argument that does not fit.
    func forward(input: Tensor, lengths: [Int]?, h0: Tensor?, c0: Tensor?, batchFirst: Bool, mask: InputMask?,
                 options: ExecutionOptions) throws -> RNNOutput {
        guard let mask else {
            return try forward(input: input, lengths: lengths, h0: h0, c0: c0, batchFirst: batchFirst, options: options)
        }
        let kept: [[Bool]]
        switch mask.source {
        case .refused(let reason):
            throw StoredInputError.maskRefused(reason: reason)
        case .maskValue(let value):
            if lengths != nil { throw StoredInputError.secondMask(layer: mask.layer) }
            kept = try MaskedForward.keptSteps(input: input, maskValue: value, batchFirst: batchFirst)
        case .lengths:
            guard let lengths else { throw StoredInputError.maskNeedsLengths(layer: mask.layer) }
            kept = try MaskedForward.keptSteps(lengths: lengths, input: input, batchFirst: batchFirst)
        }
        return try MaskedForward.forward(self, input: input, kept: kept, h0: h0, c0: c0, batchFirst: batchFirst,
                                         zeroOutput: mask.zeroOutput, options: options)
    }

    /// The same pass, passing the output to `receiver` (`OutputReceiver`):
    /// as it is finished without a mask, once complete behind one.
    func forward(input: Tensor, lengths: [Int]?, h0: Tensor?, c0: Tensor?, batchFirst: Bool, mask: InputMask?,
                 options: ExecutionOptions, sendingOutputTo receiver: OutputReceiver) throws -> RNNSentOutput {
        guard mask != nil else {
            return try forward(input: input, lengths: lengths, h0: h0, c0: c0, batchFirst: batchFirst, options: options,
                               sendingOutputTo: receiver)
        }
        let result = try forward(input: input, lengths: lengths, h0: h0, c0: c0, batchFirst: batchFirst, mask: mask,
                                 options: options)
        try receiver.receiveWhole(result.output)
        return RNNSentOutput(sent: result)
    }
}
