import CRNNKernels
import Foundation
import XCTest
@testable import RNNEngine

/// The C kernels against plain double-precision arithmetic: the fast
/// sigmoid/tanh against libm, and the fused step kernel (every kind, every
/// instruction-set level) on random shapes including odd sizes and partial
/// blocks.
final class KernelTests: XCTestCase {
    /// On a CPU without AVX-512 (or AVX2) the dispatcher lowers the level to what it supports.
    static let levels: [Int32] = [Int32(RK_LEVEL_PORTABLE), Int32(RK_LEVEL_AVX2), Int32(RK_LEVEL_AVX512)]

    /// The documented bound (docs/performance.md): |fast − exact| ≤ 4e-7·|exact| + 1e-30
    /// over [-40, 40], with exact computed by libm in double precision.
    func testSigmoidAndTanhStayWithinTheirBoundOfLibm() {
        let inputs = stride(from: -40.0, through: 40.0, by: 1.7e-4).map { Float($0) }
            + [0, -0, 1e-30, -1e-30, 1e-40, 88, -88, 89, -89, 1e4, -1e4, .infinity, -.infinity]
        var output = [Float](repeating: 0, count: inputs.count)
        for level in Self.levels {
            for (name, run, exact) in [
                ("sigmoid", rk_sigmoid as (Int32, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int) -> Void,
                 { (x: Double) in 1 / (1 + Foundation.exp(-x)) }),
                ("tanh", rk_tanh, { (x: Double) in Foundation.tanh(x) }),
            ] {
                run(level, inputs, &output, inputs.count)
                var worst = 0.0
                for (x, y) in zip(inputs, output) {
                    let e = exact(Double(x))
                    let error = abs(Double(y) - e)
                    XCTAssertLessThanOrEqual(error, 4e-7 * abs(e) + 1e-30, "\(name)(\(x)) = \(y), libm \(e), level \(level)")
                    worst = max(worst, error / max(abs(e), 1e-30))
                }
                XCTAssertGreaterThan(worst, 0, "\(name): a bound that nothing approaches tests nothing")
            }
            // NaN stays NaN, as in PyTorch.
            var nan: [Float] = [.nan, 1], result: [Float] = [0, 0]
            rk_sigmoid(level, &nan, &result, 2)
            XCTAssertTrue(result[0].isNaN)
            rk_tanh(level, &nan, &result, 2)
            XCTAssertTrue(result[0].isNaN)
        }
    }

    /// Every kind, every level, rows 1…13 (AVX2 tiles of 3, 2, 1; AVX-512
    /// tiles of 8, 4, 2, 1), units that leave partial blocks, inner sizes odd
    /// and even, several K chunks, blocks run in two calls.
    func testStepKernelMatchesTheEquations() {
        var random = SplitMix(seed: 7)
        let kinds: [Int32] = [RK_STEP_LSTM, RK_STEP_GRU, RK_STEP_RNN_TANH, RK_STEP_RNN_RELU, RK_STEP_LINEAR].map { Int32($0) }
        for kind in kinds {
            for (rows, units, k) in [(1, 1, 1), (1, 8, 16), (2, 5, 3), (3, 9, 17), (4, 33, 8), (7, 40, 31), (5, 64, 64), (1, 100, 257),
                                   (13, 17, 300), (9, 40, 129)] {
                let inner = kind == Int32(RK_STEP_GRU) ? units : k  // a GRU's h has `units` features
                let gates = Int(rk_step_gates(kind))
                let w = (0 ..< gates * units * inner).map { _ in Float(random.uniform() * 0.5) }
                let h = (0 ..< rows * inner).map { _ in Float(random.uniform()) }
                let x = (0 ..< rows * gates * units).map { _ in Float(random.uniform()) }
                let bias = (0 ..< gates * units).map { _ in Float(random.uniform() * 0.3) }
                let hbias = (0 ..< gates * units).map { _ in Float(random.uniform() * 0.3) }
                let c0 = (0 ..< rows * units).map { _ in Float(random.uniform()) }
                let expected = StepReference.run(kind: kind, rows: rows, units: units, k: inner, w: w, h: h, x: x,
                                                 bias: bias, hbias: hbias, c: c0)
                for level in Self.levels {
                    let packedBuffer = AlignedBuffer<Float>(zeros: rk_packed_count(kind, units, inner))
                    rk_pack(kind, w, units, inner, packedBuffer.pointer)
                    var c = c0
                    var out = [Float](repeating: .nan, count: rows * units)
                    // The step keeps pointers to every array, so each is pinned for the whole call.
                    h.withUnsafeBufferPointer { hBuffer in
                    x.withUnsafeBufferPointer { xBuffer in
                    bias.withUnsafeBufferPointer { biasBuffer in
                    hbias.withUnsafeBufferPointer { hbiasBuffer in
                    c.withUnsafeMutableBufferPointer { cBuffer in
                        out.withUnsafeMutableBufferPointer { outBuffer in
                            var step = rk_step(
                                kind: kind, rows: rows, units: units, k: inner, packed: packedBuffer.pointer,
                                h: hBuffer.baseAddress, ldh: inner, x: xBuffer.baseAddress, ldx: gates * units,
                                bias: biasBuffer.baseAddress, hbias: hbiasBuffer.baseAddress,
                                c: cBuffer.baseAddress, ldc: units, out: outBuffer.baseAddress, ldout: units)
                            let blocks = rk_step_blocks(&step)
                            rk_step_run(level, &step, 0, blocks / 2)
                            rk_step_run(level, &step, blocks / 2, blocks)
                        }
                    }
                    }
                    }
                    }
                    }
                    let label = "kind \(kind) rows \(rows) units \(units) k \(inner) level \(level)"
                    assertClose(out, expected.out, label + " out")
                    if kind == Int32(RK_STEP_LSTM) { assertClose(c, expected.c, label + " c") }
                }
            }
        }
    }

