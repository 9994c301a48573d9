import RNNLayouts
import TensorFiles

/// Why rnnkit refuses an ONNX recurrent node (`ConversionError.refusedNode`):
/// an attribute or input it cannot account for, weights of the wrong shape
/// or type, or activations it cannot run. Values from the file travel as
/// data; the text lives in `description`.
public enum NodeRefusal: Equatable, Sendable, CustomStringConvertible {
    // MARK: The operator table

    /// An attribute the table does not list for `op` (`known`: those it lists).
    case unknownAttribute(name: String, op: String, known: [String])
    /// An attribute at a value the table refuses (`why`: the table's reason).
    case refusedAttribute(name: String, value: String, why: String)
    /// More inputs than `op` has (`inputs`: its inputs in order).
    case extraInputs(count: Int, op: String, inputs: [String])

    // MARK: Weights and stored inputs

    /// A `direction` other than forward, reverse and bidirectional.
    case unknownDirection(String)
    /// W or R is absent.
    case weightsRequired
    /// R of another shape than (directions, gates·hidden, hidden).
    case recurrenceShape([Int], directions: Int, gates: Int)
    /// `hidden_size` contradicts R.
    case hiddenSize(declared: Int, recurrence: [Int])
    /// W of another shape than (directions, rows, input_size).
    case inputWeightShape([Int], directions: Int, rows: Int)
    /// B of another shape than (directions, width).
    case biasShape([Int], directions: Int, width: Int)
    /// A weight (`W`, `R`, `B`) that is not floating point.
    case notFloatingPoint(tensor: String, dtype: DType)
    /// A stored `initial_h` / `initial_c` of another type or shape than (directions, batch, width).
    case stateShape(role: String, dtype: DType, shape: [Int], directions: Int, width: Int)
    /// Stored `sequence_lens` that are not integers of shape (batch,).
    case lengthsShape(dtype: DType, shape: [Int])
    /// Peepholes `P` of another type or shape than (directions, width).
    case peepholeShape(dtype: DType, shape: [Int], directions: Int, width: Int)

    // MARK: The cell

    /// A `clip` that is not a positive finite bound.
    case clip(Float)
    /// Another number of `activations` than `slots` per direction.
    case activationCount([String], slots: Int, directions: Int)
    /// An activation rnnkit does not run.
    case unknownActivation(String)
    /// `activation_alpha` / `activation_beta` (`name`) with another count
    /// than the HardSigmoid activations.
    case hardSigmoidParameters(name: String, values: [Float], hardSigmoids: Int)
    /// A non-finite `activation_alpha` / `activation_beta`.
    case nonFiniteParameter(Float)
    /// Activations that differ between the directions.
    case directionsDiffer([String])

    /// The refusal in words.
    public var description: String {
        switch self {
        case .unknownAttribute(let name, let op, let known):
            return "attribute '\(name)' is not one rnnkit knows for \(op) (it knows \(known.joined(separator: ", "))); "
                + "rnnkit refuses what it cannot account for"
        case .refusedAttribute(let name, let value, let why):
            return "attribute \(name)=\(value): \(why)"
        case .extraInputs(let count, let op, let inputs):
            return "has \(count) inputs; \(op) has \(inputs.count) (\(inputs.joined(separator: ", ")))"
        case .unknownDirection(let direction):
            return "unknown direction '\(direction)'"
        case .weightsRequired:
            return "W and R are required inputs"
        case .recurrenceShape(let shape, let directions, let gates):
            return "R has shape \(shapeText(shape)); expected (\(directions), \(gates)·hidden, hidden)"
        case .hiddenSize(let declared, let recurrence):
            return "hidden_size=\(declared) but R has shape \(shapeText(recurrence))"
        case .inputWeightShape(let shape, let directions, let rows):
            return "W has shape \(shapeText(shape)); expected (\(directions), \(rows), input_size)"
        case .biasShape(let shape, let directions, let width):
            return "B has shape \(shapeText(shape)); expected (\(directions), \(width))"
        case .notFloatingPoint(let tensor, let dtype):
            return "\(tensor) is \(dtype.rawValue); weights must be floating point"
        case .stateShape(let role, let dtype, let shape, let directions, let width):
            return "\(role) is \(dtype.rawValue) \(shapeText(shape)); expected floating point (\(directions), batch, \(width))"
        case .lengthsShape(let dtype, let shape):
            return "sequence_lens is \(dtype.rawValue) \(shapeText(shape)); expected integers of shape (batch,)"
        case .peepholeShape(let dtype, let shape, let directions, let width):
            return "P is \(dtype.rawValue) \(shapeText(shape)); expected floating point (\(directions), \(width))"
        case .clip(let clip):
            return "clip=\(clip): expected a positive finite bound"
        case .activationCount(let given, let slots, let directions):
            return "activations \(given): expected \(slots * directions) (\(slots) per direction)"
        case .unknownActivation(let name):
            return "activation \(name): rnnkit runs Sigmoid, Tanh, Relu and HardSigmoid (with activation_alpha/beta)"
        case .hardSigmoidParameters(let name, let values, let hardSigmoids):
            return "\(name) \(values) has \(values.count) value(s) for \(hardSigmoids) HardSigmoid activation(s): which applies where "
                + "is ambiguous; give one per HardSigmoid"
        case .nonFiniteParameter(let value):
            return "activation_alpha/activation_beta holds \(value); HardSigmoid needs finite values"
        case .directionsDiffer(let given):
            return "activations \(given) differ between the directions; rnnkit runs one cell for both"
        }
    }
}
