import Foundation
import RNNLayouts
import TensorFiles

/// Bad input to the engine, found before any computation: a module that
/// cannot run, or an input, initial state or lengths that do not fit it.
///
/// Every case names the argument concerned (`argument`) and says what was
/// expected. RNNKit prefixes the message with the file the argument came from.
public enum EngineError: BadInputError, Equatable {
    /// The module does not pass `ModuleValidation` (missing, misshaped,
    /// non-float or unexpected tensors, options that do not fit its mode, an
    /// activation it cannot take), every problem found.
    case invalidModule(module: ModulePath, problems: [ModuleProblem])
    /// Sequences of different lengths for the module `module` that reads
    /// backwards with outputs in reading order (Keras `go_backwards=True`).
    case backwardsWithUnequalLengths(module: ModulePath)
    /// A mask on a bidirectional module whose directions are merged by
    /// `merge` (not `concat`) and that returns only its last output.
    case maskAfterMerge(merge: DirectionMerge)
    /// The input's dtype is not float32/float64 (`expected` nil), or not the
    /// compute type `expected` the network was prepared for.
    case inputDType(found: DType, expected: ComputeType?)
    /// The input does not have 3 dimensions (or 2 for an unbatched sequence)
    /// for a module reading `inputSize` features.
    case inputRank(shape: [Int], inputSize: Int, batchFirst: Bool)
    /// A masked module's input does not have 3 dimensions (it runs batched input only).
    case maskedInputRank(shape: [Int])
    /// The input's last dimension is not the module's `input_size`.
    case featureSize(shape: [Int], found: Int, expected: Int)
    /// The input has no time steps or no sequences.
    case emptyInput(shape: [Int])
    /// An initial state (`h0` or `c0`) with the wrong shape: `expected` is
    /// `(layers·directions, [batch,] width)`, the width `proj_size` when
    /// `projected`, else `hidden_size`.
    case stateShape(name: String, shape: [Int], expected: [Int], layers: Int, directions: Int, projected: Bool)
    /// An initial state whose dtype is not floating point.
    case stateDType(name: String, found: DType)
    /// `c0` given to a module that has no cell state.
    case cellStateNotApplicable(mode: RNNMode)
    /// A lengths tensor that does not hold integers.
    case lengthsNotIntegers(found: DType)
    /// A lengths tensor that is not one-dimensional.
    case lengthsShape(shape: [Int])
    /// As many lengths as sequences are needed.
    case lengthsCount(found: Int, batch: Int)
    /// A length outside `1…T`.
    case lengthOutOfRange(index: Int, value: Int, steps: Int)
    /// A length outside `0…T` where lengths give a mask (a sequence may be masked whole).
    case maskLengthOutOfRange(index: Int, value: Int, steps: Int)
    /// The forward pass over `steps` × `batch` would need `bytes` of working
    /// memory (nil: more than `Int.max`), more than half of the machine's
    /// `physicalMemory`.
    case workingMemory(steps: Int, batch: Int, bytes: Int?, physicalMemory: UInt64)
    /// `steps` × `batch` is more rows than BLAS indexes (2³¹ − 1).
    case tooManyRows(steps: Int, batch: Int)

    /// The arguments of a forward pass an error can concern.
    public enum Argument: Sendable, Equatable {
        /// The module's weights.
        case module
        /// The input sequence.
        case input
        /// The initial hidden state.
        case h0
        /// The initial LSTM cell state.
        case c0
        /// The sequence lengths.
        case lengths
        /// An option (activation, kernels): no file is concerned.
        case options
    }

    /// The argument concerned, for a caller that read it from a file to name that file.
    public var argument: Argument {
        switch self {
        case .invalidModule: return .module
        case .backwardsWithUnequalLengths, .maskAfterMerge: return .options
        case .inputDType, .inputRank, .maskedInputRank, .featureSize, .emptyInput, .workingMemory, .tooManyRows: return .input
        case .stateShape(let name, _, _, _, _, _), .stateDType(let name, _): return name == "c0" ? .c0 : .h0
        case .cellStateNotApplicable: return .c0
        case .lengthsNotIntegers, .lengthsShape, .lengthsCount, .lengthOutOfRange, .maskLengthOutOfRange: return .lengths
        }
    }

