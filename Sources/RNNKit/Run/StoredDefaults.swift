import Foundation
import RNNConvert
import RNNEngine
import TensorFiles

extension ModuleHints {
    /// The arguments of a forward pass with what the file stores filled in
    /// where the caller gives nothing: the initial state (an ONNX node's
    /// constant `initial_h`/`initial_c`, a `<module>.h0` tensor) and the
    /// sequence lengths (a constant `sequence_lens`, a `<module>.lengths`
    /// tensor). `rnnkit run` and ``RNNModel/forward(input:lengths:h0:c0:batchFirst:execution:)``
    /// both go through here, so the library and the tool compute the same numbers.
    ///
    /// - Parameter batch: the input's batch (nil for one unbatched sequence).
    /// - Throws: `StoredInputError` when a stored value is for another batch
    ///   (a stored state of batch 1 is broadcast, as ONNX does), or when the
    ///   graph computes the state from another module's outputs and none is given.
    package func filling(h0: Tensor?, c0: Tensor?, lengths: [Int]?, batch: Int?) throws
        -> (h0: Tensor?, c0: Tensor?, lengths: [Int]?)
    {
        var filled = (h0: h0, c0: c0, lengths: lengths)
        // A state the graph computes from another module's outputs has no default (zeros would be a guess).
        for case .stateComputed(_, _, let source, let option) in notes
        where (option == .h0 && filled.h0 == nil) || (option == .c0 && filled.c0 == nil) {
            throw StoredInputError.stateComputed(state: option == .c0 ? "c0" : "h0", source: source)
        }
        if filled.h0 == nil, let stored = storedState?.h0 { filled.h0 = try Self.state(stored, name: "h0", batch: batch) }
        if filled.c0 == nil, let stored = storedState?.c0 { filled.c0 = try Self.state(stored, name: "c0", batch: batch) }
        if filled.lengths == nil, let stored = self.lengths {
            guard stored.count == (batch ?? 1) else {
                throw StoredInputError.lengthsBatch(stored: stored.count, batch: batch ?? 1)
            }
            filled.lengths = stored
        }
        return filled
    }

    /// `state` for an input of `batch` sequences (nil: unbatched): as
    /// stored, broadcast from a stored batch of 1, or refused.
    private static func state(_ state: Tensor, name: String, batch: Int?) throws -> Tensor {
        let stored = state.shape[1]
        guard let batch else {
            guard stored == 1 else { throw StoredInputError.stateBatch(state: name, stored: stored, batch: nil) }
            return try Tensor(dtype: state.dtype, shape: [state.shape[0], state.shape[2]], data: state.data())
        }
        if stored == batch { return state }
        guard stored == 1 else { throw StoredInputError.stateBatch(state: name, stored: stored, batch: batch) }
        let data = try state.data()
        let row = data.count / max(1, state.shape[0])
        var broadcast = Data(capacity: data.count * batch)
        for index in 0 ..< state.shape[0] {
            let slice = data[data.startIndex + index * row ..< data.startIndex + (index + 1) * row]
            for _ in 0 ..< batch { broadcast.append(slice) }
        }
        return try Tensor(dtype: state.dtype, shape: [state.shape[0], batch, state.shape[2]], data: broadcast)
    }
}
