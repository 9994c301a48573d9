/// Marks errors caused by the user's input rather than by rnnkit: the CLI
/// exits with status 2 for them. Errors of other modules (layouts, engine)
/// conform so that one rule maps every bad input to the same exit code.
public protocol BadInputError: Error, CustomStringConvertible {}

extension TensorFileError: BadInputError {}
