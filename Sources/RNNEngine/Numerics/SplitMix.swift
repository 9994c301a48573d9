/// SplitMix64: small, fast, reproducible pseudo-random numbers.
package struct SplitMix {
    private var state: UInt64

    package init(seed: UInt64) { state = seed }

    /// A value in [-1, 1).
    package mutating func uniform() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 52) - 1
    }
}
