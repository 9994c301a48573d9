import CRNNKernels

/// Runs every direction of one float32 layer with the packed fused kernels
/// (`rk_step_run`): per chunk of steps (`ProjectionChunking`) the input
/// projection of those steps as a GEMM into a reused buffer, then per step
/// one pass over the packed `W_hh` that computes the recurrent product and
/// applies the gates (Gates.swift's equations, in C).
///
/// Threads (a persistent team, `rk_team_run`): a bidirectional layer runs
/// its two directions side by side, one thread each; otherwise the threads
/// share each chunk's GEMM (`ProjectionShare`) and then each step's blocks of units through
/// one `rk_split` (counters numbering the items of every phase in turn, so
/// that its memory does not grow with T): each takes its own half first (its
/// weights stay in its cache) and then helps with the rest, and a step starts
/// once every block of the previous one is done. A thread the OS leaves unscheduled
/// thus never stalls the other (a barrier would). BLAS runs single-threaded
/// inside (the caller sets it), so that the two never compete for the cores.
///
/// `h` is never kept apart: a step reads the previous step's `h` from the
/// layer's output rows (or the initial state) and writes the new one
/// straight into its own output rows. Those rows are all T steps, or, for a
/// last layer whose output goes to a receiver as it is finished, a ring of
/// a few chunks (`OutputRing`): step t in slot t mod the ring's steps.
final class PackedLayerRunner {
    private let weights: [DirectionWeights<Float>]
    private let packed: [PackedRecurrence]
    private let plan: SequencePlan
    private let input: UnsafePointer<Float>
    private let output: UnsafeMutablePointer<Float>
    private let outputWidth: Int
    private let workspaces: [DirectionWorkspace<Float>]
    /// Steps per input-projection chunk (`ProjectionChunking`): each
    /// workspace's `projection` holds this many steps.
    private let chunkSteps: Int
    private let level: Int32
    private let gemm: ExecutionOptions.GEMM
    /// Called on the calling thread (member 0) with each chunk of steps whose
    /// output rows every member has finished; unidirectional layers only.
    var finishedSteps: ((_ steps: Range<Int>) -> Void)?
    /// The output rows as a ring of chunks rather than all T steps; set with
    /// `finishedSteps`, which must be done with a chunk's rows when it returns.
    var ring: OutputRing?

    /// A layer reading `input` (T·B, inputSize) and writing `output`
    /// (T·B, outputWidth); `workspaces[d].h` / `.c` hold direction d's initial
    /// states on entry and its final states on return; their `projection`
    /// holds `chunkSteps` steps.
    init(weights: [DirectionWeights<Float>], packed: [PackedRecurrence], plan: SequencePlan,
         input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, outputWidth: Int,
         workspaces: [DirectionWorkspace<Float>], chunkSteps: Int, level: Int32, gemm: ExecutionOptions.GEMM) {
        self.weights = weights
        self.packed = packed
        self.plan = plan
        self.input = input
        self.output = output
        self.outputWidth = outputWidth
        self.workspaces = workspaces
        self.chunkSteps = max(1, min(chunkSteps, plan.steps))
        self.level = level
        self.gemm = gemm
    }

    /// Work shared by the team: per chunk of steps the GEMM's rows or
    /// columns, then per step the gate pass's blocks (and the projection's),
    /// one phase after another (`Phases`).
    private var split: OpaquePointer?

    /// With a ring: the chunks `finishedSteps` is done with, as a split's
    /// finished items; a member waits on it before a chunk's steps overwrite
    /// the slot of a chunk not yet sent.
    private var sentChunks: OpaquePointer?

    /// Step `t`'s output rows (all of the layer's directions).
    private func outputRows(step t: Int) -> UnsafeMutablePointer<Float> {
        output + (ring.map { t % $0.steps } ?? t) * plan.batch * outputWidth
    }

    /// Chunks of `chunkSteps` steps (the last one shorter when they do not divide T).
    private var chunkCount: Int { (plan.steps + chunkSteps - 1) / chunkSteps }

    /// Steps in chunk `chunk`.
    private func stepsIn(chunk: Int) -> Int { min(chunkSteps, plan.steps - chunk * chunkSteps) }

    /// Runs the layer on up to `threads` threads.
    func run(threads: Int) {
        var members = Self.teamSize(threads: threads, directions: weights.count, batch: plan.batch,
                                    gateRows: weights[0].gateRows, stateSize: weights[0].stateSize)
        if members > 1 && weights.count == 1 {
            split = rk_split_create(Int32(members))
            if split == nil { members = 1 }  // no memory for the split: one thread does it all
        }
        if ring != nil && members > 1 {
            sentChunks = rk_split_create(1)
            if sentChunks == nil { members = 1 }  // no memory for the counter: member 0 alone, which sends itself
        }
        defer {
            if let split { rk_split_free(split) }
            if let sentChunks { rk_split_free(sentChunks) }
        }
        rk_team_run(Int32(members), { context, member, count in
            guard let context else { return }
            Unmanaged<PackedLayerRunner>.fromOpaque(context).takeUnretainedValue().work(member: Int(member), count: Int(count))
        }, Unmanaged.passUnretained(self).toOpaque())
        for direction in weights.indices { collectFinalStates(direction) }
    }