    func testPackingPlacesEveryWeight() {
        // LSTM, 4 gates × 3 units, k 2: column j of block 0 holds units 0…7 of i, f, g, o side by side.
        let w = (0 ..< 24).map(Float.init)
        var packed = [Float](repeating: -1, count: rk_packed_count(Int32(RK_STEP_LSTM), 3, 2))
        rk_pack(Int32(RK_STEP_LSTM), w, 3, 2, &packed)
        XCTAssertEqual(packed.count, 2 * 32)
        for gate in 0 ..< 4 {
            for unit in 0 ..< 8 {
                for column in 0 ..< 2 {
                    let value = packed[column * 32 + gate * 8 + unit]
                    XCTAssertEqual(value, unit < 3 ? w[(gate * 3 + unit) * 2 + column] : 0)
                }
            }
        }
    }

    private func assertClose(_ actual: [Float], _ expected: [Double], _ message: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, message, file: file, line: line)
        let worst = zip(actual, expected).map { abs(Double($0) - $1) / max(1, abs($1)) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, 1e-5, message, file: file, line: line)
    }
}

/// The equations of one step in double precision, straight from the
/// documentation (the packed kernels must agree with this).
enum StepReference {
    static func run(kind: Int32, rows: Int, units n: Int, k: Int, w: [Float], h: [Float], x: [Float],
                    bias: [Float], hbias: [Float], c: [Float]) -> (out: [Double], c: [Double]) {
        func sigmoid(_ v: Double) -> Double { 1 / (1 + exp(-v)) }
        var out = [Double](repeating: 0, count: rows * n)
        var cNext = c.map(Double.init)
        let gates = Int(rk_step_gates(kind))
        for r in 0 ..< rows {
            // acc[g·n + j] = W[g·n + j] · h[r]
            let acc = (0 ..< gates * n).map { row in (0 ..< k).reduce(0.0) { $0 + Double(w[row * k + $1]) * Double(h[r * k + $1]) } }
            func pre(_ g: Int, _ j: Int) -> Double { acc[g * n + j] + Double(x[r * gates * n + g * n + j]) + Double(bias[g * n + j]) }
            for j in 0 ..< n {
                switch kind {
                case Int32(RK_STEP_LSTM):
                    let i = sigmoid(pre(0, j)), f = sigmoid(pre(1, j)), g = tanh(pre(2, j)), o = sigmoid(pre(3, j))
                    cNext[r * n + j] = f * Double(c[r * n + j]) + i * g
                    out[r * n + j] = o * tanh(cNext[r * n + j])
                case Int32(RK_STEP_GRU):
                    func xb(_ g: Int) -> Double { Double(x[r * 3 * n + g * n + j]) + Double(bias[g * n + j]) }
                    func hb(_ g: Int) -> Double { acc[g * n + j] + Double(hbias[g * n + j]) }
                    let reset = sigmoid(xb(0) + hb(0)), z = sigmoid(xb(1) + hb(1))
                    let candidate = tanh(xb(2) + reset * hb(2))
                    out[r * n + j] = (1 - z) * candidate + z * Double(h[r * k + j])
                case Int32(RK_STEP_RNN_TANH): out[r * n + j] = tanh(pre(0, j))
                case Int32(RK_STEP_RNN_RELU): out[r * n + j] = max(0, pre(0, j))
                default: out[r * n + j] = acc[j]
                }
            }
        }
        return (out, cNext)
    }
}
