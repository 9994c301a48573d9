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
