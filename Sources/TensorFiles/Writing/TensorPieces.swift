import Foundation

extension Tensor {
    /// The size of the pieces writers send: large enough that a write call
    /// costs nothing beside it, small enough to stay in the cache between
    /// computing a piece's CRC-32 (or converting it) and writing it.
    public static let writePieceBytes = 1 << 20

    /// For a pending conversion (`convertedWhenWritten`): the tensor it
    /// converts from, whose bytes a writer may convert itself in pieces of
    /// its own choosing; nil for any other tensor.
    public var conversionSource: Tensor? {
        if case .converted(let source) = storage { return source }
        return nil
    }

    /// Sends the tensor's bytes (exactly what `data()` returns; with
    /// `elements`, those of that range of elements in C order) to `body` in
    /// order, in pieces of at most `pieceBytes` bytes. A tensor in memory or
    /// memory-mapped is sent from its own bytes, nothing copied; a pending
    /// conversion (`convertedWhenWritten`) is converted one piece at a time
    /// into one reused buffer, with the same arithmetic as `converted(to:)`,
    /// so that memory stays bounded by the piece size whatever the tensor's.
    public func forEachPiece(
        elements: Range<Int>? = nil, pieceBytes: Int = Tensor.writePieceBytes, _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        precondition(pieceBytes >= 8, "pieces hold at least one element")
        let range = elements ?? 0 ..< elementCount
        precondition(range.lowerBound >= 0 && range.upperBound <= elementCount, "an element range inside the tensor")
        guard case .converted(let source) = storage else {
            let bytes = try data()
            try bytes.withUnsafeBytes { raw in
                var offset = range.lowerBound * dtype.itemSize
                let end = range.upperBound * dtype.itemSize
                while offset < end {
                    let count = min(pieceBytes, end - offset)
                    try body(UnsafeRawBufferPointer(rebasing: raw[offset ..< offset + count]))
                    offset += count
                }
            }
            return
        }
        let sourceBytes = try source.data()
        guard sourceBytes.count == source.byteCount else {
            throw TensorFileError(file: "(memory)", .sizeMismatch(expected: source.byteCount, actual: sourceBytes.count))
        }
        let elementsPerPiece = pieceBytes / max(dtype.itemSize, source.dtype.itemSize)
        var piece = [UInt8](repeating: 0, count: min(elementsPerPiece, range.count) * dtype.itemSize)
        try sourceBytes.withUnsafeBytes { raw in
            var first = range.lowerBound
            while first < range.upperBound {
                let count = min(elementsPerPiece, range.upperBound - first)
                let input = UnsafeRawBufferPointer(
                    rebasing: raw[first * source.dtype.itemSize ..< (first + count) * source.dtype.itemSize])
                try piece.withUnsafeMutableBytes { output in
                    try Self.convert(input, from: source.dtype, into: output, as: dtype, count: count)
                    try body(UnsafeRawBufferPointer(rebasing: output[0 ..< count * dtype.itemSize]))
                }
                first += count
            }
        }
    }

    /// Converts `count` elements of `from` to `to` into `output`: float32 →
    /// float16 directly, with F16C when the CPU has it (`--dtype float16`
    /// spends its time there), every other pair through `converted(to:)` of
    /// the piece.
    static func convert(
        _ input: UnsafeRawBufferPointer, from: DType, into output: UnsafeMutableRawBufferPointer, as to: DType, count: Int
    ) throws {
        if from == .float32, to == .float16, count > 0 {
            HalfPrecision.halves(fromFloats: input.baseAddress!, into: output.baseAddress!, count: count)
            return
        }
        let piece = try Tensor(dtype: from, shape: [count], data: Data(input)).converted(to: to).data()
        piece.withUnsafeBytes { output.copyMemory(from: $0) }
    }
}
