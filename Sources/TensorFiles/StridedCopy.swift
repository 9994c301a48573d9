import Foundation

/// Gathers strided elements into a contiguous C-ordered buffer, optionally
/// swapping byte order. Used for Fortran-ordered and big-endian NPY arrays and
/// for non-contiguous PyTorch views.
public enum StridedCopy {
    /// Copies `shape` elements of `itemSize` bytes each from `source`, where
    /// element `(i0, i1, …)` lives at byte `(offset + Σ ik·strides[k]) · itemSize`
    /// (`offset` and `strides` are in elements). Returns C-ordered bytes.
    ///
    /// The caller has validated that every addressed element lies inside
    /// `source` (see `maximumElementIndex`).
    public static func gather(
        _ source: UnsafeRawBufferPointer, itemSize: Int, shape: [Int], strides: [Int],
        offset: Int, swapBytes: Bool = false
    ) -> Data {
        let count = shape.reduce(1, *)
        var output = Data(count: count * itemSize)
        guard count > 0 else { return output }
        output.withUnsafeMutableBytes { (destination: UnsafeMutableRawBufferPointer) in
            var index = [Int](repeating: 0, count: shape.count)
            var position = offset
            for element in 0 ..< count {
                let from = position * itemSize
                let to = element * itemSize
                for byte in 0 ..< itemSize {
                    destination[to + byte] = source[from + (swapBytes ? itemSize - 1 - byte : byte)]
                }
                // Advance the multi-index (last axis fastest).
                var axis = shape.count - 1
                while axis >= 0 {
                    index[axis] += 1
                    position += strides[axis]
                    if index[axis] < shape[axis] { break }
                    position -= strides[axis] * shape[axis]
                    index[axis] = 0
                    axis -= 1
                }
            }
        }
        return output
    }

    /// The smallest and largest element index a strided view addresses, or nil
    /// if the computation overflows or the ranks differ. A view with a zero
    /// dimension addresses nothing; it returns `offset ... offset`.
    public static func addressedRange(shape: [Int], strides: [Int], offset: Int) -> ClosedRange<Int>? {
        guard shape.count == strides.count else { return nil }
        if shape.contains(0) { return offset ... offset }
        var low = offset
        var high = offset
        for (size, stride) in zip(shape, strides) {
            guard size > 0 else { return nil }
            let (span, overflow) = (size - 1).multipliedReportingOverflow(by: stride)
            if overflow { return nil }
            if span >= 0 {
                let (sum, o) = high.addingReportingOverflow(span)
                if o { return nil }
                high = sum
            } else {
                let (sum, o) = low.addingReportingOverflow(span)
                if o { return nil }
                low = sum
            }
        }
        return low ... high
    }

    /// C-order (row-major) strides in elements for `shape`.
    public static func rowMajorStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = step
            step *= max(shape[axis], 1)
        }
        return strides
    }

    /// Fortran-order (column-major) strides in elements for `shape`.
    public static func columnMajorStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for axis in 0 ..< shape.count {
            strides[axis] = step
            step *= max(shape[axis], 1)
        }
        return strides
    }
}
