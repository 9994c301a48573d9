import TensorFiles

/// The floating-point type a network computes in. Weights of any float dtype
/// (float16, bfloat16, float32, float64) are converted to it once, when the
/// network is prepared; inputs must already have it.
public enum ComputeType: String, Sendable, CaseIterable {
    /// Single precision (`torch.float32`).
    case float32
    /// Double precision (`torch.float64`).
    case float64

    /// The compute type for tensors of `dtype`; nil unless float32 or float64.
    public init?(dtype: DType) {
        switch dtype {
        case .float32: self = .float32
        case .float64: self = .float64
        default: return nil
        }
    }

    /// The dtype of the tensors the network reads and returns.
    public var dtype: DType {
        switch self {
        case .float32: return .float32
        case .float64: return .float64
        }
    }
}

