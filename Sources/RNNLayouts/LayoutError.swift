import TensorFiles

/// Bad user input to the layout layer: a malformed rename, an unknown or
/// ambiguous module, an input shape that does not fit.
public enum LayoutError: BadInputError, Equatable {
    /// A rename that cannot be applied.
    case badRename(String)
    /// The module named is not in the file, or the file holds none.
    case moduleSelection(String)
    /// The file holds several modules and none was named; `modules` lists
    /// them as `'name' (MODE)`.
    case severalModules([String])
    /// An input shape that does not fit the module.
    case badInputShape(String)

    /// The message shown to the user.
    public var description: String {
        switch self {
        case .badRename(let why): return "rename \(why)"
        case .moduleSelection(let why): return why
        case .severalModules(let modules):
            return "the file holds \(modules.count) modules; name the one to use: \(modules.joined(separator: ", "))"
        case .badInputShape(let why): return why
        }
    }
}
