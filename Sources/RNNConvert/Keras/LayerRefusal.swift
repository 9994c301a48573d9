import RNNLayouts
import TensorFiles

/// Why rnnkit refuses a Keras layer (`ConversionError.refusedLayer`): a
/// setting it cannot run, or variables that do not fit the layer. Values
/// from the file (a key, an activation's name, shapes) travel as data; the
/// text lives in `description`.
public enum LayerRefusal: Equatable, Sendable, CustomStringConvertible {
    /// The config key a recurrent layer is given.
    public enum Activation: String, Sendable {
        case activation
        case recurrentActivation = "recurrent_activation"
    }

    // MARK: Settings

    /// Keras 3: a config key not in the list for `className`.
    case unknownConfigKey(key: String, className: String)
    /// Keras 3: `key` holds `value` (compact JSON) where rnnkit runs only `supported`.
    case unsupportedValue(key: String, value: String, supported: String)
    /// Keras 2: config keys of unknown meaning.
    case unknownKeys([String])
    /// An activation rnnkit does not run; `assumedFrom` names the defaults
    /// it came from when the file does not store it; `keras2` when Keras 2's
    /// hard_sigmoid is the one meant.
    case activation(Activation, name: String, assumedFrom: String?, keras2: Bool)
    /// Keras 2: the file does not say which recurrent_activation the layer uses.
    case recurrentActivationUnknown
    /// Keras 2: the file does not say whether a GRU has reset_after=True.
    case resetAfterUnknown
    /// `Bidirectional`'s `merge_mode` (nil: None) returns two outputs or merges in an unknown way.
    case mergeMode(String?)
    /// `Bidirectional`'s `backward_layer` has other settings than its forward layer.
    case backwardDiffers
    /// An `RNN` layer around a cell other than `LSTMCell`, `GRUCell` or
    /// `SimpleRNNCell` (`cell`: its class, or a description of the list).
    case rnnCell(String)
    /// A layer of a class rnnkit does not read (a custom subclass of `LSTM`,
    /// a recurrent layer of another library) holds a recurrent cell's variables.
    case unknownRecurrentClass
    /// Keras 2: `go_backwards=True` on the layer inside `Bidirectional`.
    case goBackwardsInBidirectional
    /// tf.keras `time_major=True`.
    case timeMajor
    /// `CuDNNLSTM` / `CuDNNGRU` (`layer`), whose bias layout is not read.
    case cudnn(layer: String, mode: RNNMode)
    /// Keras 2: a mask from `layer` upstream.
    case maskedUpstream(layer: String)

    // MARK: Variables

    /// Keras 2: the config lists the layer, but its weights are not there
    /// (`container`: the nested model whose weights hold none named `layer/…`).
    case noWeights(layer: String, container: String?, group: String)
    /// Keras 2 weights file: a recurrent_kernel that is no (units, G·units).
    case recurrentKernelNotGates
    /// `group` holds `count` variables.
    case variableCount(group: String, count: Int)
    /// Kernel and recurrent kernel are not (input, G·units) and (units, G·units).
    case kernelShapes(kernel: [Int], recurrent: [Int])
    /// The config's class (`mode`) against the gate blocks of the recurrent kernel.
    case modeMismatch(configured: RNNMode, recurrent: [Int], gates: Int)
    /// The config's `units` against the recurrent kernel.
    case unitsMismatch(configured: Int, recurrent: [Int])
    /// The config's `use_bias` against the number of variables.
    case useBiasMismatch(configured: Bool, variables: Int)
    /// A bias of another shape (`resetAfter`: what the config says of a GRU).
    case biasShape([Int], expected: [Int], resetAfter: Bool?)
    /// Variables of mixed or non-float types.
    case variableTypes([DType])
    /// The backward layer's variables differ in shape from the forward layer's.
    case backwardShapes

