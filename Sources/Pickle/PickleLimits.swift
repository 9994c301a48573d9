/// Bounds the unpickler enforces before it allocates.
///
/// Every opcode consumes at least one byte, so memory already grows at most
/// linearly with the pickle; these limits cap the constant and refuse inputs
/// no `torch.save` ever writes (tens of thousands of open marks, names longer
/// than a line of code). String and bytes lengths are always checked against
/// the bytes that remain, never against a limit, before anything is allocated.
public struct PickleLimits: Sendable {
    /// Most values on the stack at once (all open marks together).
    public var maximumStackCount: Int
    /// Most `MARK`s open at once: how deeply `MARK … TUPLE` groups nest.
    public var maximumMarkDepth: Int
    /// Most memo entries.
    public var maximumMemoCount: Int
    /// Most containers and objects in the document.
    public var maximumObjectCount: Int
    /// Longest module or name line of a `GLOBAL` opcode, in bytes.
    public var maximumGlobalNameLength: Int

    /// Creates limits.
    public init(
        maximumStackCount: Int, maximumMarkDepth: Int, maximumMemoCount: Int,
        maximumObjectCount: Int, maximumGlobalNameLength: Int
    ) {
        self.maximumStackCount = maximumStackCount
        self.maximumMarkDepth = maximumMarkDepth
        self.maximumMemoCount = maximumMemoCount
        self.maximumObjectCount = maximumObjectCount
        self.maximumGlobalNameLength = maximumGlobalNameLength
    }

    /// Generous for any real checkpoint (millions of tensors), small enough
    /// that a hostile pickle cannot exhaust memory.
    public static let standard = PickleLimits(
        maximumStackCount: 1 << 24, maximumMarkDepth: 1_000, maximumMemoCount: 1 << 24,
        maximumObjectCount: 1 << 24, maximumGlobalNameLength: 1_024)
}
