import TensorFiles

/// Something wrong with a file's recurrent tensors that does not stop it from
/// being read: a missing or misshaped tensor, layers that disagree, mixed
/// dtypes. `inspect` lists problems and exits 0.
public struct Problem: Equatable, Sendable, CustomStringConvertible {
    /// The full tensor name concerned, or nil for a module-wide problem.
    public var tensor: String?
    /// What is wrong and what was expected.
    public var message: String
    /// The problem as `ModuleValidation` found it, for a module that could be
    /// inferred; nil for tensors that form no module, and for non-finite values.
    public var moduleProblem: ModuleProblem?

    /// Creates a problem.
    public init(tensor: String?, message: String) {
        self.tensor = tensor
        self.message = message
    }

    /// The problem `ModuleValidation` found, in its own words.
    public init(_ problem: ModuleProblem) {
        tensor = problem.tensor
        message = problem.message
        moduleProblem = problem
    }

    /// `tensor: message`, or the message alone.
    public var description: String { tensor.map { "\($0): \(message)" } ?? message }
}
