import TensorFiles

/// One recurrent module found in a file: its name prefix, the architecture
/// inferred from its tensors, and the tensors themselves.
public struct RNNModule: Sendable {
    /// The name prefix without the trailing dot (`encoder.rnn`), `""` at the root.
    public var name: String
    /// What the tensors say the module is.
    public var architecture: RNNArchitecture
    /// The module's tensors by parameter name. Full names in the file are
    /// `qualifiedName(of:)`.
    public var parameters: [ParameterName: Tensor]
    /// LSTM peephole weights (`architecture.variant.peepholes`), by state
    /// slice `layer · directions + direction` (as `h_n` orders them), each
    /// (3·hidden) in ONNX's order `i, o, f`. PyTorch names cannot hold them:
    /// only an ONNX `P` input gives them.
    public var peepholes = PeepholeWeights()
    /// Tensors the file holds under the module's names but its reader could
    /// not read (a dtype or storage rnnkit does not read), with the reader's
    /// words: `ModuleValidation` reports each.
    public var unreadable: [ParameterName: String] = [:]

    /// Creates a module.
    public init(name: String, architecture: RNNArchitecture, parameters: [ParameterName: Tensor]) {
        self.name = name
        self.architecture = architecture
        self.parameters = parameters
    }

    /// The tensor for `parameter`, if present.
    public func tensor(_ parameter: ParameterName) -> Tensor? {
        parameters[parameter]
    }

    /// The full tensor name of `parameter` in this module (`encoder.rnn.weight_ih_l0`).
    public func qualifiedName(of parameter: ParameterName) -> String {
        path.qualify(parameter.text)
    }

    /// A display name: the prefix, or `(root)` for `""`.
    public var displayName: String { path.description }

    /// The module's path in the model.
    public var path: ModulePath { ModulePath(name) }
}

/// LSTM peephole weights by state slice (`layer · directions + direction`),
/// each (3·hidden) in ONNX's order `i, o, f`; equal when the slices hold the
/// same shapes, dtypes and bytes.
public struct PeepholeWeights: Sendable, Equatable {
    /// The tensors by state slice.
    public var slices: [Int: Tensor]

    /// Creates peephole weights.
    public init(_ slices: [Int: Tensor] = [:]) {
        self.slices = slices
    }

    /// Whether there are none.
    public var isEmpty: Bool { slices.isEmpty }

    /// The tensor of state slice `index`.
    public subscript(index: Int) -> Tensor? { slices[index] }

    public static func == (lhs: PeepholeWeights, rhs: PeepholeWeights) -> Bool {
        lhs.slices.keys == rhs.slices.keys && lhs.slices.allSatisfy { key, tensor in
            guard let other = rhs.slices[key] else { return false }
            return tensor.shape == other.shape && tensor.dtype == other.dtype && (try? tensor.data()) == (try? other.data())
        }
    }
}
