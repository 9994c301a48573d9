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
