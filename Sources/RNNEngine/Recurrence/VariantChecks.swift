import RNNLayouts
import TensorFiles

/// The layer-level steps a cell that is not PyTorch's (`CellVariant`) adds:
/// merging the directions, reversing a `go_backwards` output. (Its options
/// are checked by `ModuleValidation` before the module runs.)
enum VariantChecks {
    /// Combines a bidirectional layer's `[forward, backward]` rows (each
    /// `2·state` wide) into `output` (`state` wide) by `merge`.
    static func merge<S: EngineScalar>(_ merge: DirectionMerge, rows: Int, state: Int, from both: UnsafePointer<S>,
                                       into output: UnsafeMutablePointer<S>) {
        for row in 0 ..< rows {
            let forward = both + row * 2 * state, backward = forward + state
            let target = output + row * state
            for j in 0 ..< state {
                switch merge {
                case .concat, .sum: target[j] = forward[j] + backward[j]
                case .mul: target[j] = forward[j] * backward[j]
                case .ave: target[j] = (forward[j] + backward[j]) / 2
                }
            }
        }
    }

    /// Reverses the step order of a layer output (T·B rows of `width`), for
    /// Keras `go_backwards=True`, whose outputs come in reading order.
    static func reverseSteps<S: EngineScalar>(_ values: UnsafeMutablePointer<S>, steps: Int, batch: Int, width: Int) {
        let block = batch * width
        for t in 0 ..< steps / 2 {
            let a = values + t * block, b = values + (steps - 1 - t) * block
            for k in 0 ..< block { swap(&a[k], &b[k]) }
        }
    }
}
