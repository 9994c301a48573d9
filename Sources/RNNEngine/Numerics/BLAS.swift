import Foundation
import CDNNL
import COpenBLAS

/// Thin, typed wrappers over the CBLAS calls the engine uses. All matrices are
/// row-major.
public enum BLAS {
    /// `C = alpha · A · Bᵀ + beta · C` with `A` (m × k), `B` (n × k), `C` (m × n), float32.
    @inlinable
    public static func gemmABt(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `C = A · Bᵀ` (row-major, float32) on the calling thread alone, by
    /// oneDNN's sgemm, which chooses its kernels from the CPU's instruction
    /// sets (AVX-512 where present), whatever `OPENBLAS_CORETYPE` says. Falls
    /// back to OpenBLAS if oneDNN reports an error (e.g. no memory for its packing).
    @inlinable
    public static func gemmABtOneDNN(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        // OpenMP's thread count is per calling thread: one, so that oneDNN starts no threads of its own.
        if omp_get_max_threads() != 1 { omp_set_num_threads(1) }
        let status = dnnl_sgemm(CChar(UInt8(ascii: "N")), CChar(UInt8(ascii: "T")), dnnl_dim_t(m), dnnl_dim_t(n), dnnl_dim_t(k),
                                1, a, dnnl_dim_t(lda), b, dnnl_dim_t(ldb), 0, c, dnnl_dim_t(ldc))
        if status != dnnl_success {
            gemmABt(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: 0, c: c, ldc: ldc)
        }
    }

    /// Starts, once per process and on a thread of its own, oneDNN's first
    /// sgemm (8 × 8 × 8): that call generates the kernels every later shape
    /// uses, ~25 ms of CPU on a Zen 1 core, which a process making one
    /// forward pass (`rnnkit run`) would otherwise spend inside it, and
    /// which varies with the first call's shape (docs/performance.md).
    /// Called while files are still being read, so the two overlap; a forward
    /// pass reaching its first sgemm meanwhile waits for the kernels. Pair
    /// it with `waitForOneDNN()` before returning, so that no process exits
    /// while oneDNN is generating code.
    package static func prepareOneDNNInBackground() {
        _ = oneDNNPreparation
    }

    /// Returns once the preparation started by `prepareOneDNNInBackground` (if any) is done.
    package static func waitForOneDNN() {
        oneDNNPrepared.wait()
    }

    private static let oneDNNPrepared = DispatchGroup()

    private static let oneDNNPreparation: Void = {
        oneDNNPrepared.enter()
        let thread = Thread {
            if omp_get_max_threads() != 1 { omp_set_num_threads(1) }
            var a = [Float](repeating: 0, count: 64), b = a, c = a
            _ = dnnl_sgemm(CChar(UInt8(ascii: "N")), CChar(UInt8(ascii: "T")), 8, 8, 8, 1, &a, 8, &b, 8, 0, &c, 8)
            oneDNNPrepared.leave()
        }
        thread.start()
    }()

    /// `C = alpha · A · Bᵀ + beta · C` with `A` (m × k), `B` (n × k), `C` (m × n), float64.
    @inlinable
    public static func gemmABt(
        m: Int, n: Int, k: Int, alpha: Double = 1,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `y = alpha · A · x + beta · y` with `A` (m × n), `x` (n), `y` (m), float32.
    @inlinable
    public static func gemv(
        m: Int, n: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }

    /// `y = alpha · A · x + beta · y` with `A` (m × n), `x` (n), `y` (m), float64.
    @inlinable
    public static func gemv(
        m: Int, n: Int, alpha: Double = 1, a: UnsafePointer<Double>, lda: Int,
        x: UnsafePointer<Double>, beta: Double, y: UnsafeMutablePointer<Double>
    ) {
        cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }

    /// The instruction set oneDNN's kernels use on this CPU (`avx512_core_bf16`, `avx2`, …).
    public static var oneDNNInstructionSet: String {
        switch dnnl_get_effective_cpu_isa() {
        case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx"
        case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16"
        case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni"
        case dnnl_cpu_isa_avx512_core: return "avx512_core"
        case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni"
        case dnnl_cpu_isa_avx2: return "avx2"
        case dnnl_cpu_isa_avx: return "avx"
        case dnnl_cpu_isa_sse41: return "sse41"
        case let other: return "isa 0x\(String(other.rawValue, radix: 16))"
        }
    }

    /// The CPU model whose kernels OpenBLAS uses (`Haswell`, `SkylakeX`, `Cooperlake`, …).
    public static var openBLASCore: String {
        openblas_get_corename().map { String(cString: $0) } ?? "unknown"
    }

    /// Ends OpenBLAS's idle worker threads now (`blas_thread_shutdown_`,
    /// which OpenBLAS itself runs before every fork; its next threaded call
    /// starts them again). They start with the process and wait for work
    /// spinning in `sched_yield` for ~2^28 cycles (0.1–0.25 s of CPU on Zen 1):
    /// CPU taken from a command that runs no BLAS (`convert`) and, on a busy
    /// machine, from its own thread. Nothing when the library has no such
    /// function (looked up at run time, so any OpenBLAS build links).
    public static func stopIdleThreads() {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "blas_thread_shutdown_") else { return }
        typealias Shutdown = @convention(c) () -> Int32
        _ = unsafeBitCast(symbol, to: Shutdown.self)()
    }

    /// Runs `body` with OpenBLAS using `threads` threads, then restores the
    /// previous setting. (The setting is process-wide.)
    public static func withThreads<T>(_ threads: Int, _ body: () throws -> T) rethrows -> T {
        let previous = openblas_get_num_threads()
        let wanted = Int32(clamping: max(1, threads))
        if wanted != previous { openblas_set_num_threads(wanted) }
        defer { if wanted != previous { openblas_set_num_threads(previous) } }
        return try body()
    }
}
