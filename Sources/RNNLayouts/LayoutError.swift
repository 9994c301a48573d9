import TensorFiles

/// Bad user input to the layout layer: a malformed rename, an unknown or
/// ambiguous module, an input shape that does not fit.
public enum LayoutError: BadInputError, Equatable {
    /// A `--rename` argument that cannot be applied.
    case badRename(String)
    /// `--module` names no module, or is needed because there are several.
    case moduleSelection(String)
    /// An input shape that does not fit the module.
    case badInputShape(String)

    /// The message shown to the user.
    public var description: String {
        switch self {
        case .badRename(let why): return "--rename \(why)"
        case .moduleSelection(let why): return why
        case .badInputShape(let why): return why
        }
    }
}