    /// The refusal in words.
    public var description: String {
        let gates = "with G = 1 (SimpleRNN), 3 (GRU) or 4 (LSTM)"
        switch self {
        case .unknownConfigKey(let key, let className):
            return "config key '\(key)' is not one rnnkit knows for \(className); it may change the numbers, so rnnkit refuses the layer"
        case .unsupportedValue(let key, let value, let supported):
            return "\(key)=\(value) is not supported (rnnkit runs \(key)=\(supported) only)"
        case .unknownKeys(let keys):
            return "config key\(keys.count == 1 ? "" : "s") " + keys.map { "'\($0)'" }.joined(separator: ", ")
                + " of unknown meaning (rnnkit reads the keys Keras 2.0–2.x and tf_keras write)"
        case .activation(let role, let name, let assumedFrom, let keras2):
            return "\(role.rawValue) \(name)\(assumedFrom.map { " (assumed from \($0))" } ?? ""): rnnkit runs tanh, sigmoid, relu and hard_sigmoid"
                + (keras2 ? " (Keras 2's, clip(0.2·x + 0.5, 0, 1))" : "")
        case .recurrentActivationUnknown:
            return "the file does not say which recurrent_activation the layer uses (sigmoid or Keras 2's hard_sigmoid)"
        case .resetAfterUnknown:
            return "the file does not say whether reset_after is True (PyTorch's GRU) or False (the reset gate before the recurrent product), "
                + "and a GRU without bias does not show it in its weights"
        case .mergeMode(let mode):
            return "merge_mode=\(mode.map { "\"\($0)\"" } ?? "None") returns the two directions "
                + ((mode ?? "null") == "null" ? "as two separate outputs" : "merged in a way rnnkit does not know")
                + "; rnnkit reads merge_mode \"concat\", \"sum\", \"mul\" and \"ave\""
        case .backwardDiffers:
            return "its backward_layer differs from the forward layer; a PyTorch bidirectional layer has two identical directions"
        case .unknownRecurrentClass:
            return "it holds a recurrent cell's variables, but rnnkit does not know its class, which may compute something other "
                + "than Keras's LSTM, GRU and SimpleRNN (rnnkit reads those, Bidirectional and RNN around their cells); "
                + "save the model with the built-in layer"
        case .rnnCell(let cell):
            return "an RNN layer around \(cell): rnnkit runs RNN(LSTMCell), RNN(GRUCell) and RNN(SimpleRNNCell) (as LSTM, GRU, SimpleRNN) only"
        case .goBackwardsInBidirectional:
            return "go_backwards=True on the layer inside Bidirectional: rnnkit reads Bidirectional around forward layers"
        case .timeMajor:
            return "time_major=True (input as (time, batch, features)) is not read by rnnkit yet"
        case .cudnn(let layer, let mode):
            return "\(layer) keeps the input and recurrent biases apart (\(mode == .lstm ? 8 : 6)·units), a layout rnnkit does not read yet"
        case .maskedUpstream(let layer):
            return "layer \(layer) upstream masks steps, which the layer then skips; rnnkit does not apply masks from Keras 2 files yet"
        case .noWeights(let layer, let container, let group):
            return "the config lists it, but "
                + (container.map { "the weights of '\($0)' hold no variables named '\(layer)/…'" } ?? "model_weights/\(group) lists no weights")
        case .recurrentKernelNotGates:
            return "its recurrent_kernel is not (units, G·units) \(gates)"
        case .variableCount(let group, let count):
            return "\(group) holds \(count) variables; a recurrent cell has kernel, recurrent_kernel and maybe bias"
        case .kernelShapes(let kernel, let recurrent):
            return "kernel \(kernel) and recurrent_kernel \(recurrent) are not (input, G·units) and (units, G·units) \(gates)"
        case .modeMismatch(let configured, let recurrent, let count):
            return "the config says \(KerasLayout.layerClass(configured)), but recurrent_kernel \(recurrent) has \(count) gate block(s)"
        case .unitsMismatch(let configured, let recurrent):
            return "the config says units=\(configured), but recurrent_kernel is \(recurrent)"
        case .useBiasMismatch(let configured, let variables):
            return "the config says use_bias=\(configured ? "True" : "False"), but the cell holds \(variables) variables"
        case .biasShape(let shape, let expected, let resetAfter):
            return "bias is \(shape), expected \(expected)" + (resetAfter.map { " (the config says reset_after=\($0 ? "True" : "False"))" } ?? "")
        case .variableTypes(let dtypes):
            return "variables of mixed or non-float types (\(dtypes.map(\.rawValue).joined(separator: ", ")))"
        case .backwardShapes:
            return "the backward layer's variables differ in shape from the forward layer's"
        }
    }
}
