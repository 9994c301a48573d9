import CRNNKernels
import Foundation

/// How a forward pass runs: how many threads, which kernels and which GEMM. Every
/// choice computes the same equations and passes the same parity checks;
/// only the speed differs (docs/performance.md).
public struct ExecutionOptions: Sendable, Equatable {
    /// The kernels of the recurrent loop.
    public enum Kernels: String, Sendable, CaseIterable {
        /// float32: the packed fused kernels at the best level the CPU
        /// supports (AVX-512, else AVX2+FMA, else portable C); float64: `.reference`.
        case automatic
        /// The packed fused kernels in AVX-512 (F, VL, BW, DQ), or the best
        /// level below it that the CPU supports.
        case avx512
        /// The packed fused kernels in AVX2+FMA (portable C on a CPU without them).
        case avx2
        /// The packed fused kernels in portable C.
        case portable
        /// The plain path: BLAS for the products and `Gates` written like
        /// the equations (float64 always runs this way).
        case reference
    }

    /// The library behind the packed path's input projections (the
    /// reference path and float64 always use OpenBLAS).
    public enum GEMM: String, Sendable, CaseIterable {
        /// oneDNN's sgemm: kernels chosen from the CPU's instruction sets.
        case onednn
        /// OpenBLAS's sgemm: kernels chosen from OpenBLAS's table of CPU
        /// models (or `OPENBLAS_CORETYPE`).
        case openblas
    }

    /// Threads to use; 0 means one per active core.
    public var threads: Int
    /// The kernels to use.
    public var kernels: Kernels
    /// The GEMM of the packed path's input projections.
    public var gemm: GEMM

    /// Creates options; the defaults use every core, the best kernels and oneDNN.
    public init(threads: Int = 0, kernels: Kernels = .automatic, gemm: GEMM = .onednn) {
        self.threads = threads
        self.kernels = kernels
        self.gemm = gemm
    }

    /// Every core, best kernels.
    public static let automatic = ExecutionOptions()

    /// The thread count after resolving 0 to the number of cores this
    /// process may run on.
    public var resolvedThreads: Int {
        threads > 0 ? threads : Self.usableCores
    }

    /// The cores this process may run on: its CPU affinity (`taskset`,
    /// cpusets) when the system reports it, else the active cores. Two
    /// threads on one core would spin waiting for each other at every step.
    /// (Read at every call: one system call.)
    static var usableCores: Int {
        let active = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let allowed = Int(rk_usable_cores())
        return allowed > 0 ? min(active, allowed) : active
    }

    /// The C kernels' instruction-set level for the packed kernels; nil for `.reference`.
    var kernelLevel: Int32? {
        switch kernels {
        case .automatic: return rk_best_level()
        case .avx512: return Int32(RK_LEVEL_AVX512)
        case .avx2: return Int32(RK_LEVEL_AVX2)
        case .portable: return Int32(RK_LEVEL_PORTABLE)
        case .reference: return nil
        }
    }

    /// The instruction set the packed kernels use on this CPU: `avx512`, `avx2` or `portable`.
    public static var bestKernelLevel: String {
        switch rk_best_level() {
        case Int32(RK_LEVEL_AVX512): return "avx512"
        case Int32(RK_LEVEL_AVX2): return "avx2"
        default: return "portable"
        }
    }
}
