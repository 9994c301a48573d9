/// Where a module sits in a model, as PyTorch's `state_dict` prefixes spell
/// it: `encoder.lstm`, or the root (no prefix), which messages show as `(root)`.
///
/// The one place that spells `(root)` and joins `prefix.name`: the PyTorch
/// readers name modules and tensors with it, the layers above select and
/// validate modules by it (`RNNLayouts` re-exports it).
public struct ModulePath: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The prefix as tensor names carry it; `""` for the root.
    public let prefix: String

    /// The module whose tensors are named `prefix.…` (`""`: the root).
    public init(_ prefix: String) { self.prefix = prefix }

    /// The module reached through `components` (`["encoder", "lstm"]`:
    /// `encoder.lstm`; none: the root).
    public init<Components: Sequence>(components: Components) where Components.Element: StringProtocol {
        prefix = components.joined(separator: ".")
    }

    /// The module holding the tensor named `tensor` (`encoder.lstm` for
    /// `encoder.lstm.weight_ih_l0`; the root for `weight_ih_l0`).
    public init(owning tensor: String) {
        prefix = tensor.lastIndex(of: ".").map { String(tensor[..<$0]) } ?? ""
    }

    /// What a user types: a prefix, or `(root)` (or `""`) for the root.
    public init(parsing text: String) { prefix = text == Self.rootText ? "" : text }

    /// The root module (tensors named `weight_ih_l0`, …).
    public static let root = ModulePath("")

    /// Whether this is the root.
    public var isRoot: Bool { prefix.isEmpty }

    /// `encoder.lstm`, or `(root)`: the path as messages show it.
    public var description: String { isRoot ? Self.rootText : prefix }

    /// The full name of the module's tensor `name`: `prefix.name`, or `name` at the root.
    public func qualify(_ name: String) -> String { isRoot ? name : prefix + "." + name }

    public static func < (a: ModulePath, b: ModulePath) -> Bool { a.prefix < b.prefix }

    private static let rootText = "(root)"
}
