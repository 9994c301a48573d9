import RNNLayouts
import TensorFiles

/// Runs a network the way Keras runs a recurrent layer behind a mask: masked
/// steps are skipped (the state is carried through them), and a masked step
/// outputs zeros or repeats the previous step's output (`InputMask.zeroOutput`).
///
/// Skipping steps is the same as running each sequence with its unmasked
/// steps alone, moved to the front: every layer and direction then sees
/// exactly the steps Keras processes, in the same order (the backward
/// direction from the last unmasked step down). So the network runs on that
/// compacted input with per-sequence lengths (PyTorch's packed rule, which
/// `h_n`/`c_n` already follow), and the outputs are put back in place.
/// A sequence with no unmasked step keeps its initial state and outputs zeros.
package enum MaskedForward {
    /// Which steps of a (B, T, F) or (T, B, F) input are kept: `kept[b][t]`.
    package static func keptSteps(input: Tensor, maskValue: Double, batchFirst: Bool) throws -> [[Bool]] {
        let (batch, steps, features) = try dimensions(input, batchFirst: batchFirst)
        let values = try input.doubles()
        // Keras compares in the input's dtype: the mask value rounded to it.
        let target = input.dtype == .float32 ? Double(Float(maskValue)) : maskValue
        return (0 ..< batch).map { b in
            (0 ..< steps).map { t in
                let start = offset(b, t, batch: batch, steps: steps, batchFirst: batchFirst) * features
                return values[start ..< start + features].contains { $0 != target }
            }
        }
    }

    /// The kept steps for `lengths` (a mask made before the module: steps
    /// before each length are kept). Lengths may be 0 (nothing kept) up to T.
    package static func keptSteps(lengths: [Int], input: Tensor, batchFirst: Bool) throws -> [[Bool]] {
        let (batch, steps, _) = try dimensions(input, batchFirst: batchFirst)
        guard lengths.count == batch else { throw EngineError.lengthsCount(found: lengths.count, batch: batch) }
        for (index, length) in lengths.enumerated() where !(0 ... steps).contains(length) {
            throw EngineError.maskLengthOutOfRange(index: index, value: length, steps: steps)
        }
        return lengths.map { length in (0 ..< steps).map { $0 < length } }
    }

    /// Runs `network` on `input`, skipping the steps `kept` leaves out.
    package static func forward(_ network: RNNNetwork, input: Tensor, kept: [[Bool]], h0: Tensor?, c0: Tensor?, batchFirst: Bool,
                        zeroOutput: Bool, options: ExecutionOptions) throws -> RNNOutput {
        let (batch, steps, features) = try dimensions(input, batchFirst: batchFirst)
        let counts = kept.map { $0.filter { $0 }.count }
        let width = max(counts.max() ?? 1, 1)
        let values = try input.doubles()
        var compacted = [Double](repeating: 0, count: batch * width * features)
        var positions: [[Int]] = []  // positions[b][j]: the step of compacted step j
        for b in 0 ..< batch {
            let kept = (0 ..< steps).filter { kept[b][$0] }
            for (j, t) in kept.enumerated() {
                let from = offset(b, t, batch: batch, steps: steps, batchFirst: batchFirst) * features
                compacted.replaceSubrange((b * width + j) * features ..< (b * width + j + 1) * features,
                                          with: values[from ..< from + features])
            }
            positions.append(kept)
        }
        let result = try network.forward(input: tensor(compacted, shape: [batch, width, features], like: input.dtype),
                                         lengths: counts.map { max($0, 1) }, h0: h0, c0: c0, batchFirst: true, options: options)
        let outputWidth = result.output.shape[2]
        // Merged directions (Keras merge_mode sum/mul/ave) share each output row: a kept step copies
        // its row, a masked one is zero; repeating each half from another step cannot be merged afterwards.
        let merged = network.architecture.bidirectional && network.architecture.variant.merge != .concat
        if merged && !zeroOutput {
            throw EngineError.maskAfterMerge(merge: network.architecture.variant.merge)
        }
        let directions = network.architecture.bidirectional && !merged ? 2 : 1
        let half = outputWidth / directions
        let packed = try result.output.doubles()
        var output = [Double](repeating: 0, count: batch * steps * outputWidth)
        for b in 0 ..< batch where counts[b] > 0 {
            // At a kept step its own output; at a masked one zeros, or the output of the last kept
            // step before it (forward half) or of the first kept step after it (backward half).
            var previous = [Int](repeating: -1, count: steps), next = [Int](repeating: -1, count: steps)
            var j = -1
            for t in 0 ..< steps {
                if kept[b][t] { j += 1 }
                previous[t] = kept[b][t] || !zeroOutput ? j : -1
            }
            j = counts[b]
            for t in stride(from: steps - 1, through: 0, by: -1) {
                if kept[b][t] { j -= 1 }
                next[t] = kept[b][t] || (!zeroOutput && j < counts[b]) ? j : -1
            }
            for t in 0 ..< steps {
                let to = offset(b, t, batch: batch, steps: steps, batchFirst: batchFirst) * outputWidth
                for direction in 0 ..< directions {
                    let source = direction == 0 ? previous[t] : next[t]
                    guard source >= 0 else { continue }
                    let from = (b * width + source) * outputWidth + direction * half
                    output.replaceSubrange(to + direction * half ..< to + (direction + 1) * half, with: packed[from ..< from + half])
                }
            }
        }
        let shape = batchFirst ? [batch, steps, outputWidth] : [steps, batch, outputWidth]
        let empty = (0 ..< batch).filter { counts[$0] == 0 }
        return RNNOutput(output: try tensor(output, shape: shape, like: input.dtype),
                         hN: try restored(result.hN, rows: empty, initial: h0),
                         cN: try result.cN.map { try restored($0, rows: empty, initial: c0) })
    }

    /// `state` (layers·directions, B, width) with the sequences in `rows`
    /// reset to their initial state (zeros without one).
    private static func restored(_ state: Tensor, rows: [Int], initial: Tensor?) throws -> Tensor {
        guard !rows.isEmpty, state.shape.count == 3 else { return state }
        var values = try state.doubles()
        let initialValues = try initial?.doubles()
        let (slices, batch, width) = (state.shape[0], state.shape[1], state.shape[2])
        for slice in 0 ..< slices {
            for b in rows {
                for k in 0 ..< width {
                    let at = (slice * batch + b) * width + k
                    values[at] = initialValues?[at] ?? 0
                }
            }
        }
        return try tensor(values, shape: state.shape, like: state.dtype)
    }

    private static func dimensions(_ input: Tensor, batchFirst: Bool) throws -> (batch: Int, steps: Int, features: Int) {
        guard input.shape.count == 3 else {
            throw EngineError.maskedInputRank(shape: input.shape)
        }
        guard input.elementCount > 0 else { throw EngineError.emptyInput(shape: input.shape) }
        return batchFirst ? (input.shape[0], input.shape[1], input.shape[2]) : (input.shape[1], input.shape[0], input.shape[2])
    }

    private static func offset(_ b: Int, _ t: Int, batch: Int, steps: Int, batchFirst: Bool) -> Int {
        batchFirst ? b * steps + t : t * batch + b
    }

    private static func tensor(_ values: [Double], shape: [Int], like dtype: DType) throws -> Tensor {
        dtype == .float64 ? Tensor(shape: shape, doubles: values) : Tensor(shape: shape, floats: values.map(Float.init))
    }
}
