#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import TensorFiles

/// The element types the engine computes in (`Float`, `Double`): the BLAS
/// calls, the activation functions and the conversions from tensors that the
/// generic runner needs.
protocol EngineScalar: BinaryFloatingPoint, Sendable {
    /// The dtype of tensors holding this type.
    static var dtype: DType { get }
    /// The values of any floating-point tensor, converted to this type.
    static func values(of tensor: Tensor) throws -> [Self]
    /// A tensor of this type from values in C order.
    static func tensor(shape: [Int], values: [Self]) -> Tensor
    /// `C = A · Bᵀ + beta · C`, row-major (`BLAS.gemmABt`).
    static func gemmABt(m: Int, n: Int, k: Int, a: UnsafePointer<Self>, lda: Int,
                        b: UnsafePointer<Self>, ldb: Int, beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// `y = A · x + beta · y`, row-major (`BLAS.gemv`).
    static func gemv(m: Int, n: Int, a: UnsafePointer<Self>, lda: Int,
                     x: UnsafePointer<Self>, beta: Self, y: UnsafeMutablePointer<Self>)
    /// e^x.
    static func exp(_ x: Self) -> Self
    /// The hyperbolic tangent.
    static func tanh(_ x: Self) -> Self
}

extension EngineScalar {
    /// The logistic function σ(x) = 1 / (1 + e^(−x)).
    @inline(__always)
    static func sigmoid(_ x: Self) -> Self { 1 / (1 + exp(-x)) }

    /// max(0, x), keeping NaN as NaN as PyTorch's `relu` does.
    @inline(__always)
    static func relu(_ x: Self) -> Self { x < 0 ? 0 : x }
}

extension Float: EngineScalar {
    static var dtype: DType { .float32 }
    static func values(of tensor: Tensor) throws -> [Float] { try tensor.floats() }
    static func tensor(shape: [Int], values: [Float]) -> Tensor { Tensor(shape: shape, floats: values) }
    @inline(__always)
    static func gemmABt(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                        b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        BLAS.gemmABt(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
    @inline(__always)
    static func gemv(m: Int, n: Int, a: UnsafePointer<Float>, lda: Int,
                     x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>) {
        BLAS.gemv(m: m, n: n, a: a, lda: lda, x: x, beta: beta, y: y)
    }
    @inline(__always) static func exp(_ x: Float) -> Float { expf(x) }
    @inline(__always) static func tanh(_ x: Float) -> Float { tanhf(x) }
}

extension Double: EngineScalar {
    static var dtype: DType { .float64 }
    static func values(of tensor: Tensor) throws -> [Double] { try tensor.doubles() }
    static func tensor(shape: [Int], values: [Double]) -> Tensor { Tensor(shape: shape, doubles: values) }
    @inline(__always)
    static func gemmABt(m: Int, n: Int, k: Int, a: UnsafePointer<Double>, lda: Int,
                        b: UnsafePointer<Double>, ldb: Int, beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        BLAS.gemmABt(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
    @inline(__always)
    static func gemv(m: Int, n: Int, a: UnsafePointer<Double>, lda: Int,
                     x: UnsafePointer<Double>, beta: Double, y: UnsafeMutablePointer<Double>) {
        BLAS.gemv(m: m, n: n, a: a, lda: lda, x: x, beta: beta, y: y)
    }
    @inline(__always) static func exp(_ x: Double) -> Double { libmExp(x) }
    @inline(__always) static func tanh(_ x: Double) -> Double { libmTanh(x) }
}

// The C library's double-precision functions, named apart from the
// protocol's requirements they implement.
@inline(__always) private func libmExp(_ x: Double) -> Double { exp(x) }
@inline(__always) private func libmTanh(_ x: Double) -> Double { tanh(x) }

/// A fixed-size, 64-byte aligned array the engine owns: weights prepared at
/// load and the per-forward workspaces. Zero-filled at creation; freed with
/// the object. Immutable once the weights are prepared, so sharing it between
/// threads is safe.
///
/// Buffers of `LargePages.threshold` bytes or more come straight from the
/// kernel (`LargePages`): already zero, so they are not written before use,
/// and in 2 MB pages where the system allows, so that first touching them
/// costs a page fault per 2 MB rather than per 4 KB.
final class AlignedBuffer<Element: EngineScalar>: @unchecked Sendable {
    /// The first element.
    let pointer: UnsafeMutablePointer<Element>
    /// Number of elements.
    let count: Int
    /// Bytes mapped by `LargePages`, 0 when the buffer came from the allocator.
    private let mappedBytes: Int

    /// `count` zeros.
    init(zeros count: Int) {
        self.count = count
        let bytes = max(count, 1) * MemoryLayout<Element>.stride
        if bytes >= LargePages.threshold, let mapped = LargePages.allocate(byteCount: bytes) {
            mappedBytes = mapped.byteCount
            pointer = mapped.pointer.bindMemory(to: Element.self, capacity: max(count, 1))  // zero already
        } else {
            mappedBytes = 0
            let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            pointer = raw.bindMemory(to: Element.self, capacity: max(count, 1))
            pointer.initialize(repeating: 0, count: max(count, 1))
        }
    }

    /// A copy of `values`.
    convenience init(_ values: [Element]) {
        self.init(zeros: values.count)
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    /// Sets every element to zero.
    func zero() { pointer.update(repeating: 0, count: count) }

    /// The elements as an array.
    var array: [Element] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    deinit {
        if mappedBytes > 0 {
            LargePages.release(UnsafeMutableRawPointer(pointer), byteCount: mappedBytes)
        } else {
            UnsafeMutableRawPointer(pointer).deallocate()
        }
    }
}
