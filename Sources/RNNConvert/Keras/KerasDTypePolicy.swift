import Foundation
import TensorFiles

/// A layer that its framework computes below float32: a Keras layer whose
/// dtype policy is `mixed_float16`, `float16`, `mixed_bfloat16` or
/// `bfloat16` (or a policy rnnkit does not know). rnnkit computes in float32
/// or float64 only, so its numbers would differ from the framework's by
/// float16/bfloat16 rounding: `run`, `verify` and `convert` refuse such a
/// module unless `RequestOption.fullPrecision` asks for full precision.
public struct ReducedPrecision: Sendable, Equatable, Encodable {
    /// The layer whose policy it is (the recurrent layer itself, or a layer
    /// before it that rounds its input).
    public var layer: String
    /// The policy's name as the file spells it (`mixed_float16`).
    public var policy: String
    /// The dtype the layer computes in; nil for a policy rnnkit does not know.
    public var compute: DType?
    /// Whose file says so: Keras's dtype policy, or a PyTorch exported
    /// program's operator on float16/bfloat16 weights (`layer` is then the
    /// module's class, `policy` the operator).
    public var framework: Framework = .keras

    /// The frameworks whose files record a computation below float32.
    public enum Framework: String, Sendable, Equatable, Encodable { case keras, pytorch }

    /// Creates the record of `layer`'s policy.
    public init(layer: String, policy: String, compute: DType?, framework: Framework = .keras) {
        self.layer = layer
        self.policy = policy
        self.compute = compute
        self.framework = framework
    }

    /// How the layer computes, in words.
    public var summary: String {
        if framework == .pytorch {
            return "the saved \(layer) computes in \(compute?.rawValue ?? "reduced precision"), its weights' dtype"
        }
        guard let compute else {
            return "layer '\(layer)' has the dtype policy '\(policy)', which rnnkit does not know (it may compute below float32)"
        }
        return "layer '\(layer)' computes in \(compute.rawValue) (dtype policy '\(policy)')"
    }

    /// Encodes `layer`, `policy` and `compute` (null when unknown).
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(layer, forKey: .layer)
        try container.encode(policy, forKey: .policy)
        try container.encode(compute?.rawValue, forKey: .compute)
    }

    private enum CodingKeys: String, CodingKey { case layer, policy, compute }
}

/// Keras's dtype policies as configs record them: a name (`"float32"`,
/// Keras 2 and early Keras 3) or an object (`{"class_name": "DTypePolicy",
/// "config": {"name": "mixed_float16"}}`; tf.keras's `Policy`, quantized
/// policies `int8_from_mixed_bfloat16`).
enum KerasDTypePolicy {
    /// The policy `value` (a layer config's `dtype`) of `layer`, when it
    /// computes below float32 or is unknown; nil for float32 and float64
    /// (rnnkit computes in the input's dtype) and when none is recorded.
    static func reduced(_ value: Any?, layer: String) -> ReducedPrecision? {
        guard let value, !(value is NSNull) else { return nil }
        let name: String
        if let text = value as? String {
            name = text
        } else if let object = value as? [String: Any], let config = object["config"] as? [String: Any],
                  let text = config["name"] as? String {
            name = text
        } else {
            return ReducedPrecision(layer: layer, policy: compactJSON(value), compute: nil)
        }
        // Quantized policies keep the float policy they compute in after "_from_".
        let float = name.range(of: "_from_").map { String(name[$0.upperBound...]) } ?? name
        switch float {
        case "float32", "float64": return nil
        case "float16", "mixed_float16": return ReducedPrecision(layer: layer, policy: name, compute: .float16)
        case "bfloat16", "mixed_bfloat16": return ReducedPrecision(layer: layer, policy: name, compute: .bfloat16)
        default: return ReducedPrecision(layer: layer, policy: name, compute: nil)
        }
    }

    /// The first policy below float32 among a layer's own and, for
    /// `Bidirectional`, its wrapped and backward layers' and, for `RNN`, its
    /// cell's, at any depth (an `InputLayer`'s
    /// `dtype` is its tensor's: float16 input is rounded, integers are ids).
    static func reduced(ofLayer config: [String: Any], className: String, name: String) -> ReducedPrecision? {
        // An InputLayer's dtype is its tensor's: integer token ids (int32) are no policy.
        if className == "InputLayer", let dtype = config["dtype"] as? String, !dtype.contains("float") { return nil }
        if let own = reduced(config["dtype"], layer: name) { return own }
        guard ["Bidirectional", "RNN"].contains(className) else { return nil }
        for key in ["layer", "backward_layer", "cell"] {
            guard let inner = config[key] as? [String: Any], let innerConfig = inner["config"] as? [String: Any] else { continue }
            if let found = reduced(ofLayer: innerConfig, className: inner["class_name"] as? String ?? "", name: name) { return found }
        }
        return nil
    }

    private static func compactJSON(_ value: Any) -> String {
        guard JSONSerialization.isValidJSONObject([value]),
              let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys]),
              let text = String(data: data, encoding: .utf8) else { return "\(value)" }
        return String(text.dropFirst().dropLast())
    }
}

/// The reduced-precision policy that reaches each layer of a model, in the
/// order the config lists them: a layer's own, else the first one before it
/// (an earlier layer computing in float16 hands the rounded tensor on).
struct KerasPrecisionFlow {
    private var earlier: ReducedPrecision?

    /// The policy that reaches the layer `name` (`config` its config),
    /// recording its own for the layers after it.
    mutating func reaching(_ config: [String: Any], className: String, name: String) -> ReducedPrecision? {
        let own = KerasDTypePolicy.reduced(ofLayer: config, className: className, name: name)
        if earlier == nil { earlier = own }
        return own ?? earlier
    }
}
