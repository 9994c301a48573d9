import RNNEngine
import RNNLayouts
import TensorFiles

extension RNNNetwork {
    /// Runs the network as Keras runs it behind `mask` (`MaskedForward`):
    /// the mask computed from the input (`Masking`), or given by `lengths`
    /// (a mask made upstream, `Embedding(mask_zero=True)`); without a mask,
    /// the plain forward pass with `lengths` as PyTorch's packed lengths.
    /// `receiver` takes the output (`OutputReceiver`; a masked pass's when it is complete).
    ///
    /// - Throws: `StoredInputError` when the mask and the lengths do not go
    ///   together or the mask cannot be computed; `EngineError` for an
    ///   argument that does not fit.
    func forward(input: Tensor, lengths: [Int]?, h0: Tensor?, c0: Tensor?, batchFirst: Bool, mask: InputMask?,
                 options: ExecutionOptions, receiver: OutputReceiver? = nil) throws -> RNNOutput {
        guard let mask else {
            return try forward(input: input, lengths: lengths, h0: h0, c0: c0, batchFirst: batchFirst, options: options,
                               receiver: receiver)
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
        let result = try MaskedForward.forward(self, input: input, kept: kept, h0: h0, c0: c0, batchFirst: batchFirst,
                                               zeroOutput: mask.zeroOutput, options: options)
        try receiver?.receiveWhole(result.output)
        return result
    }
}
