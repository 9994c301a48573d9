import Foundation

/// The one list of what rnnkit knows about Keras configs: every config key of
/// the recurrent layers it reads, and every layer class that may sit between
/// a model's input and a recurrent layer. `KerasConfigReader` refuses any
/// other key (unless it holds its default) and any other upstream class, with
/// a message naming it; `rnnkit keras-keys` prints the list as JSON so that
/// `Tests/Interop/check_keras.py` can check it against the keys Keras's own
/// layers produce.
public enum KerasConfigKeys {
    /// What a config key does to the numbers at inference, as rnnkit sees it.
    public enum Role: Sendable, Equatable, Encodable {
        /// rnnkit reads the value and runs it or refuses it (`units`, `activation`).
        case read
        /// The value does not change inference (initializers, regularizers,
        /// constraints, dropout rates, which are off at inference).
        case noEffect
        /// Any value other than this JSON default is refused (`stateful`).
        case mustBe(String)

        /// As printed by `rnnkit keras-keys`: `read`, `no-effect`, `must-be <json>`.
        public var text: String {
            switch self {
            case .read: "read"
            case .noEffect: "no-effect"
            case .mustBe(let value): "must-be \(value)"
            }
        }

        /// Encodes the role as its `text`.
        public func encode(to encoder: Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(text)
        }
    }

    /// Keys of every Keras layer.
    static let baseKeys: [String: Role] = [
        "name": .read, "trainable": .noEffect,
        // The dtype policy: one computing below float32 (mixed_float16, bfloat16, …)
        // needs --full-precision (KerasDTypePolicy); float32/float64: the input's dtype.
        "dtype": .read,
    ]

    /// Keys of `LSTM`, `GRU` and `SimpleRNN` (their cells' keys included).
    static let recurrentKeys: [String: Role] = baseKeys.merging([
        "units": .read, "activation": .read, "recurrent_activation": .read, "use_bias": .read,
        "return_sequences": .read, "go_backwards": .read, "zero_output_for_mask": .read, "reset_after": .read,
        // rnnkit writes output, h_n and c_n whatever the layer returns.
        "return_state": .noEffect,
        "unroll": .noEffect, "use_cudnn": .noEffect, "implementation": .noEffect,
        "stateful": .mustBe("false"), "time_major": .mustBe("false"),
        "kernel_initializer": .noEffect, "recurrent_initializer": .noEffect, "bias_initializer": .noEffect,
        "unit_forget_bias": .noEffect,
        "kernel_regularizer": .noEffect, "recurrent_regularizer": .noEffect, "bias_regularizer": .noEffect,
        "activity_regularizer": .noEffect,
        "kernel_constraint": .noEffect, "recurrent_constraint": .noEffect, "bias_constraint": .noEffect,
        "dropout": .noEffect, "recurrent_dropout": .noEffect, "seed": .noEffect,
    ]) { $1 }

    /// Keys per recurrent layer class.
    public static let recurrentLayers: [String: [String: Role]] = [
        "LSTM": recurrentKeys, "GRU": recurrentKeys, "SimpleRNN": recurrentKeys,
        "Bidirectional": baseKeys.merging(["layer": .read, "backward_layer": .read, "merge_mode": .read]) { $1 },
    ]

    /// What a layer before a recurrent layer does to the module's input and its mask.
    public enum Upstream: String, Sendable, Encodable {
        /// The identity at inference (`InputLayer`, `Dropout`): the mask and
        /// the tensor pass unchanged.
        case identity
        /// `Masking`: makes a mask from its input (`mask_value`).
        case masking
        /// `Embedding`: makes a mask from the token ids when `mask_zero=True`.
        case embedding
        /// Computes a new tensor and passes an incoming mask on unchanged
        /// (`supports_masking` in Keras); makes none.
        case passesMask = "passes-mask"
        /// Joins several tensors (`Concatenate`, `Add`): Keras joins their
        /// masks, so the output has none when none of its inputs has one.
        case merges
    }

    /// Every layer class rnnkit accepts between a model's input and a
    /// recurrent layer. Any other class there is refused: it might make or
    /// change a mask.
    public static let upstreamLayers: [String: Upstream] = [
        "InputLayer": .identity, "Dropout": .identity, "SpatialDropout1D": .identity, "GaussianDropout": .identity,
        "GaussianNoise": .identity, "AlphaDropout": .identity, "ActivityRegularization": .identity,
        "Masking": .masking, "Embedding": .embedding,
        "Dense": .passesMask, "Activation": .passesMask, "LayerNormalization": .passesMask, "BatchNormalization": .passesMask,
        "Concatenate": .merges, "Add": .merges, "Subtract": .merges, "Multiply": .merges, "Average": .merges,
        "Maximum": .merges, "Minimum": .merges,
    ]

    /// The first key of `config` (a `className` layer's) that is not in the
    /// list, or holds another value than its required default, with why.
    static func unacceptedKey(_ className: String, _ config: [String: Any]) -> LayerRefusal? {
        guard let known = recurrentLayers[className] else { return nil }
        for key in config.keys.sorted() {
            guard let role = known[key] else {
                return .unknownConfigKey(key: key, className: className)
            }
            if case .mustBe(let expected) = role, let value = config[key], jsonText(value) != expected {
                return .unsupportedValue(key: key, value: jsonText(value), supported: expected)
            }
        }
        return nil
    }

    /// A config value as compact JSON (`true`, `false`, `null`, `"tanh"`).
    static func jsonText(_ value: Any) -> String {
        if value is NSNull { return "null" }
        if let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys, .fragmentsAllowed]) {
            return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
        }
        return "\(value)"
    }
}
