import Foundation
import TensorFiles

extension Inspector {
    /// `inspect(_:)` followed, when `checkingValues` is true, by a pass over
    /// the data of the recurrent modules' tensors (and only those) that reports
    /// NaN and ±Inf values as problems.
    ///
    /// - Throws: the reader's `TensorFileError` when a module tensor's bytes
    ///   cannot be read.
    public static func inspect(_ tensors: [NamedTensor], checkingValues: Bool) throws -> Inspection {
        var inspection = inspect(tensors)
        if checkingValues {
            inspection.problems += try nonFiniteProblems(in: inspection.modules)
        }
        return inspection
    }

    /// One problem per module tensor holding NaN or ±Inf: how many, and where
    /// the first one is. Reads each tensor's bytes once, without converting them.
    public static func nonFiniteProblems(in modules: [RNNModule]) throws -> [Problem] {
        var problems: [Problem] = []
        for module in modules {
            for parameter in module.parameters.keys.sorted() {
                guard let tensor = module.parameters[parameter], tensor.dtype.isFloatingPoint else { continue }
                let count = try NonFiniteScan.count(in: tensor)
                guard count.total > 0 else { continue }
                problems.append(Problem(
                    tensor: module.qualifiedName(of: parameter),
                    .nonFinite(nan: count.nan, infinite: count.infinite, first: count.first.map { NonFiniteScan.index($0, in: tensor.shape) })))
            }
        }
        return problems
    }
}

/// Counts NaN and infinite values straight from the bit patterns.
enum NonFiniteScan {
    struct Count {
        var nan = 0
        var infinite = 0
        var first: Int?
        var total: Int { nan + infinite }
    }

    static func count(in tensor: Tensor) throws -> Count {
        let data = try tensor.data()
        return data.withUnsafeBytes { raw -> Count in
            switch tensor.dtype {
            case .float16: return scan(raw, UInt16.self, exponent: 0x7C00, mantissa: 0x03FF)
            case .bfloat16: return scan(raw, UInt16.self, exponent: 0x7F80, mantissa: 0x007F)
            case .float32: return scan(raw, UInt32.self, exponent: 0x7F80_0000, mantissa: 0x007F_FFFF)
            case .float64: return scan(raw, UInt64.self, exponent: 0x7FF0_0000_0000_0000, mantissa: 0x000F_FFFF_FFFF_FFFF)
            default: return Count()
            }
        }
    }

    /// A value is non-finite when all its exponent bits are set; it is NaN
    /// when, in addition, any mantissa bit is set.
    static func scan<Bits: FixedWidthInteger>(
        _ raw: UnsafeRawBufferPointer, _: Bits.Type, exponent: Bits, mantissa: Bits
    ) -> Count {
        var count = Count()
        let stride = MemoryLayout<Bits>.size
        let elements = raw.count / stride
        for index in 0 ..< elements {
            let bits = raw.loadUnaligned(fromByteOffset: index * stride, as: Bits.self)
            guard bits & exponent == exponent else { continue }
            if bits & mantissa != 0 { count.nan += 1 } else { count.infinite += 1 }
            if count.first == nil { count.first = index }
        }
        return count
    }

    /// The multi-dimensional index of flat C-order position `flat`.
    static func index(_ flat: Int, in shape: [Int]) -> [Int] {
        var rest = flat
        var index = [Int](repeating: 0, count: shape.count)
        for axis in shape.indices.reversed() where shape[axis] > 0 {
            index[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        return index
    }
}
