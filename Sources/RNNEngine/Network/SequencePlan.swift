import RNNLayouts
import TensorFiles

/// The shape of one forward call, checked against the module: time steps,
/// batch, and the order the runner processes sequences in.
///
/// Like PyTorch's `pack_padded_sequence(enforce_sorted=False)`, the runner
/// sorts the batch by decreasing length, so that the sequences still running
/// at step `t` are the first `activeCount[t]` rows; results are put back in
/// the caller's order at the end.
struct SequencePlan: Equatable {
    /// Time steps `T`.
    let steps: Int
    /// Sequences `B` (1 for an unbatched input).
    let batch: Int
    /// False for a 2-D `(T, features)` input, which PyTorch treats as one
    /// sequence and answers without the batch dimension.
    let batched: Bool
    /// Whether input and output are `(B, T, …)`.
    let batchFirst: Bool
    /// `order[p]` is the caller's index of the sequence processed at row `p`.
    let order: [Int]
    /// Lengths in processing order (decreasing).
    let sortedLengths: [Int]
    /// How many sequences are still running at each step (PyTorch's `batch_sizes`).
    let activeCount: [Int]

    /// Checks `input` and `lengths` against `architecture` and plans the call.
    init(architecture: RNNArchitecture, input: Tensor, computeType: ComputeType,
         lengths: [Int]?, batchFirst: Bool) throws {
        guard input.dtype == computeType.dtype else {
            throw EngineError.inputDType(found: input.dtype, expected: ComputeType(dtype: input.dtype) == nil ? nil : computeType)
        }
        let shape = input.shape
        guard shape.count == 3 || shape.count == 2 else {
            throw EngineError.inputRank(shape: shape, inputSize: architecture.inputSize, batchFirst: batchFirst)
        }
        guard shape[shape.count - 1] == architecture.inputSize else {
            throw EngineError.featureSize(shape: shape, found: shape[shape.count - 1], expected: architecture.inputSize)
        }
        batched = shape.count == 3
        self.batchFirst = batched && batchFirst
        steps = batched ? shape[self.batchFirst ? 1 : 0] : shape[0]
        batch = batched ? shape[self.batchFirst ? 0 : 1] : 1
        guard steps >= 1, batch >= 1 else { throw EngineError.emptyInput(shape: shape) }

        let lengths = lengths ?? [Int](repeating: steps, count: batch)
        guard lengths.count == batch else { throw EngineError.lengthsCount(found: lengths.count, batch: batch) }
        for (index, length) in lengths.enumerated() where !(1 ... steps).contains(length) {
            throw EngineError.lengthOutOfRange(index: index, value: length, steps: steps)
        }
        // Stable sort by decreasing length, as PyTorch's sorted_indices.
        order = lengths.indices.sorted { lengths[$0] != lengths[$1] ? lengths[$0] > lengths[$1] : $0 < $1 }
        sortedLengths = order.map { lengths[$0] }
        let sorted = sortedLengths
        activeCount = (0 ..< steps).map { t in sorted.firstIndex { $0 <= t } ?? sorted.count }
    }

    /// The shape PyTorch gives a per-layer state (`h0`, `h_n`, `c0`, `c_n`)
    /// of `width` features for `count` layer·directions.
    func stateShape(count: Int, width: Int) -> [Int] {
        batched ? [count, batch, width] : [count, width]
    }

    /// The shape of `output` with `width` features per step.
    func outputShape(width: Int) -> [Int] {
        guard batched else { return [steps, width] }
        return batchFirst ? [batch, steps, width] : [steps, batch, width]
    }

    /// Offset (in elements) of step `t` of the caller's sequence `b` in an
    /// input or output tensor with `width` features per step.
    func externalOffset(step t: Int, sequence b: Int, width: Int) -> Int {
        (batchFirst ? b * steps + t : t * batch + b) * width
    }
}

extension RNNNetwork {
    /// The lengths held in a tensor (a `lengths.npy`): integers, one per sequence.
    ///
    /// - Throws: `EngineError.lengthsNotIntegers` for a float or bool tensor,
    ///   `EngineError.lengthsShape` unless the tensor is one-dimensional.
    ///   Counts and ranges are checked by `forward`.
    public static func lengths(from tensor: Tensor) throws -> [Int] {
        guard tensor.dtype.isInteger else { throw EngineError.lengthsNotIntegers(found: tensor.dtype) }
        guard tensor.shape.count == 1 else { throw EngineError.lengthsShape(shape: tensor.shape) }
        return try tensor.int64s().map { Int(clamping: $0) }
    }
}
