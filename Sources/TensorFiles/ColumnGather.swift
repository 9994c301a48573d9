import CTensorKernels

/// A transposing gather: builds rows of `columns` elements whose column `c`
/// comes from its own run of `count` consecutive source elements, so that
/// row `i` holds element `i` of every column's run. The Keras kernel writer
/// (`KerasKernelRows` in RNNConvert) fills each row band of a kernel this
/// way from the PyTorch weight it transposes, gate blocks reordered.
/// 4-byte elements use AVX2 (8×8 tiles transposed in registers) when the CPU
/// has it (and F16C, which `gatherHalves` converts with); the portable loop
/// gives the same bytes everywhere else.
public enum ColumnGather {
    /// For every column `c < starts.count` and `i < count`: the `itemSize`
    /// bytes at `base + starts[c] + i·itemSize` go to `out + (i·starts.count
    /// + c)·itemSize`. `itemSize` is 2, 4 or 8; pointers may be unaligned;
    /// nothing outside the `count` elements of each run is read. With
    /// `vectorized: false` the portable loop runs even when the CPU has AVX2
    /// (tests compare the two).
    public static func gather(
        _ base: UnsafeRawPointer, starts: UnsafeBufferPointer<Int>, count: Int, itemSize: Int,
        into out: UnsafeMutableRawPointer, vectorized: Bool = true
    ) {
        precondition([2, 4, 8].contains(itemSize), "2-, 4- or 8-byte elements")
        let columns = starts.count
        guard columns > 0, count > 0, let first = starts.baseAddress else { return }
        if vectorized, itemSize == 4, rk_avx2_gather_columns32(base, first, columns, count, out) != 0 { return }
        switch itemSize {
        case 2: portable(UInt16.self, base, starts, count, out)
        case 4: portable(UInt32.self, base, starts, count, out)
        default: portable(UInt64.self, base, starts, count, out)
        }
    }

    /// `gather` of float32 runs, each value stored as float16 (2 bytes at
    /// `out + (i·starts.count + c)·2`), converted as
    /// `HalfPrecision.halves(fromFloats:…)` does: in registers with AVX2 and
    /// F16C, else gathered into a scratch buffer and converted.
    public static func gatherHalves(
        fromFloats base: UnsafeRawPointer, starts: UnsafeBufferPointer<Int>, count: Int,
        into out: UnsafeMutableRawPointer, vectorized: Bool = true
    ) {
        let columns = starts.count
        guard columns > 0, count > 0, let first = starts.baseAddress else { return }
        if vectorized, rk_avx2_gather_columns32_halves(base, first, columns, count, out) != 0 { return }
        let floats = UnsafeMutableRawPointer.allocate(byteCount: columns * count * 4, alignment: 64)
        defer { floats.deallocate() }
        gather(base, starts: starts, count: count, itemSize: 4, into: floats, vectorized: vectorized)
        HalfPrecision.halves(fromFloats: floats, into: out, count: columns * count, useF16C: vectorized)
    }

    /// Whether `gather` and `gatherHalves` use AVX2 (for 4-byte elements) on this CPU.
    public static var hasAVX2: Bool { rk_has_avx2() != 0 && rk_has_f16c() != 0 }

    /// The portable gather, in tiles of 32 columns: the writes run along an
    /// output row, and the 32 runs' cache lines being read stay in L1 while
    /// the rows go by (unaligned-safe loads and stores).
    @inline(__always)
    private static func portable<T: FixedWidthInteger>(
        _: T.Type, _ base: UnsafeRawPointer, _ starts: UnsafeBufferPointer<Int>, _ count: Int, _ out: UnsafeMutableRawPointer
    ) {
        let size = MemoryLayout<T>.size
        let columns = starts.count
        let tile = 32
        for tileStart in stride(from: 0, to: columns, by: tile) {
            let width = min(tile, columns - tileStart)
            for offset in 0 ..< count {
                let target = out + (offset * columns + tileStart) * size
                for index in 0 ..< width {
                    let value = base.loadUnaligned(fromByteOffset: starts[tileStart + index] + offset * size, as: T.self)
                    target.storeBytes(of: value, toByteOffset: index * size, as: T.self)
                }
            }
        }
    }
}
