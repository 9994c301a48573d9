/// The shape of the input a user feeds a recurrent module, read the way
/// PyTorch reads it: `(seq, batch, features)`, `(batch, seq, features)` when
/// `batch_first`, or an unbatched `(seq, features)` (then `batch_first` does
/// not apply).
public struct InputShape: Equatable, Sendable, CustomStringConvertible {
    /// The dimensions as given, outermost first.
    public var dimensions: [Int]
    /// Whether a 3-D input is `(batch, seq, features)`.
    public var batchFirst: Bool

    /// Checks and wraps `dimensions`.
    ///
    /// - Throws: `LayoutError.inputShapeRank`, `.negativeDimension` or `.emptySequence` unless there are 2 or 3
    ///   dimensions, the sequence length is at least 1 and none is negative.
    public init(_ dimensions: [Int], batchFirst: Bool = false) throws {
        guard dimensions.count == 2 || dimensions.count == 3 else {
            throw LayoutError.inputShapeRank(dimensions, batchFirst: batchFirst)
        }
        guard dimensions.allSatisfy({ $0 >= 0 }) else {
            throw LayoutError.negativeDimension(dimensions)
        }
        self.dimensions = dimensions
        self.batchFirst = batchFirst
        guard sequenceLength > 0 else {
            throw LayoutError.emptySequence(dimensions, axis: dimensions.count == 3 && batchFirst ? 1 : 0, batchFirst: batchFirst)
        }
    }

    /// Parses input-shape text: `7,3,5`, `7, 3, 5`, `(7, 3, 5)`, `[7,3,5]`
    /// or `7 3 5`.
    ///
    /// - Throws: `LayoutError.unparsableInputShape` naming the text when it is not
    ///   a list of whole numbers, or the shape is rejected by `init(_:batchFirst:)`.
    public init(parsing text: String, batchFirst: Bool = false) throws {
        let bare = text.filter { !"()[]".contains($0) }.trimmingSpaces
        let parts = bare.contains(",")
            ? bare.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces }
            : bare.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        let numbers = parts.compactMap { Int($0) }
        guard !parts.isEmpty, numbers.count == parts.count else {
            throw LayoutError.unparsableInputShape(text, batchFirst: batchFirst)
        }
        try self.init(numbers, batchFirst: batchFirst)
    }

    /// Whether the input has a batch dimension (3-D).
    public var isBatched: Bool { dimensions.count == 3 }

    /// The layout actually used: batch-first only for a batched input.
    public var isBatchFirst: Bool { isBatched && batchFirst }

    /// Steps in the sequence (`T`).
    public var sequenceLength: Int { isBatchFirst ? dimensions[1] : dimensions[0] }

    /// Sequences in the batch (`B`), nil when unbatched.
    public var batch: Int? { isBatched ? (batchFirst ? dimensions[0] : dimensions[1]) : nil }

    /// Features per step (`F`, the last dimension).
    public var features: Int { dimensions[dimensions.count - 1] }

    /// The layout in words: `(seq, batch, features)`, `(batch, seq, features)` or `(seq, features)`.
    public var layoutText: String {
        if !isBatched { return "(seq, features)" }
        return batchFirst ? "(batch, seq, features)" : "(seq, batch, features)"
    }

    /// `(7, 3, 5)`.
    public var description: String { shapeText(dimensions) }

    /// A shape with the same layout as the input: `(T, B, last)`,
    /// `(B, T, last)` or `(T, last)`.
    func sameLayout(lastDimension last: Int) -> [Int] {
        var shape = dimensions
        shape[shape.count - 1] = last
        return shape
    }
}

private extension String {
    /// The string without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
