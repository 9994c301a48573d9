import CDNNL
import Foundation
import RNNLayouts
import XCTest
@testable import RNNEngine

final class BLASTests: XCTestCase {
    func testGemmABtMatchesLoops() {
        let a: [Float] = [1, 2, 3, 4, 5, 6]  // 2 × 3
        let b: [Float] = [1, 0, -1, 2, 1, 0, 0.5, 0.5, 0.5, 3, 2, 1]  // 4 × 3
        var c = [Float](repeating: 0, count: 8)
        BLAS.gemmABt(m: 2, n: 4, k: 3, a: a, lda: 3, b: b, ldb: 3, beta: 0, c: &c, ldc: 4)
        var expected = [Float](repeating: 0, count: 8)
        for i in 0 ..< 2 { for j in 0 ..< 4 { for p in 0 ..< 3 { expected[i * 4 + j] += a[i * 3 + p] * b[j * 3 + p] } } }
        XCTAssertEqual(c, expected)
    }

    /// oneDNN's sgemm (the packed path's projections) against OpenBLAS's on
    /// odd shapes and row strides wider than the matrices, writing only the
    /// m × n block of C; the calling thread is left with one OpenMP thread.
    func testOneDNNGemmAgreesWithOpenBLAS() {
        var random = SplitMix(seed: 11)
        for (m, n, k) in [(1, 1, 1), (3, 5, 7), (100, 48, 33), (17, 129, 256), (64, 96, 512)] {
            let lda = k + 3, ldb = k, ldc = n + 5
            let a = (0 ..< m * lda).map { _ in Float(random.uniform()) }
            let b = (0 ..< n * ldb).map { _ in Float(random.uniform()) }
            var expected = [Float](repeating: -7, count: m * ldc)
            var got = expected
            BLAS.gemmABt(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: 0, c: &expected, ldc: ldc)
            BLAS.gemmABtOneDNN(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: &got, ldc: ldc)
            for i in 0 ..< m {
                for j in 0 ..< ldc {
                    let e = expected[i * ldc + j], g = got[i * ldc + j]
                    if j >= n { XCTAssertEqual(g, -7, "\(m)×\(n)×\(k) wrote past column n") }
                    XCTAssertEqual(g, e, accuracy: 2e-6 * Float(k).squareRoot() * max(1, abs(e)), "\(m)×\(n)×\(k) [\(i), \(j)]")
                }
            }
        }
        XCTAssertEqual(omp_get_max_threads(), 1)
    }

    /// A float32 pass on the packed path with oneDNN's GEMM calls no OpenBLAS
    /// and leaves its worker threads as `stopIdleThreads` left them: ended.
    /// (Setting OpenBLAS's thread count, even to one, starts them again, and
    /// they spin on the cores the team computes on: what `forward` did before.)
    func testThePackedOneDNNPathLeavesOpenBLASWorkersEnded() throws {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "blas_server_avail") else {
            throw XCTSkip("this OpenBLAS does not export blas_server_avail")
        }
        let workersStarted = { symbol.assumingMemoryBound(to: Int32.self).pointee != 0 }
        let module = try TestModules.pytorchInitialised(
            RNNArchitecture(mode: .gru, inputSize: 16, hiddenSize: 32, numLayers: 2), seed: 5)
        let network = try RNNNetwork(module: module)
        var numbers = SeededNumbers(seed: 6)
        let input = numbers.floats([7, 3, 16])
        let reference = try network.forward(input: input, options: ExecutionOptions(threads: 2, kernels: .reference))
        // OpenBLAS at two threads, so that a pass wanting one would have to set it (the old `forward` did).
        BLAS.withThreads(2) {}
        BLAS.stopIdleThreads()
        XCTAssertFalse(workersStarted())
        for threads in [1, 2] {
            let packed = try network.forward(input: input, options: ExecutionOptions(threads: threads, gemm: .onednn))
            try assertClose(packed.output, reference.output, accuracy: 1e-5)
            XCTAssertFalse(workersStarted(), "\(threads) threads")
        }
    }

    func testInstructionSetNamesAreReported() {
        XCTAssertFalse(BLAS.oneDNNInstructionSet.isEmpty)
        XCTAssertFalse(BLAS.openBLASCore.isEmpty)
        XCTAssertFalse(BLAS.oneDNNInstructionSet.hasPrefix("isa 0x"), BLAS.oneDNNInstructionSet)
    }
}
