import CTensorKernels
import Foundation

/// Narrowing a tensor (`converted(to:)`, `convertedWhenWritten(to:)`:
/// float32 → float16, float64 → float32, …) rounds each value to the
/// nearest the narrower type holds, ties to even. A finite value beyond
/// that type's range would become infinity: a different number, which a
/// conversion must not write without a word. These find such a value first.
extension DType {
    /// The float32 bit pattern of the smallest magnitude that rounds to
    /// infinity in this type: half-way between its largest finite value and
    /// the next power of two, where ties go to the even neighbour, infinity
    /// (float16: 65520; bfloat16: 0x7F7F8000 ≈ 3.3962e38; float32: infinity
    /// itself, which a float64 beyond float32's range rounds to). Nil for
    /// types nothing overflows into (float64) and non-floating types.
    var overflowThreshold: UInt32? {
        switch self {
        case .float16: 0x477F_F000
        case .bfloat16: 0x7F7F_8000
        case .float32: 0x7F80_0000
        default: nil
        }
    }

    /// The largest finite value of a floating-point type.
    public var largestFinite: Double? {
        switch self {
        case .float16: 65504
        case .bfloat16: Double(Float(bitPattern: 0x7F7F_0000))
        case .float32: Double(Float.greatestFiniteMagnitude)
        case .float64: Double.greatestFiniteMagnitude
        default: nil
        }
    }
}

extension Tensor {
    /// The first finite element (its index in C order and value) that
    /// converting to `target` would turn into infinity; nil when there is
    /// none, when `target` is not narrower, or when the tensor is not
    /// floating-point (integer tensors are not narrowed by `--dtype`).
    public func firstOverflow(narrowingTo target: DType) throws -> (index: Int, value: Double)? {
        guard dtype.isFloatingPoint, target.isFloatingPoint, let threshold = target.overflowThreshold, elementCount > 0 else {
            return nil
        }
        let bytes = try data()
        guard bytes.count == byteCount else {
            throw TensorFileError(file: "(memory)", .sizeMismatch(expected: byteCount, actual: bytes.count))
        }
        return bytes.withUnsafeBytes { raw -> (Int, Double)? in
            let count = elementCount
            switch dtype {
            case .float32:
                let index = rk_first_overflow_f32(raw.baseAddress!, count, threshold)
                return index < count ? (index, Double(raw.loadUnaligned(fromByteOffset: 4 * index, as: Float.self))) : nil
            case .float64:
                let index = rk_first_overflow_f64(raw.baseAddress!, count, threshold)
                return index < count ? (index, raw.loadUnaligned(fromByteOffset: 8 * index, as: Double.self)) : nil
            case .bfloat16:
                // bfloat16 is float32's upper half: only float16 is narrower.
                for index in 0 ..< count {
                    let bits = UInt32(raw.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self)) << 16
                    let magnitude = bits & 0x7FFF_FFFF
                    if magnitude >= threshold, magnitude < 0x7F80_0000 { return (index, Double(Float(bitPattern: bits))) }
                }
                return nil
            default:
                // float16 fits every other floating-point type.
                return nil
            }
        }
    }
}
