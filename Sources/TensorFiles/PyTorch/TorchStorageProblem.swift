/// Why a PyTorch tensor's storage or view was refused. Each case carries the
/// storage key, sizes and view concerned; the text lives in `description`.
public enum TorchStorageProblem: Equatable, Sendable, CustomStringConvertible {
    /// The storage the tensor refers to is not in the file.
    case missing(storage: String)
    /// The storage is declared as `declared` bytes from byte `from` of its
    /// record, but the file holds `available`.
    case short(storage: String, declared: Int, from: Int, available: Int)
    /// shape × itemsize overflows.
    case shapeOverflows([Int])
    /// The view's addressed range overflows.
    case viewOverflows(View)
    /// The view addresses `needed` bytes (nil: more than `Int.max`) of a
    /// storage holding `storageBytes`.
    case viewPastStorage(storage: String, storageBytes: Int, view: View, dtype: DType, needed: Int?)
    /// A strided view that would materialise `bytes` from a storage of
    /// `storageBytes`, beyond `maximumExpansion`× (or `minimumLimit` bytes).
    case overExpanded(view: View, bytes: Int, storageBytes: Int, maximumExpansion: Int, minimumLimit: Int)

    /// A tensor's view of its storage, in elements.
    public struct View: Equatable, Sendable, CustomStringConvertible {
        /// The storage offset.
        public var offset: Int
        /// The tensor's shape.
        public var shape: [Int]
        /// The tensor's strides.
        public var strides: [Int]

        /// Creates a view.
        public init(offset: Int, shape: [Int], strides: [Int]) {
            self.offset = offset
            self.shape = shape
            self.strides = strides
        }

        /// `offset 0, size [2, 3], stride [3, 1]`.
        public var description: String { "offset \(offset), size \(shape), stride \(strides)" }
    }

    /// The problem, without file or tensor.
    public var description: String {
        switch self {
        case .missing(let storage):
            return "storage '\(storage)' is missing from the file (the tensor refers to it)"
        case .short(let storage, let declared, let from, let available):
            return "storage '\(storage)' is declared as \(declared) bytes" + (from > 0 ? " from byte \(from)" : "")
                + " but the file holds \(available)"
        case .shapeOverflows(let shape):
            return "bad shape: \(shape) overflows"
        case .viewOverflows(let view):
            return "bad shape: the view (\(view)) overflows"
        case .viewPastStorage(let storage, let storageBytes, let view, let dtype, let needed):
            return "storage '\(storage)' holds \(storageBytes) bytes but the view (\(view), \(dtype.rawValue)) needs "
                + (needed.map(String.init) ?? "more than \(Int.max)")
        case .overExpanded(let view, let bytes, let storageBytes, let maximumExpansion, let minimumLimit):
            return "the view (\(view)) would materialise \(bytes) bytes from a storage of \(storageBytes); "
                + "rnnkit expands a view to at most \(maximumExpansion)× its storage (or \(minimumLimit) bytes)"
        }
    }
}
