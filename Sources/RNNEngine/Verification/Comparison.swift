import TensorFiles

/// How close computed values must be to the reference: every element must
/// satisfy `|actual − expected| ≤ atol + rtol · |expected|` (numpy's
/// `allclose` rule).
public struct Tolerance: Equatable, Sendable {
    /// Absolute tolerance.
    public var atol: Double
    /// Relative tolerance.
    public var rtol: Double

    /// Creates a tolerance.
    public init(atol: Double, rtol: Double) {
        self.atol = atol
        self.rtol = rtol
    }

    /// The default for results computed in `computeType`: float32 `atol`
    /// 1e-5, float64 `atol` 1e-10, `rtol` 0 for both (a purely absolute
    /// bound; docs/engine.md explains the choice).
    public static func `default`(for computeType: ComputeType) -> Tolerance {
        switch computeType {
        case .float32: return Tolerance(atol: 1e-5, rtol: 0)
        case .float64: return Tolerance(atol: 1e-10, rtol: 0)
        }
    }
}

/// One computed tensor compared with its reference.
public struct TensorComparison: Sendable {
    /// `output`, `h_n` or `c_n`.
    public var name: String
    /// The reference's shape.
    public var expectedShape: [Int]
    /// The computed shape (nil when the engine produced no such tensor).
    public var actualShape: [Int]?
    /// Largest `|actual − expected|` (infinity when a NaN appears on one side only).
    public var maxAbsError: Double
    /// Largest `|actual − expected| / |expected|` over elements whose
    /// expected value is not zero.
    public var maxRelError: Double
    /// Elements outside the tolerance.
    public var mismatches: Int
    /// The tolerance applied.
    public var tolerance: Tolerance

    /// Whether the shapes agree and every element is within tolerance.
    public var passed: Bool { actualShape == expectedShape && mismatches == 0 }

    /// Compares `actual` with `expected` element by element, in float64.
    public static func compare(name: String, actual: Tensor?, expected: Tensor, tolerance: Tolerance) throws -> TensorComparison {
        guard let actual, actual.shape == expected.shape else {
            return TensorComparison(name: name, expectedShape: expected.shape, actualShape: actual?.shape,
                                    maxAbsError: .infinity, maxRelError: .infinity, mismatches: expected.elementCount,
                                    tolerance: tolerance)
        }
        let a = try actual.doubles()
        let e = try expected.doubles()
        var maxAbs = 0.0
        var maxRel = 0.0
        var mismatches = 0
        for index in e.indices {
            if a[index].isNaN && e[index].isNaN { continue }
            let difference = abs(a[index] - e[index])
            let error = difference.isNaN ? Double.infinity : difference
            maxAbs = max(maxAbs, error)
            if e[index] != 0 { maxRel = max(maxRel, error / abs(e[index])) }
            if !(error <= tolerance.atol + tolerance.rtol * abs(e[index])) { mismatches += 1 }
        }
        return TensorComparison(name: name, expectedShape: expected.shape, actualShape: actual.shape,
                                maxAbsError: maxAbs, maxRelError: maxRel, mismatches: mismatches, tolerance: tolerance)
    }
}
