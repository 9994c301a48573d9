import ArgumentParser
import Foundation
import RNNKit

/// `rnnkit bench`: times the engine's forward pass.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time the forward pass of a weight file's module, or of a synthetic RNN/GRU/LSTM.",
        discussion: """
            Times the forward pass alone (weights prepared and input made beforehand) after a \
            warm-up, and prints the median, the spread (min, quartiles, max), GFLOP/s (matrix \
            products only), the kernels and GEMM used and, as the yardstick, OpenBLAS's sgemm rate measured in the same run \
            with the same threads. Without WEIGHTS the module is synthetic, with PyTorch's default \
            initialisation. Input values are uniform in [-1, 1). A benchmark, not a test: run it \
            on a quiet machine and compare numbers from one run.

            EXAMPLES:
              rnnkit bench --mode LSTM --input-size 256 --hidden-size 256 --batch 1 --steps 100
              rnnkit bench --mode GRU --input-size 512 --hidden-size 512 --batch 64 --threads 1 --json
              rnnkit bench --mode LSTM --input-size 128 --hidden-size 256 --layers 2 --bidirectional --batch 32 --steps 50
              rnnkit bench weights.h5 --module encoder.lstm --batch 8 --steps 200
              rnnkit bench --mode LSTM --hidden-size 256 --kernels reference --repeat 20
            """)

    @Argument(help: "A weight file to take the module from (optional; else --mode and sizes).")
    var weights: String?

    @OptionGroup(title: "The module in WEIGHTS")
    var selection: ModuleOptions

    @Option(help: "Synthetic module: its mode (default LSTM).")
    var mode: RNNMode?

    @Option(help: "Synthetic module: input features (default 256).")
    var inputSize: Int?

    @Option(help: "Synthetic module: hidden size (default 256).")
    var hiddenSize: Int?

    @Option(help: "Synthetic module: LSTM projection size (default 0 = none).")
    var projSize: Int?

    @Option(help: "Synthetic module: stacked layers (default 1).")
    var layers: Int?

    @Flag(help: "Synthetic module: two directions per layer.")
    var bidirectional = false

    @Option(help: "Sequences per forward pass.")
    var batch: Int = 1

    @Option(help: "Time steps per forward pass.")
    var steps: Int = 100

    @Option(help: "Threads (0 = one per core).")
    var threads: Int = 0

    @Option(help: "Timed forward passes (0 = as many as fit in about a second).")
    var `repeat`: Int = 0

    @Option(help: "Kernels.")
    var kernels: ExecutionOptions.Kernels = .automatic

    @Option(help: "The packed kernels' input-projection GEMM.")
    var gemm: ExecutionOptions.GEMM = .onednn

    @Option(help: "Compute type.")
    var dtype: ComputeType = .float32

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        for (name, value) in [("--input-size", inputSize), ("--hidden-size", hiddenSize), ("--layers", layers),
                              ("--batch", batch), ("--steps", steps)] where (value ?? 1) < 1 {
            throw ValidationError("\(name) must be at least 1")
        }
        if (projSize ?? 0) < 0 || threads < 0 || `repeat` < 0 { throw ValidationError("--proj-size, --threads and --repeat must not be negative") }
        if weights != nil {
            // The file's module is timed: options describing another would be ignored.
            let given = [("--mode", mode != nil), ("--input-size", inputSize != nil), ("--hidden-size", hiddenSize != nil),
                         ("--proj-size", projSize != nil), ("--layers", layers != nil), ("--bidirectional", bidirectional)]
                .filter(\.1).map(\.0)
            if !given.isEmpty {
                throw ValidationError("\(given.joined(separator: ", ")) describe\(given.count == 1 ? "s" : "") a synthetic module; "
                    + "WEIGHTS gives its own (choose it with --module)")
            }
            return
        }
        let architecture = synthetic
        if architecture.projSize > 0 {
            guard architecture.mode == .lstm else { throw ValidationError("--proj-size is for --mode LSTM only") }
            guard architecture.projSize < architecture.hiddenSize else {
                throw ValidationError("--proj-size (\(architecture.projSize)) must be smaller than --hidden-size (\(architecture.hiddenSize))")
            }
        }
        let half = Double(ProcessInfo.processInfo.physicalMemory / 2)
        let bytes = ForwardBenchmark.weightBytes(architecture)
        guard bytes <= half else {
            throw ValidationError(String(format: "the synthetic module's weights take %.1f GB, more than half of this machine's %.1f GB; "
                + "choose smaller sizes", bytes / 1e9, 2 * half / 1e9))
        }
    }

    /// The synthetic module the options describe.
    private var synthetic: RNNArchitecture {
        RNNArchitecture(mode: mode ?? .lstm, inputSize: inputSize ?? 256, hiddenSize: hiddenSize ?? 256,
                        projSize: projSize ?? 0, numLayers: layers ?? 1, bidirectional: bidirectional)
    }

    func run() throws {
        try reportingErrors {
            let (module, nonlinearity) = try loadModule()
            let network = try RNNNetwork(module: module, nonlinearity: nonlinearity, computeType: dtype)
            let architecture = module.architecture
            let input = try ForwardBenchmark.randomInput(steps: steps, batch: batch, features: architecture.inputSize, type: dtype)
            // float64 always runs the reference path (docs/engine.md): the report says so, whatever --kernels asked.
            let options = ExecutionOptions(threads: threads, kernels: dtype == .float64 ? .reference : kernels, gemm: gemm)
            let result = try ForwardBenchmark.measure(network, input: input, options: options, repeats: `repeat`)
            print(json ? try BenchReport.json(result, module: module, options: options, batch: batch, steps: steps, dtype: dtype)
                       : BenchReport.text(result, module: module, options: options, batch: batch, steps: steps))
        }
    }

    /// The module to time and its activation (as its file records it; tanh otherwise).
    private func loadModule() throws -> (RNNModule, Nonlinearity) {
        if let weights {
            let (module, hints) = try RunRequest(
                weights: weights, module: selection.module, renames: try selection.parsedRenames(), input: ""
            ).loadModule()
            return (module, hints.nonlinearity ?? .tanh)
        }
        return (try ForwardBenchmark.syntheticModule(synthetic), .tanh)
    }
}

