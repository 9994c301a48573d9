import Foundation
import RNNLayouts
import TensorFiles

/// The `config.json` of a `.keras` file rnnkit writes: a `Sequential` with
/// an `InputLayer` `(None, None, features)` and one recurrent layer per
/// PyTorch layer, in exactly the structure Keras 3's `model.save` writes
/// (`module`, `class_name`, `config`, `registered_name`, `build_config`), so
/// that `keras.saving.load_model` rebuilds it with nothing else.
enum KerasModelConfig {
    /// The model config as JSON bytes (keys sorted, so equal models give equal bytes).
    static func json(_ layers: [KerasRecurrentLayer], dtype: DType) throws -> Data {
        try JSONSerialization.data(withJSONObject: model(layers, dtype: dtype), options: [.sortedKeys])
    }

    /// The dtype policy of a model whose weights are `weights`: float64 for
    /// float64, else float32. Float16 weights get the float32 policy: Keras
    /// widens them into float32 variables when it loads them and computes as
    /// the input's framework does on those weights. A float16 policy would
    /// compute in float16 (other numbers), and Keras 3 with jax cannot even
    /// build it (its Orthogonal initializer has no float16 kernel).
    static func policyDType(weights: DType) -> DType {
        weights == .float64 ? .float64 : .float32
    }

    /// The model config as a JSON object, for weights of `dtype`.
    static func model(_ layers: [KerasRecurrentLayer], dtype weights: DType) -> [String: Any] {
        let dtype = policyDType(weights: weights)
        let features = layers.first?.inputSize ?? 0
        let inputShape = shape(features)
        let input: [String: Any] = [
            "module": "keras.layers", "class_name": "InputLayer", "registered_name": NSNull(),
            "config": [
                "batch_shape": inputShape, "dtype": dtype.rawValue, "sparse": false, "ragged": false,
                "name": "input_layer", "optional": false,
            ] as [String: Any],
        ]
        let sequential: [String: Any] = [
            "name": "sequential", "trainable": true, "dtype": policy(dtype),
            "layers": [input] + layers.map { layer($0, dtype: dtype) },
            "build_input_shape": inputShape,
        ]
        return [
            "module": "keras", "class_name": "Sequential", "registered_name": NSNull(), "config": sequential,
            "build_config": ["input_shape": inputShape], "compile_config": [String: Any](),
        ]
    }

    /// `[None, None, features]`: any batch, any sequence length.
    private static func shape(_ features: Int) -> [Any] { [NSNull(), NSNull(), features] }

    /// A `DTypePolicy` entry (`float32`, `float16`, `float64`).
    private static func policy(_ dtype: DType) -> [String: Any] {
        ["module": "keras", "class_name": "DTypePolicy", "config": ["name": dtype.rawValue], "registered_name": NSNull()]
    }

    private static func serialized(_ className: String, _ config: [String: Any], inputSize: Int) -> [String: Any] {
        ["module": "keras.layers", "class_name": className, "config": config, "registered_name": NSNull(),
         "build_config": ["input_shape": shape(inputSize)]]
    }

    /// One layer: the recurrent layer, or `Bidirectional` around a forward
    /// and a backward (`go_backwards=True`) copy, as Keras names them.
    private static func layer(_ layer: KerasRecurrentLayer, dtype: DType) -> [String: Any] {
        guard layer.bidirectional else {
            return serialized(layer.className, recurrent(layer, name: layer.name, backwards: layer.variant.direction == .backwards,
                                                         wrapped: false, dtype: dtype),
                              inputSize: layer.inputSize)
        }
        let inner = KerasLayout.layerClass(layer.mode)
        let config: [String: Any] = [
            "name": layer.name, "trainable": true, "dtype": policy(dtype), "merge_mode": layer.variant.merge.rawValue,
            "layer": serialized(inner, recurrent(layer, name: "forward_" + layer.innerName, backwards: false, wrapped: true, dtype: dtype),
                                inputSize: layer.inputSize),
            "backward_layer": serialized(inner, recurrent(layer, name: "backward_" + layer.innerName, backwards: true, wrapped: true, dtype: dtype),
                                         inputSize: layer.inputSize),
        ]
        return serialized("Bidirectional", config, inputSize: layer.inputSize)
    }

    /// The config of an `LSTM`, `GRU` or `SimpleRNN` with Keras's defaults
    /// for everything rnnkit does not set (initializers matter only for training).
    private static func recurrent(_ layer: KerasRecurrentLayer, name: String, backwards: Bool, wrapped: Bool, dtype: DType) -> [String: Any] {
        func initializer(_ className: String, _ config: [String: Any]) -> [String: Any] {
            ["module": "keras.initializers", "class_name": className, "config": config, "registered_name": NSNull()]
        }
        var config: [String: Any] = [
            "name": name, "trainable": true, "dtype": policy(dtype),
            "return_sequences": true, "return_state": false, "go_backwards": backwards, "stateful": false,
            "unroll": false, "zero_output_for_mask": wrapped,
            "units": layer.units, "activation": layer.activation, "use_bias": layer.useBias,
            "kernel_initializer": initializer("GlorotUniform", ["seed": NSNull(), "input_axes": NSNull(), "output_axes": NSNull()]),
            "recurrent_initializer": initializer("Orthogonal", ["seed": NSNull(), "gain": 1.0]),
            "bias_initializer": initializer("Zeros", [:]),
            "kernel_regularizer": NSNull(), "recurrent_regularizer": NSNull(), "bias_regularizer": NSNull(),
            "activity_regularizer": NSNull(), "kernel_constraint": NSNull(), "recurrent_constraint": NSNull(),
            "bias_constraint": NSNull(), "dropout": 0.0, "recurrent_dropout": 0.0,
        ]
        switch layer.mode {
        case .lstm:
            config["recurrent_activation"] = KerasVariant.name(of: layer.variant.gate) ?? "sigmoid"
            config["unit_forget_bias"] = true
            config["seed"] = NSNull()
        case .gru:
            config["recurrent_activation"] = KerasVariant.name(of: layer.variant.gate) ?? "sigmoid"
            config["reset_after"] = layer.variant.linearBeforeReset
            config["seed"] = NSNull()
        case .rnn:
            break
        }
        return config
    }
}
