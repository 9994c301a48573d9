import CRNNKernels
import Foundation

/// How a forward pass runs: how many threads and which kernels. Every
/// choice computes the same equations and passes the same parity checks;
/// only the speed differs (docs/performance.md).
public struct ExecutionOptions: Sendable, Equatable {
    /// The kernels of the recurrent loop.
    public enum Kernels: String, Sendable, CaseIterable {
        /// float32: the packed fused kernels at the best level the CPU
        /// supports (AVX2+FMA, else portable C); float64: `.reference`.
        case automatic
        /// The packed fused kernels in AVX2+FMA (portable C on a CPU without them).
        case avx2
        /// The packed fused kernels in portable C.
        case portable
        /// The plain path: BLAS for the products and `Gates` written like
        /// the equations (float64 always runs this way).
        case reference
    }

    /// Threads to use; 0 means one per active core.
    public var threads: Int
    /// The kernels to use.
    public var kernels: Kernels

    /// Creates options; the defaults use every core and the best kernels.
    public init(threads: Int = 0, kernels: Kernels = .automatic) {
        self.threads = threads
        self.kernels = kernels
    }

    /// Every core, best kernels.
    public static let automatic = ExecutionOptions()

    /// The thread count after resolving 0 to the number of active cores.
    public var resolvedThreads: Int {
        threads > 0 ? threads : max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// The C kernels' instruction-set level for the packed kernels; nil for `.reference`.
    var kernelLevel: Int32? {
        switch kernels {
        case .automatic: return rk_best_level()
        case .avx2: return Int32(RK_LEVEL_AVX2)
        case .portable: return Int32(RK_LEVEL_PORTABLE)
        case .reference: return nil
        }
    }

    /// The instruction set the packed kernels use on this CPU: `avx2` or `portable`.
    public static var bestKernelLevel: String {
        rk_best_level() == Int32(RK_LEVEL_AVX2) ? "avx2" : "portable"
    }
}
