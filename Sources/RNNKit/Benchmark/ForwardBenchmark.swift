import Foundation
import RNNEngine
import RNNLayouts
import TensorFiles

/// Timing of forward passes, as `rnnkit bench` reports it: the forward pass
/// alone (weights prepared and input built beforehand), after a warm-up,
/// with the same run's sgemm rate as the yardstick. Benchmarks only; no test
/// times anything.
package enum ForwardBenchmark {
    /// What one measurement found.
    package struct Result: Sendable {
        /// Seconds of every timed forward pass, in the order run.
        package var seconds: [Double]
        /// Floating-point operations of one forward pass (the matrix products).
        package var flops: Double
        /// The sgemm rate measured in the same run with the same threads, GFLOP/s.
        package var sgemmGFlops: Double
        /// CPU time (user + system, all threads) per timed forward pass, seconds:
        /// far above `median × threads` only when threads spin; a median far
        /// above it on one thread means the machine was busy.
        package var cpuSecondsPerRun: Double

        /// The median time, seconds.
        package var median: Double { quantile(0.5) }
        /// The `q` quantile of the times (nearest rank).
        package func quantile(_ q: Double) -> Double {
            let sorted = seconds.sorted()
            guard !sorted.isEmpty else { return 0 }
            return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))]
        }
        /// GFLOP/s at the median time.
        package var gflops: Double { median > 0 ? flops / median / 1e9 : 0 }
    }

    /// The kernels `options` runs: the level `.automatic` picks on this CPU, else as asked.
    package static func kernelName(_ options: ExecutionOptions) -> String {
        options.kernels == .automatic ? "automatic (\(ExecutionOptions.bestKernelLevel))" : options.kernels.rawValue
    }

    /// The GEMM behind the input projections and the kernels it picked on this CPU.
    package static func gemmName(_ options: ExecutionOptions) -> String {
        options.kernels == .reference || options.gemm == .openblas
            ? "openblas (\(BLAS.openBLASCore))" : "onednn (\(BLAS.oneDNNInstructionSet))"
    }

    /// The OpenBLAS core (kernel table) this CPU runs, as OpenBLAS names it.
    package static var openBLASCore: String { BLAS.openBLASCore }

    /// The bytes of a synthetic module's float32 weights, counted in
    /// floating point so that absurd sizes do not overflow: what
    /// `syntheticModule` would allocate.
    package static func weightBytes(_ architecture: RNNArchitecture) -> Double {
        let gates = Double(architecture.mode.gateCount) * Double(architecture.hiddenSize)
        let state = Double(architecture.projSize > 0 ? architecture.projSize : architecture.hiddenSize)
        let output = state * Double(architecture.directions)
        var total = 0.0
        for layer in 0 ..< architecture.numLayers {
            let input = layer == 0 ? Double(architecture.inputSize) : output
            total += gates * (input + state + 2) + Double(architecture.projSize) * Double(architecture.hiddenSize)
        }
        return 4 * total * Double(architecture.directions)
    }

    /// A module with PyTorch's default initialisation (uniform in ±1/√hidden)
    /// and PyTorch's tensor names, found by the inspector like a file's.
    package static func syntheticModule(_ architecture: RNNArchitecture, seed: UInt64 = 1) throws -> RNNModule {
        var random = SplitMix(seed: seed)
        let bound = 1 / Double(architecture.hiddenSize).squareRoot()
        let tensors = architecture.parameterNames.map { parameter in
            let shape = architecture.expectedShape(of: parameter)
            let values = (0 ..< shape.reduce(1, *)).map { _ in Float(random.uniform() * bound) }
            return NamedTensor(name: parameter.text, tensor: Tensor(shape: shape, floats: values))
        }
        return try Inspector.inspect(tensors).selectModule(named: "")
    }

    /// A (T, B, features) input of uniform values in [-1, 1).
    ///
    /// - Throws: `EngineError.workingMemory` when the input alone would take
    ///   more than half of the machine's memory (or its size overflows),
    ///   before anything is allocated.
    package static func randomInput(steps: Int, batch: Int, features: Int, type: ComputeType, seed: UInt64 = 2) throws -> Tensor {
        let physical = ProcessInfo.processInfo.physicalMemory
        let rows = steps.multipliedReportingOverflow(by: batch)
        let elements = rows.partialValue.multipliedReportingOverflow(by: features)
        let bytes = elements.partialValue.multipliedReportingOverflow(by: type == .float32 ? 4 : 8)
        guard !rows.overflow, !elements.overflow, !bytes.overflow, bytes.partialValue <= Int(clamping: physical / 2) else {
            let overflowed = rows.overflow || elements.overflow || bytes.overflow
            throw EngineError.workingMemory(steps: steps, batch: batch, bytes: overflowed ? nil : bytes.partialValue, physicalMemory: physical)
        }
        var random = SplitMix(seed: seed)
        let count = elements.partialValue
        switch type {
        case .float32: return Tensor(shape: [steps, batch, features], floats: (0 ..< count).map { _ in Float(random.uniform()) })
        case .float64: return Tensor(shape: [steps, batch, features], doubles: (0 ..< count).map { _ in random.uniform() })
        }
    }

    /// Floating-point operations of a forward pass over `steps × batch`: the
    /// input projections, recurrent products and projections (2 per multiply-add).
    package static func flops(_ architecture: RNNArchitecture, steps: Int, batch: Int) -> Double {
        var total = 0.0
        for layer in 0 ..< architecture.numLayers {
            let perRow = architecture.gateRows * (architecture.layerInputSize(layer) + architecture.stateSize)
                + (architecture.projSize > 0 ? architecture.hiddenSize * architecture.projSize : 0)
            total += 2 * Double(perRow) * Double(architecture.directions)
        }
        return total * Double(steps * batch)
    }

    /// Times `network.forward(input)`: `warmup` untimed calls (at least
    /// 0.2 s worth), then `repeats` timed ones (0: as many as fit in about
    /// a second, 5 to 200).
    package static func measure(_ network: RNNNetwork, input: Tensor, options: ExecutionOptions,
                               warmup: Int = 3, repeats: Int = 0) throws -> Result {
        let warmStart = now()
        var warmRuns = 0
        while warmRuns < warmup || now() - warmStart < 0.2 {
            _ = try network.forward(input: input, options: options)
            warmRuns += 1
        }
        let estimate = (now() - warmStart) / Double(warmRuns)
        let count = repeats > 0 ? repeats : min(200, max(5, Int(1.0 / max(estimate, 1e-6))))
        var seconds: [Double] = []
        let cpuStart = cpuTime()
        for _ in 0 ..< count {
            let start = now()
            _ = try network.forward(input: input, options: options)
            seconds.append(now() - start)
        }
        let cpu = (cpuTime() - cpuStart) / Double(count)
        let shape = input.shape
        let flops = Self.flops(network.architecture, steps: shape[0], batch: shape.count == 3 ? shape[1] : 1)
        return Result(seconds: seconds, flops: flops, sgemmGFlops: sgemmRate(threads: options.resolvedThreads),
                      cpuSecondsPerRun: cpu)
    }

    /// OpenBLAS's sgemm rate on square matrices of `size` with `threads`
    /// threads, GFLOP/s (the median of 5 after one warm-up).
    package static func sgemmRate(threads: Int, size: Int = 1536) -> Double {
        let count = size * size
        let a = UnsafeMutablePointer<Float>.allocate(capacity: count), b = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { [a, b, c].forEach { $0.deallocate() } }
        for i in 0 ..< count {
            a[i] = Float(i % 101) * 0.01
            b[i] = Float(i % 97) * 0.01
        }
        return BLAS.withThreads(threads) {
            var times: [Double] = []
            for run in 0 ..< 6 {
                let start = now()
                BLAS.gemmABt(m: size, n: size, k: size, a: a, lda: size, b: b, ldb: size, beta: 0, c: c, ldc: size)
                if run > 0 { times.append(now() - start) }
            }
            let median = times.sorted()[times.count / 2]
            return 2 * pow(Double(size), 3) / median / 1e9
        }
    }

    /// User + system CPU time of the process so far, seconds.
    private static func cpuTime() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + 1e-6 * Double(t.tv_usec) }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    private static func now() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds) * 1e-9
    }
}