/// The text and JSON forms of a benchmark result.
enum BenchReport {
    static func describe(_ module: RNNModule, batch: Int, steps: Int) -> String {
        let a = module.architecture
        var parts = ["\(a.mode.rawValue) input \(a.inputSize) hidden \(a.hiddenSize)"]
        if a.projSize > 0 { parts.append("proj \(a.projSize)") }
        if a.numLayers > 1 { parts.append("\(a.numLayers) layers") }
        if a.bidirectional { parts.append("bidirectional") }
        parts.append("batch \(batch) steps \(steps)")
        return parts.joined(separator: ", ")
    }

    static func text(_ r: ForwardBenchmark.Result, module: RNNModule, options: ExecutionOptions, batch: Int, steps: Int) -> String {
        func ms(_ seconds: Double) -> String { String(format: "%.3f", seconds * 1e3) }
        let threads = options.resolvedThreads
        let threadCount = "\(threads) thread\(threads == 1 ? "" : "s"))"
        return """
            \(describe(module, batch: batch, steps: steps))
            threads \(options.resolvedThreads), kernels \(ForwardBenchmark.kernelName(options)), gemm \(ForwardBenchmark.gemmName(options)), \(r.seconds.count) timed runs, \(ms(r.cpuSecondsPerRun)) ms CPU time per run
            median \(ms(r.median)) ms  (min \(ms(r.quantile(0))), quartiles \(ms(r.quantile(0.25)))–\(ms(r.quantile(0.75))), max \(ms(r.quantile(1))))
            \(String(format: "%.1f GFLOP/s = %.0f%% of this run's sgemm (%.1f GFLOP/s, ", r.gflops, 100 * r.gflops / r.sgemmGFlops, r.sgemmGFlops))\(threadCount)
            """
    }

    static func json(_ r: ForwardBenchmark.Result, module: RNNModule, options: ExecutionOptions, batch: Int, steps: Int,
                     dtype: ComputeType) throws -> String {
        let a = module.architecture
        return try jsonText(JSONBench(
            mode: a.mode.rawValue, input_size: a.inputSize, hidden_size: a.hiddenSize, proj_size: a.projSize,
            layers: a.numLayers, bidirectional: a.bidirectional, batch: batch, steps: steps, dtype: dtype.rawValue,
            threads: options.resolvedThreads, kernels: ForwardBenchmark.kernelName(options), gemm: ForwardBenchmark.gemmName(options),
            openblas_core: ForwardBenchmark.openBLASCore, runs: r.seconds.count,
            median_ms: r.median * 1e3, min_ms: r.quantile(0) * 1e3, q1_ms: r.quantile(0.25) * 1e3,
            q3_ms: r.quantile(0.75) * 1e3, max_ms: r.quantile(1) * 1e3,
            gflops: r.gflops, sgemm_gflops: r.sgemmGFlops, flops: r.flops, cpu_ms_per_run: r.cpuSecondsPerRun * 1e3))
    }

    /// `bench --json`: the module, the run's settings (the kernels and GEMM
    /// that ran) and the timings.
    struct JSONBench: Encodable {
        var mode: String
        var input_size, hidden_size, proj_size, layers: Int
        var bidirectional: Bool
        var batch, steps: Int
        var dtype: String
        var threads: Int
        var kernels, gemm, openblas_core: String
        var runs: Int
        var median_ms, min_ms, q1_ms, q3_ms, max_ms, gflops, sgemm_gflops, flops, cpu_ms_per_run: Double
    }
}
