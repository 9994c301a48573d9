import Foundation
import RNNLayouts
import TensorFiles

/// One Keras recurrent layer — `LSTM`, `GRU` or `SimpleRNN`, possibly inside
/// `Bidirectional`, with the options of `variant` — as
/// rnnkit writes it and reads it back: the Keras side of one PyTorch layer.
struct KerasRecurrentLayer {
    /// LSTM, GRU or RNN (SimpleRNN).
    var mode: RNNMode
    /// `units`: the hidden size.
    var units: Int
    /// Features the layer reads (the kernel's rows).
    var inputSize: Int
    /// Whether the layer is a `Bidirectional` wrapper (two directions).
    var bidirectional: Bool
    /// `use_bias`.
    var useBias: Bool
    /// `activation` (`tanh`, or `relu` for a SimpleRNN).
    var activation: String
    /// The layer's name in the model config (`lstm_1`, `bidirectional`).
    var name: String
    /// For `Bidirectional`, the name of the wrapped layer (`lstm_1`), whose
    /// copies are `forward_lstm_1` and `backward_lstm_1`; else `name`.
    var innerName: String
    /// The layer's group in the weights file, below `layers/` (`lstm_1`,
    /// `bidirectional`): Keras derives it from the class name and the layer's
    /// position, never from `name`.
    var path: String
    /// The variables, one set per direction (forward, then backward).
    var directions: [KerasLayout.Variables]
    /// What the cell computes beyond PyTorch's (activations, `reset_after=False`,
    /// `go_backwards`, `merge_mode`).
    var variant = CellVariant.pytorch

    /// The class written in the config: `Bidirectional` or the recurrent class.
    var className: String { bidirectional ? "Bidirectional" : KerasLayout.layerClass(mode) }

    /// Where direction `direction`'s cell keeps its variables in the weights
    /// file: `layers/lstm/cell/vars`, `layers/bidirectional/forward_layer/cell/vars`.
    func cellVariablesGroup(direction: Int) -> String {
        "layers/\(path)/" + (bidirectional ? (direction == 0 ? "forward_layer/" : "backward_layer/") : "") + "cell/vars"
    }

    /// The path of variable `index` (0 kernel, 1 recurrent_kernel, 2 bias)
    /// of `direction`, as `HDF5Reader` names it (`layers.lstm.cell.vars.0`).
    func datasetName(direction: Int, index: Int) -> String {
        (cellVariablesGroup(direction: direction) + "/\(index)").replacingOccurrences(of: "/", with: ".")
    }

    /// The weight-file paths Keras gives the layers of a model, in order:
    /// the snake-cased class name, then `_1`, `_2`, … for later layers of the
    /// same class (`lstm`, `lstm_1`, `gru`, `bidirectional`).
    static func weightPaths(forClasses classNames: [String]) -> [String] {
        var used: [String: Int] = [:]
        return classNames.map { className in
            let base = KerasLayout.snakeCase(className)
            if let count = used[base] {
                used[base] = count + 1
                return "\(base)_\(count + 1)"
            }
            used[base] = 0
            return base
        }
    }
}

/// The keys of the `rnnkit` entry rnnkit adds to a `.keras` file's
/// `metadata.json` (Keras reads only `keras_version` and `date_saved` there),
/// so that reading its own file back restores the module's name and kind.
enum KerasMetadata {
    /// The entry in `metadata.json`.
    static let entry = "rnnkit"
    /// The PyTorch module's name (`""` for the root).
    static let module = "module"
    /// `layer` or `cell`.
    static let kind = "kind"
    /// The Keras version whose file format rnnkit writes.
    static let kerasVersion = "3.15.1"
}
