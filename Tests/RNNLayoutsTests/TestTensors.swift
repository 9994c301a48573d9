import Foundation
import TensorFiles
@testable import RNNLayouts

/// Builds in-memory tensors named and shaped the way PyTorch's state_dict
/// would hold them for an architecture, so tests can break one thing at a time.
enum TestTensors {
    /// Every parameter of `architecture`, under `module.` (or at the root), zero-filled.
    static func module(_ architecture: RNNArchitecture, named module: String = "") -> [NamedTensor] {
        architecture.parameterNames.map { parameter in
            let name = module.isEmpty ? parameter.text : "\(module).\(parameter.text)"
            return NamedTensor(name: name, tensor: zeros(architecture.expectedShape(of: parameter), architecture.dtype))
        }
    }

    /// The `RNNModule` of `architecture` with every parameter present, zero-filled.
    static func rnnModule(_ architecture: RNNArchitecture, named module: String = "") -> RNNModule {
        let parameters = architecture.parameterNames.map { ($0, zeros(architecture.expectedShape(of: $0), architecture.dtype)) }
        return RNNModule(name: module, architecture: architecture, parameters: Dictionary(uniqueKeysWithValues: parameters))
    }

    /// A zero tensor of any dtype.
    static func zeros(_ shape: [Int], _ dtype: DType = .float32) -> Tensor {
        let count = shape.reduce(1, *) * dtype.itemSize
        // Zero bytes are a valid zero in every dtype; the count matches by construction.
        return (try? Tensor(dtype: dtype, shape: shape, data: Data(count: count)))
            ?? Tensor(shape: [0], floats: [])
    }

    /// `tensors` with the one named `name` replaced by `tensor` (or removed when nil).
    static func replacing(_ name: String, with tensor: Tensor?, in tensors: [NamedTensor]) -> [NamedTensor] {
        tensors.compactMap { named in
            guard named.name == name else { return named }
            return tensor.map { NamedTensor(name: name, tensor: $0) }
        }
    }

    /// The problems' tensor names, in order.
    static func problemTensors(_ inspection: Inspection) -> [String?] {
        inspection.problems.map(\.tensor)
    }
}