    /// The message shown to the user.
    public var description: String {
        switch self {
        case .invalidModule(let module, let problems):
            return "module '\(module)' cannot run: " + problems.map(\.description).joined(separator: "; ")
        case .backwardsWithUnequalLengths(let module):
            return "sequences of different lengths: '\(module)' reads backwards with outputs in reading order "
                + "(Keras go_backwards=True), where Keras would start every sequence at its padding; run equal lengths"
        case .maskAfterMerge(let merge):
            return "masked steps repeat each direction's output from another step, which rnnkit "
                + "cannot combine after merge_mode \(merge.rawValue); run without a mask or with return_sequences"
        case .inputDType(let found, let expected):
            let wanted = expected.map { "\($0.rawValue), the type this network was prepared for" }
                ?? "float32 or float64 (the engine computes in the input's dtype)"
            return "input has dtype \(found.rawValue); expected \(wanted)"
        case .inputRank(let shape, let inputSize, let batchFirst):
            let batched = batchFirst ? "(B, T, \(inputSize)) with batch_first" : "(T, B, \(inputSize))"
            return "input has shape \(shapeText(shape)); expected \(batched), or (T, \(inputSize)) for one unbatched sequence"
        case .maskedInputRank(let shape):
            return "input has shape \(shapeText(shape)); expected 3 dimensions: a masked module runs batched input only"
        case .featureSize(let shape, let found, let expected):
            return "input has shape \(shapeText(shape)): its last dimension (features) is \(found), "
                + "but the module's input_size is \(expected)"
        case .emptyInput(let shape):
            return "input has shape \(shapeText(shape)): it needs at least one time step and one sequence"
        case .stateShape(let name, let shape, let expected, let layers, let directions, let projected):
            var parts = ["num_layers·directions \(layers)·\(directions)"]
            if expected.count == 3 { parts.append("batch \(expected[1])") }
            parts.append("\(projected ? "proj_size" : "hidden_size") \(expected.last ?? 0)")
            return "\(name) has shape \(shapeText(shape)); expected \(shapeText(expected)) (\(parts.joined(separator: ", ")))"
        case .stateDType(let name, let found):
            return "\(name) has dtype \(found.rawValue); expected floating point"
        case .cellStateNotApplicable(let mode):
            return "c0 was given, but \(mode.withArticle) has no cell state (only LSTM takes c0)"
        case .lengthsNotIntegers(let found):
            return "lengths have dtype \(found.rawValue); expected integers (int64 or int32)"
        case .lengthsShape(let shape):
            return "lengths have shape \(shapeText(shape)); expected one length per sequence, shape (B,)"
        case .lengthsCount(let found, let batch):
            return "\(found) lengths for a batch of \(batch) sequences; expected one length per sequence"
        case .lengthOutOfRange(let index, let value, let steps):
            return "lengths[\(index)] is \(value); every length must be in 1…\(steps) (the input's time steps)"
        case .maskLengthOutOfRange(let index, let value, let steps):
            return "lengths[\(index)] = \(value) is outside 0…\(steps) (the number of time steps)"
        case .workingMemory(let steps, let batch, let bytes, let physicalMemory):
            let size = bytes.map { String(format: "%.1f GB", Double($0) / 1e9) } ?? "more than \(Int.max) bytes"
            return "running \(steps) steps × \(batch) sequences needs \(size) of working memory, more than half of this machine's "
                + String(format: "%.1f GB", Double(physicalMemory) / 1e9) + "; run shorter sequences or smaller batches"
        case .tooManyRows(let steps, let batch):
            return "\(steps) steps × \(batch) sequences is more rows than BLAS indexes (2³¹ − 1); split the batch"
        }
    }
}
