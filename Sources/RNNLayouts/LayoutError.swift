import TensorFiles

/// Bad user input to the layout layer: a malformed rename, an unknown or
/// ambiguous module, an input shape that does not fit. Each case carries
/// the names and values concerned; the text lives in `message(naming:)`.
public enum LayoutError: OptionNamingError, Equatable {
    /// A rename that is not `OLD=NEW`.
    case malformedRename(String)
    /// The same tensor renamed twice.
    case renamedTwice(String)
    /// A rename of a tensor the file does not hold; `available` lists (up
    /// to 12 of) the file's tensors, `more` whether it holds more.
    case noTensorToRename(String, available: [String], more: Bool)
    /// After renaming, two tensors have this name.
    case renameCollision(String)
    /// The file holds no recurrent module; `problems` say what stopped the
    /// tensors there from forming one.
    case noModule(problems: [Problem])
    /// No module has the name asked for (as typed); `available` lists the
    /// file's modules (shown as `'name' (MODE)`).
    case noSuchModule(String, available: [ModuleEntry])
    /// The file holds several modules and none was named; `modules` lists
    /// them (shown as `'name' (MODE)`).
    case severalModules([ModuleEntry])
    /// An input shape with a number of dimensions other than 2 or 3.
    case inputShapeRank([Int], batchFirst: Bool)
    /// An input shape with a negative dimension.
    case negativeDimension([Int])
    /// An input shape whose sequence (dimension `axis`) is empty.
    case emptySequence([Int], axis: Int, batchFirst: Bool)
    /// Input-shape text that is not a list of whole numbers.
    case unparsableInputShape(String, batchFirst: Bool)
    /// The input's features do not fit the module's `input_size`.
    case featuresMismatch(FeaturesMismatch)
    /// No module reads as many features as `input` has; `modules` says
    /// what each reads (shown as `'name' reads 5`).
    case noModuleReads(input: InputShape, modules: [ModuleEntry])

    /// A module as the lists of these errors show it: where it sits, its
    /// mode and its input size.
    public struct ModuleEntry: Equatable, Sendable {
        /// Where the module sits.
        public var path: ModulePath
        /// Its mode.
        public var mode: RNNMode
        /// The features it reads.
        public var inputSize: Int

        /// Creates an entry.
        public init(path: ModulePath, mode: RNNMode, inputSize: Int) {
            self.path = path
            self.mode = mode
            self.inputSize = inputSize
        }

        /// The entry of `module`.
        public init(_ module: RNNModule) {
            self.init(path: module.path, mode: module.architecture.mode, inputSize: module.architecture.inputSize)
        }

        /// `'encoder' (LSTM)`.
        var named: String { "'\(path)' (\(mode.rawValue))" }
    }

    /// An input whose last dimension is not the module's `input_size`.
    public struct FeaturesMismatch: Equatable, Sendable {
        /// The input's shape and layout.
        public var input: InputShape
        /// The module's class: `nn.LSTM`.
        public var moduleClass: String
        /// The module, nil when not given.
        public var module: ModulePath?
        /// The module's input size.
        public var inputSize: Int
        /// The weight that shows it, and its shape.
        public var weight: String
        /// The weight's shape.
        public var weightShape: [Int]
        /// The input shape that would fit.
        public var expected: [Int]

        /// Creates the description of a mismatch.
        public init(input: InputShape, moduleClass: String, module: ModulePath?, inputSize: Int,
                    weight: String, weightShape: [Int], expected: [Int]) {
            self.input = input
            self.moduleClass = moduleClass
            self.module = module
            self.inputSize = inputSize
            self.weight = weight
            self.weightShape = weightShape
            self.expected = expected
        }
    }

    /// The message, each option named by `name`.
    public func message(naming name: (RequestOption) -> String) -> String {
        switch self {
        case .malformedRename(let text):
            return "\(name(.rename)) '\(text)': expected OLD=NEW, e.g. enc_w_ih=enc.weight_ih_l0"
        case .renamedTwice(let old):
            return "\(name(.rename)) '\(old)' is renamed twice"
        case .noTensorToRename(let old, let available, let more):
            return "\(name(.rename)): no tensor named '\(old)' to rename (the file has: \(available.joined(separator: ", "))\(more ? ", …" : ""))"
        case .renameCollision(let new):
            return "\(name(.rename)): after renaming, two tensors are named '\(new)'"
        case .noModule(let problems):
            return "no recurrent module found (no weight_ih_l0/weight_ih tensors with their weight_hh partners)"
                + (problems.isEmpty ? "" : ": " + problems.map(\.description).joined(separator: "; "))
        case .noSuchModule(let module, let available):
            return "no module named '\(module)'; the file holds: "
                + (available.isEmpty ? "none" : available.map(\.named).joined(separator: ", "))
        case .severalModules(let modules):
            return "the file holds \(modules.count) modules; choose one with \(name(.module)): "
                + modules.map(\.named).joined(separator: ", ")
        case .inputShapeRank(let dimensions, let batchFirst):
            return "input shape \(shapeText(dimensions)) has \(dimensions.count) dimension\(dimensions.count == 1 ? "" : "s"); "
                + "expected 3, \(Self.layout(batchFirst)), or 2 for one unbatched sequence T,F (seq, features)"
        case .negativeDimension(let dimensions):
            return "input shape \(shapeText(dimensions)) has a negative dimension"
        case .emptySequence(let dimensions, let axis, let batchFirst):
            return "input shape \(shapeText(dimensions)) has sequence length 0; PyTorch expects at least one step "
                + "(the sequence is dimension \(axis) with\(batchFirst ? "" : "out") batch_first)"
        case .unparsableInputShape(let text, let batchFirst):
            return "\(name(.inputShape)) '\(text)': expected whole numbers separated by commas, "
                + (batchFirst ? "\(Self.layout(true)) with \(name(.batchFirst))" : Self.layout(false)) + ", e.g. 7,3,5"
        case .featuresMismatch(let mismatch):
            let whose = mismatch.module.map { $0.isRoot ? " of the root module" : " of module '\($0)'" } ?? ""
            return "input shape \(mismatch.input) \(mismatch.input.layoutText) has \(mismatch.input.features) features, but \(mismatch.moduleClass)\(whose) reads input_size "
                + "\(mismatch.inputSize) (\(mismatch.weight) is \(shapeText(mismatch.weightShape))); expected \(shapeText(mismatch.expected))"
        case .noModuleReads(let input, let modules):
            return "input shape \(input) has \(input.features) features (the last dimension), but no module reads that many: "
                + modules.map { "'\($0.path)' reads \($0.inputSize)" }.joined(separator: ", ")
        }
    }

    private static func layout(_ batchFirst: Bool) -> String {
        batchFirst ? "B,T,F (batch, seq, features)" : "T,B,F (seq, batch, features)"
    }
}
