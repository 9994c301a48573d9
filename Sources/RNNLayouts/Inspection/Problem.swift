import TensorFiles

/// Something wrong with a file's recurrent tensors that does not stop it from
/// being read: a missing or misshaped tensor, layers that disagree, mixed
/// dtypes. `inspect` lists problems and exits 0.
public struct Problem: Equatable, Sendable, CustomStringConvertible {
    /// The full tensor name concerned, or nil for a module-wide problem.
    public var tensor: String?
    /// What is wrong, with the values concerned.
    public var kind: Kind
    /// How the file stores a missing tensor instead (a torch parametrization,
    /// weight_norm's `_g`/`_v`, pruning's `_orig`/`_mask`, WeightDrop's
    /// `_raw`), when it does (`Inspector` looks); nil otherwise.
    public var storedAs: StoredForm?

    /// What is wrong. Each case carries the names and values concerned; the
    /// text lives in `message`.
    public enum Kind: Equatable, Sendable {
        /// A problem `ModuleValidation` found in a module that could be inferred.
        case module(ModuleProblem)
        /// A layer-form name (`weight_ih_l0`) among cell-form ones
        /// (`weight_ih`) in `module`, or the reverse (`cellForm`); `example`
        /// is a name of the other form.
        case mixedNameForms(module: ModulePath, cellForm: Bool, example: String)
        /// The tensor `parameter`, needed to infer `inferring`, is missing
        /// (`shape` nil) or not a matrix.
        case cannotInfer(module: ModulePath, parameter: String, shape: [Int]?, inferring: InferredSize)
        /// `weight_hh`'s rows read as gates·hidden_size for each of `modes`,
        /// but its `columns` match none of those hidden sizes.
        case ambiguousMode(rows: Int, columns: Int, modes: [RNNMode])
        /// NaN and ±Inf values in a module tensor; `first` is the index of
        /// the first one.
        case nonFinite(nan: Int, infinite: Int, first: [Int]?)
    }

    /// What an inference needed a tensor for.
    public enum InferredSize: Equatable, Sendable {
        /// `weight_hh` gives hidden_size and, with its rows, the mode.
        case hiddenSizeAndMode
        /// Layer 0's `weight_ih` gives input_size.
        case inputSize
    }

    /// Creates a problem.
    public init(tensor: String?, _ kind: Kind) {
        self.tensor = tensor
        self.kind = kind
    }

    /// The problem `ModuleValidation` found, in its own words.
    public init(_ problem: ModuleProblem) {
        self.init(tensor: problem.tensor, .module(problem))
    }

    /// The problem as `ModuleValidation` found it, for a module that could be
    /// inferred; nil for tensors that form no module, and for non-finite values.
    public var moduleProblem: ModuleProblem? {
        if case .module(let problem) = kind { return problem }
        return nil
    }

    /// What is wrong and what was expected, and how the file stores a
    /// missing tensor instead, when it does.
    public var message: String {
        storedAs.map { "\(kindMessage); \($0.advice)" } ?? kindMessage
    }

    private var kindMessage: String {
        switch kind {
        case .module(let problem):
            return problem.message
        case .mixedNameForms(let module, let cellForm, let example):
            return "\(cellForm ? "cell" : "layer")-form name in \(Self.display(module)), whose other tensors "
                + "use the \(cellForm ? "layer" : "cell") form (\(example)); a module is either "
                + "nn.LSTM-like (weight_ih_l0) or nn.LSTMCell-like (weight_ih): rename one set"
        case .cannotInfer(let module, let parameter, let shape, let inferring):
            let present = shape.map { "has shape \(shapeText($0)), not a matrix" } ?? "missing"
            let wanted = inferring == .inputSize ? "(gates·hidden_size, input_size)" : "(gates·hidden_size, hidden_size)"
            let what = inferring == .inputSize ? "input_size" : "hidden_size and the mode"
            return "\(present): \(Self.display(module)) needs \(parameter) \(wanted) to infer \(what)"
        case .ambiguousMode(let rows, let columns, let modes):
            let readings = modes.map { mode in
                "\(mode.gateCount)×\(rows / mode.gateCount) (\(mode.rawValue) with hidden_size \(rows / mode.gateCount))"
            }
            var message = "shape \(shapeText([rows, columns])): rows are gates·hidden_size = \(rows), read as "
                + readings.joined(separator: " or ")
                + ", so the columns (hidden_size) should match, but they are \(columns); cannot tell the mode"
            if rows % 4 == 0 && columns < rows / 4 {
                message += " (an LSTM with proj_size=\(columns) would fit, but it has no weight_hr tensors)"
            }
            return message
        case .nonFinite(let nan, let infinite, let first):
            var kinds: [String] = []
            if nan > 0 { kinds.append("\(nan) NaN") }
            if infinite > 0 { kinds.append("\(infinite) ±Inf") }
            let total = nan + infinite
            let position = first.map { " first at [\($0.map(String.init).joined(separator: ", "))]" } ?? ""
            return "\(total) non-finite value\(total == 1 ? "" : "s") (\(kinds.joined(separator: ", ")))," + position
                + "; every step that uses this tensor would carry them into h, output and h_n"
        }
    }

    /// Whether the problem is a tensor that is not in the file.
    var isMissingTensor: Bool {
        switch kind {
        case .cannotInfer(_, _, nil, _), .module(.missingTensor): return true
        default: return false
        }
    }

    /// `tensor: message`, or the message alone.
    public var description: String { tensor.map { "\($0): \(message)" } ?? message }

    /// `module 'encoder.lstm'` or `the root module`.
    static func display(_ module: ModulePath) -> String {
        module.isRoot ? "the root module" : "module '\(module)'"
    }
}
