import Foundation
import RNNLayouts
import TensorFiles

/// A Keras kernel `(input, gates·hidden)` produced row band by row band from
/// the PyTorch weight `(gates·hidden, input)` it is the transpose of, gate
/// blocks reordered (`KerasLayout.pytorchBlock(forKerasBlock:)`): what
/// `KerasLayout.kerasVariables` computes whole, written by the HDF5 child a
/// band at a time (`HDF5Writer.writeDataset(_:dtype:shape:rows:)`).
struct KerasKernelRows {
    private let source: Data
    private let rows: Int  // gates·hidden: PyTorch's rows, Keras's columns
    private let columns: Int  // input: PyTorch's columns, Keras's rows
    private let itemSize: Int  // of `source`
    /// `source` is float32 and the kernel float16: each band is converted
    /// as it is gathered (F16C when the CPU has it).
    private let toHalves: Bool
    /// Keras column `c` starts at byte `rowStarts[c]` of `source` (PyTorch
    /// row `KerasLayout.pytorchBlock(forKerasBlock:)`-reordered).
    private let rowStarts: [Int]

    /// The rows of the kernel of `weight`, in the file's dtype: `weight`'s
    /// own, or, for a pending float32 → float16 conversion
    /// (`convertedWhenWritten`), converted band by band from the float32
    /// source, never whole.
    init(_ weight: Tensor, mode: RNNMode) throws {
        precondition(weight.shape.count == 2, "a PyTorch weight is a matrix")
        var stored = weight
        if weight.dtype == .float16, let pending = weight.conversionSource, pending.dtype == .float32 { stored = pending }
        toHalves = stored.dtype != weight.dtype
        source = try stored.data()
        guard source.count == stored.byteCount else {
            throw TensorFileError(file: "(memory)", .sizeMismatch(expected: stored.byteCount, actual: source.count))
        }
        rows = weight.shape[0]
        columns = weight.shape[1]
        itemSize = stored.dtype.itemSize
        let order = KerasLayout.pytorchBlock(forKerasBlock: mode)
        let block = rows / order.count
        let columns = self.columns, itemSize = self.itemSize
        rowStarts = (0 ..< rows).map { (order[$0 / block] * block + $0 % block) * columns * itemSize }
    }

    /// The bytes of a band the writer should ask `fill` for: 256 Keras rows
    /// (each PyTorch row read 256 elements at a time, so that the reads of
    /// the 4·hidden rows a band needs, each a page apart, are amortized:
    /// filling 1 MiB bands of a 2896-wide LSTM — 22 rows — took 2.5× as
    /// long on Zen 1), at most 16 MiB, at least 1 MiB (or one row).
    var bandBytes: Int {
        let rowBytes = rows * (toHalves ? 2 : itemSize)
        return min(max(256 * rowBytes, 1 << 20), max(16 << 20, rowBytes))
    }

    /// A Keras kernel whose bytes are computed (whole) only if asked for:
    /// writers fill it with `KerasKernelRows` instead.
    static func deferred(_ weight: Tensor, mode: RNNMode) -> Tensor {
        Tensor(dtype: weight.dtype, shape: [weight.shape[1], weight.shape[0]]) {
            let parameters = KerasLayout.Parameters(weightIH: weight, weightHH: weight, biases: nil)
            return try KerasLayout.kerasVariables(parameters, mode: mode).kernel.data()
        }
    }

    /// Writes Keras rows `first ..< first + count` into `buffer`. Runs in
    /// the writing child: reads `source` only. `vectorized: false` keeps
    /// `ColumnGather` on its portable loop (tests compare the two).
    func fill(_ first: Int, _ count: Int, _ buffer: UnsafeMutableRawBufferPointer) -> Bool {
        fill(first, count, buffer, vectorized: true)
    }

    func fill(_ first: Int, _ count: Int, _ buffer: UnsafeMutableRawBufferPointer, vectorized: Bool) -> Bool {
        guard first >= 0, count >= 0, first + count <= columns, buffer.count >= count * rows * (toHalves ? 2 : itemSize) else { return false }
        guard count > 0, rows > 0 else { return true }
        source.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, let out = buffer.baseAddress else { return }
            // Keras row r is PyTorch column r: element `first` of each column's run onwards.
            let start = base + first * itemSize
            rowStarts.withUnsafeBufferPointer { starts in
                if toHalves {
                    ColumnGather.gatherHalves(fromFloats: start, starts: starts, count: count, into: out, vectorized: vectorized)
                    return
                }
                ColumnGather.gather(start, starts: starts, count: count, itemSize: itemSize, into: out, vectorized: vectorized)
            }
        }
        return true
    }
}