    /// How many threads a layer uses: one per direction when bidirectional;
    /// otherwise all of them (up to the split's parts), unless a step is too
    /// small to share (waiting for each other would cost more than it saves).
    static func teamSize(threads: Int, directions: Int, batch: Int, gateRows: Int, stateSize: Int) -> Int {
        guard threads > 1 else { return 1 }
        if directions == 2 { return 2 }
        return batch * gateRows * stateSize >= 32_768 ? min(threads, Int(RK_SPLIT_PARTS)) : 1
    }

    private func work(member: Int, count: Int) {
        if weights.count == 2 && count == 2 {
            var phases = Phases(part: 0, parts: 1)
            runDirection(member, &phases)
        } else {
            var phases = Phases(part: member, parts: count)
            for direction in weights.indices { runDirection(direction, &phases) }
        }
    }

    /// One member's place in the sequence of shared phases: its part, the
    /// team's size and where the next phase's items start in the split.
    private struct Phases {
        let part: Int
        let parts: Int
        var base = 0

        init(part: Int, parts: Int) {
            self.part = part
            self.parts = parts
        }
    }

    /// Runs `body` on chunks of `0 ..< total`, the next phase shared through
    /// the split (all of it when this thread works alone), then waits until
    /// every chunk is done. Every member passes the same phases in the same order.
    private func shared(_ phases: inout Phases, total: Int, chunk: Int, _ body: (Range<Int>) -> Void) {
        guard phases.parts > 1, let split else {
            if total > 0 { body(0 ..< total) }
            return
        }
        var begin = 0, end = 0
        while rk_split_claim(split, phases.base, total, Int32(phases.part), max(1, chunk), &begin, &end) != 0 {
            body(begin ..< end)
            rk_split_finish(split, end - begin)
        }
        phases.base += total
        rk_split_wait(split, phases.base)
    }

    private func runDirection(_ direction: Int, _ phases: inout Phases) {
        let w = weights[direction]
        let batch = plan.batch, steps = plan.steps
        let reverse = direction == 1
        // Chunks in processing order: forward from step 0, reverse from step T − 1.
        for chunk in 0 ..< chunkCount {
            let count = stepsIn(chunk: chunk)
            let first = reverse ? steps - chunk * chunkSteps - count : chunk * chunkSteps
            project(w, direction: direction, rows: first * batch ..< (first + count) * batch, &phases)
            // The ring slot this chunk writes must be sent first (member 0
            // sent it itself; another member may have run ahead).
            if let ring, let sentChunks, chunk >= ring.chunks { rk_split_wait(sentChunks, chunk - ring.chunks + 1) }
            for step in 0 ..< count {
                let t = reverse ? first + count - 1 - step : first + step
                runStep(t, direction: direction, projected: t - first, &phases)
            }
            // Each step's last phase ended with every member done with it.
            if phases.part == 0, weights.count == 1, let finishedSteps {
                finishedSteps(first ..< first + count)
                if let sentChunks { rk_split_finish(sentChunks, 1) }
            }
        }
    }

    /// The input projection of input `rows` into the workspace's chunk buffer
    /// (its row 0 is input row `rows.lowerBound`), shared as the next phase.
    private func project(_ w: DirectionWeights<Float>, direction: Int, rows: Range<Int>, _ phases: inout Phases) {
        let projection = workspaces[direction].projection.pointer
        let gateRows = w.gateRows
        let source = input + rows.lowerBound * w.inputSize
        let share = ProjectionShare(rows: rows.count, columns: gateRows, parts: phases.parts)
        shared(&phases, total: share.total, chunk: share.chunk) { range in
            if share.byColumns {
                project(m: rows.count, n: range.count, k: w.inputSize, a: source, lda: w.inputSize,
                        b: w.weightIH.pointer + range.lowerBound * w.inputSize, c: projection + range.lowerBound, ldc: gateRows)
            } else {
                project(m: range.count, n: gateRows, k: w.inputSize, a: source + range.lowerBound * w.inputSize,
                        lda: w.inputSize, b: w.weightIH.pointer, c: projection + range.lowerBound * gateRows, ldc: gateRows)
            }
        }
    }

