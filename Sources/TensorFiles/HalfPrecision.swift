import CTensorKernels

/// Bit-exact conversions between IEEE half / bfloat16 and `Float`.
///
/// Written out instead of relying on `Float16` so that the same code runs on
/// every platform Swift supports, and so that rounding is explicit: float → half
/// and float → bfloat16 round to nearest, ties to even, like numpy and PyTorch.
public enum HalfPrecision {
    /// Converts IEEE 754 binary16 bits to a `Float` (exact).
    @inlinable
    public static func float(fromHalf bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = Int((bits >> 10) & 0x1F)
        let mantissa = UInt32(bits & 0x03FF)
        if exponent == 0 {
            if mantissa == 0 { return Float(bitPattern: sign) }
            // Subnormal half: value = mantissa · 2^-24.
            let magnitude = Float(mantissa) * Float(bitPattern: 0x3380_0000)  // 2^-24
            return sign == 0 ? magnitude : -magnitude
        }
        if exponent == 0x1F {
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        return Float(bitPattern: sign | UInt32(exponent + 112) << 23 | (mantissa << 13))
    }

    /// Converts a `Float` to IEEE 754 binary16 bits, rounding to nearest even.
    @inlinable
    public static func half(fromFloat value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xFF)
        var mantissa = bits & 0x007F_FFFF
        if exponent == 0xFF {  // Inf or NaN
            return sign | 0x7C00 | (mantissa != 0 ? 0x0200 | UInt16(mantissa >> 13) : 0)
        }
        let halfExponent = exponent - 127 + 15
        if halfExponent >= 0x1F { return sign | 0x7C00 }  // overflow → Inf
        if halfExponent <= 0 {
            // Subnormal or zero in half precision.
            if halfExponent < -10 { return sign }
            mantissa |= 0x0080_0000
            let shift = UInt32(14 - halfExponent)
            var halfMantissa = mantissa >> shift
            let remainder = mantissa & ((1 << shift) - 1)
            let halfway = UInt32(1) << (shift - 1)
            if remainder > halfway || (remainder == halfway && (halfMantissa & 1) == 1) {
                halfMantissa += 1
            }
            return sign | UInt16(halfMantissa)
        }
        var result = UInt32(halfExponent) << 10 | (mantissa >> 13)
        let remainder = mantissa & 0x1FFF
        if remainder > 0x1000 || (remainder == 0x1000 && (result & 1) == 1) {
            result += 1  // may carry into the exponent, which is correct
        }
        return sign | UInt16(result)
    }

    /// Converts `count` float32 values at `input` to binary16 bits at
    /// `output` (both may be unaligned), as `half(fromFloat:)` does each:
    /// with the CPU's F16C instructions when it has them (the same bits,
    /// NaNs included), else element by element.
    public static func halves(fromFloats input: UnsafeRawPointer, into output: UnsafeMutableRawPointer, count: Int, useF16C: Bool = true) {
        if useF16C, rk_f16c_floats_to_halves(input, output, count) != 0 { return }
        for index in 0 ..< count {
            let bits = half(fromFloat: input.loadUnaligned(fromByteOffset: index * 4, as: Float.self))
            output.storeBytes(of: bits, toByteOffset: index * 2, as: UInt16.self)
        }
    }

    /// Whether `halves(fromFloats:into:count:)` uses F16C on this CPU.
    public static var hasF16C: Bool { rk_has_f16c() != 0 }

    /// Converts bfloat16 bits to a `Float` (exact).
    @inlinable
    public static func float(fromBFloat16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Converts a `Float` to bfloat16 bits, rounding to nearest even.
    @inlinable
    public static func bfloat16(fromFloat value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x0040 }
        let roundingBias = UInt32(0x7FFF) + ((bits >> 16) & 1)
        return UInt16((bits &+ roundingBias) >> 16)
    }
}
