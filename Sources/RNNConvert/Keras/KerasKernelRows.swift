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
    /// (F16C when the CPU has it) after it is gathered.
    private let toHalves: Bool
    /// Keras column `c` is PyTorch row `sourceRow[c]`.
    private let sourceRow: [Int]

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
        sourceRow = (0 ..< rows).map { order[$0 / block] * block + $0 % block }
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
    /// the writing child: reads `source` only.
    func fill(_ first: Int, _ count: Int, _ buffer: UnsafeMutableRawBufferPointer) -> Bool {
        guard first >= 0, count >= 0, first + count <= columns, buffer.count >= count * rows * (toHalves ? 2 : itemSize) else { return false }
        guard count > 0, rows > 0 else { return true }
        source.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, let out = buffer.baseAddress else { return }
            if toHalves {
                let floats = UnsafeMutableRawPointer.allocate(byteCount: count * rows * 4, alignment: 64)
                defer { floats.deallocate() }
                gather(UInt32.self, base, floats, first, count)
                HalfPrecision.halves(fromFloats: floats, into: out, count: count * rows)
                return
            }
            switch itemSize {
            case 2: gather(UInt16.self, base, out, first, count)
            case 4: gather(UInt32.self, base, out, first, count)
            default: gather(UInt64.self, base, out, first, count)
            }
        }
        return true
    }

    /// out[r - first][c] = source[sourceRow[c]][r], in tiles of 32 Keras
    /// columns: the writes run along a band row, and the 32 source rows'
    /// cache lines being read stay in L1 while the band's rows go by
    /// (unaligned-safe loads and stores).
    @inline(__always)
    private func gather<T: FixedWidthInteger>(_: T.Type, _ base: UnsafeRawPointer, _ out: UnsafeMutableRawPointer, _ first: Int, _ count: Int) {
        let size = MemoryLayout<T>.size
        let tile = 32
        var starts = [Int](repeating: 0, count: tile)
        for tileStart in stride(from: 0, to: rows, by: tile) {
            let width = min(tile, rows - tileStart)
            for index in 0 ..< width { starts[index] = (sourceRow[tileStart + index] * columns + first) * size }
            starts.withUnsafeBufferPointer { starts in
                for offset in 0 ..< count {
                    let target = out + (offset * rows + tileStart) * size
                    for index in 0 ..< width {
                        let value = base.loadUnaligned(fromByteOffset: starts[index] + offset * size, as: T.self)
                        target.storeBytes(of: value, toByteOffset: index * size, as: T.self)
                    }
                }
            }
        }
    }
}