    /// Step `t` of `direction`, whose input projection is row block `projected`
    /// of the chunk buffer; the gate pass is the next shared phase (and the
    /// `W_hr` pass the one after).
    private func runStep(_ t: Int, direction: Int, projected: Int, _ phases: inout Phases) {
        let w = weights[direction]
        let workspace = workspaces[direction]
        let batch = plan.batch, steps = plan.steps
        let state = w.stateSize
        let rows = plan.activeCount[t]
        if rows == 0 { return }
        let reverse = direction == 1
        let column = direction * state
        // Rows that continue from the previous step read its h from the output;
        // rows that start here (the reverse direction's shorter sequences) read h0.
        let previous = reverse ? t + 1 : t - 1
        let continuing = previous >= 0 && previous < steps ? min(plan.activeCount[previous], rows) : 0
        let stepOutput = outputRows(step: t) + column
        var step = gateStep(w, direction: direction, rows: rows, x: workspace.projection.pointer + projected * batch * w.gateRows,
                            output: stepOutput)
        let blocks = rk_step_blocks(&step)
        shared(&phases, total: blocks, chunk: max(1, blocks / (4 * phases.parts))) { range in
            if continuing > 0 {
                run(step, rows: 0 ..< continuing, h: outputRows(step: previous) + column, ldh: outputWidth,
                    blocks: range)
            }
            if continuing < rows {
                run(step, rows: continuing ..< rows, h: workspace.h.pointer, ldh: state, blocks: range)
            }
        }
        if let weightHR = packed[direction].weightHR {
            // h' = W_hr (o ⊙ tanh(c')), once every unit of o ⊙ tanh(c') is written.
            var projectionStep = rk_step(
                kind: Int32(RK_STEP_LINEAR), rows: rows, units: state, k: w.hiddenSize, packed: weightHR.pointer,
                h: workspace.unprojected.pointer, ldh: w.hiddenSize, x: nil, ldx: 0, bias: nil, hbias: nil,
                c: nil, ldc: 0, out: stepOutput, ldout: outputWidth)
            let projectionBlocks = rk_step_blocks(&projectionStep)
            shared(&phases, total: projectionBlocks, chunk: max(1, projectionBlocks / (4 * phases.parts))) { range in
                rk_step_run(level, &projectionStep, range.lowerBound, range.upperBound)
            }
        }
    }

    /// `C = A · Bᵀ` on this thread alone, with the GEMM the options chose (`B` is `n × k`, dense).
    private func project(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                         c: UnsafeMutablePointer<Float>, ldc: Int) {
        switch gemm {
        case .onednn: BLAS.gemmABtOneDNN(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: k, c: c, ldc: ldc)
        case .openblas: BLAS.gemmABt(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: k, beta: 0, c: c, ldc: ldc)
        }
    }

    /// The gate pass of one step for `rows` sequences: into the output, or
    /// into `unprojected` when a projection follows.
    private func gateStep(_ w: DirectionWeights<Float>, direction: Int, rows: Int, x: UnsafePointer<Float>,
                          output: UnsafeMutablePointer<Float>) -> rk_step {
        let workspace = workspaces[direction]
        let projects = w.weightHR != nil
        return rk_step(
            kind: packed[direction].kind, rows: rows, units: w.hiddenSize, k: w.stateSize,
            packed: packed[direction].weightHH.pointer, h: nil, ldh: 0, x: x, ldx: w.gateRows,
            bias: w.inputBias.pointer, hbias: w.mode == .gru ? w.hiddenBias.pointer : nil,
            c: w.mode == .lstm ? workspace.c.pointer : nil, ldc: w.hiddenSize,
            out: projects ? workspace.unprojected.pointer : output, ldout: projects ? w.hiddenSize : outputWidth)
    }

    /// Runs `step` for `rows` (offsetting every per-row pointer) with `h` as the previous state.
    private func run(_ step: rk_step, rows: Range<Int>, h: UnsafePointer<Float>, ldh: Int, blocks: Range<Int>) {
        var part = step
        let r = rows.lowerBound
        part.rows = rows.count
        part.h = h + r * ldh
        part.ldh = ldh
        part.x = step.x.map { $0 + r * step.ldx }
        part.c = step.c.map { $0 + r * step.ldc }
        part.out = step.out + r * step.ldout
        rk_step_run(level, &part, blocks.lowerBound, blocks.upperBound)
    }

    /// Each sequence's final h (its own last step: the last valid step going
    /// forward, step 0 going backward) from the output into `workspace.h`.
    private func collectFinalStates(_ direction: Int) {
        let state = weights[direction].stateSize
        let h = workspaces[direction].h.pointer
        for row in 0 ..< plan.batch {
            let step = direction == 1 ? 0 : plan.sortedLengths[row] - 1
            (h + row * state).update(from: outputRows(step: step) + row * outputWidth + direction * state, count: state)
        }
    }
}
