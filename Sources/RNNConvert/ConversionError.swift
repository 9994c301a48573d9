import TensorFiles

/// A conversion rnnkit refuses (the target cannot hold the model, an option
/// does not fit it) or a model whose layout cannot be mapped to PyTorch's.
/// The message says what and why; the CLI exits with status 2.
public struct ConversionError: BadInputError, Equatable, Sendable {
    /// The message shown to the user.
    public var message: String

    /// Creates an error with its message.
    public init(_ message: String) {
        self.message = message
    }

    /// The message shown to the user.
    public var description: String { message }
}
