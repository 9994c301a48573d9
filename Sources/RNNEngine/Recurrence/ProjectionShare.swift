/// How the packed path computes a layer's input projection `(T·B, in) · W_ihᵀ`:
/// in chunks of steps into one reused buffer (`ProjectionChunking`), each
/// chunk shared among the team (`ProjectionShare`).
///
/// A whole-sequence projection would be T·B·gates floats (524 MB for an LSTM
/// 512 at batch 64 over 1 000 steps), touched for the first time by every
/// `rnnkit run` (the kernel zeroes each fresh page) and read back from main
/// memory; a chunk of a few megabytes is reused for the whole pass and read
/// back from the caches.
enum ProjectionChunking {
    /// Bytes a chunk's projection aims at (measured: docs/performance.md).
    static let targetBytes = 4 << 20
    /// Fewer rows than this per chunk make the GEMM markedly less efficient.
    static let minimumRows = 256
    /// Steps per chunk for the forward passes run inside `withValue` (tests:
    /// chunks that do not divide T); nil lets `steps` choose.
    @TaskLocal static var stepsOverride: Int?

    /// Steps per chunk for `steps` steps of `batch` rows with `gateRows`
    /// gate rows of `scalarBytes` each: about `targetBytes`, at least
    /// `minimumRows` rows, at most all steps; `override` (tests) wins.
    static func steps(steps: Int, batch: Int, gateRows: Int, scalarBytes: Int = 4, override: Int? = nil) -> Int {
        if let override { return min(steps, max(1, override)) }
        let perStep = max(1, batch * gateRows * scalarBytes)
        let byBytes = targetBytes / perStep
        let byRows = (minimumRows + batch - 1) / max(1, batch)
        return min(steps, max(1, byBytes, byRows))
    }
}

/// How the team shares a layer's input projection `(rows, in) · W_ihᵀ`: in
/// chunks of rows when there are enough of them for efficient GEMMs, else
/// (short sequences, batch 1) in one block of gate columns per member, so
/// that every member still multiplies all rows at once.
struct ProjectionShare: Equatable {
    /// Whether the items are columns (gate rows of `W_ih`) rather than input rows.
    let byColumns: Bool
    /// Items to share.
    let total: Int
    /// Items claimed at a time.
    let chunk: Int

    /// Fewer rows than this per chunk make OpenBLAS's GEMM markedly slower.
    static let minimumRowChunk = 128

    /// A share with these fields.
    init(byColumns: Bool, total: Int, chunk: Int) {
        self.byColumns = byColumns
        self.total = total
        self.chunk = chunk
    }

    /// The share for `rows` input rows and `columns` gate rows among `parts` members.
    init(rows: Int, columns: Int, parts: Int) {
        let rowChunk = rows / (8 * max(1, parts))
        if parts > 1 && rowChunk < Self.minimumRowChunk {
            byColumns = true
            total = columns
            chunk = max(1, (columns + parts - 1) / parts)
        } else {
            byColumns = false
            total = rows
            chunk = max(16, rowChunk)
        }
    }
}
