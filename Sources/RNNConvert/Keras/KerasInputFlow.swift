import Foundation

/// Follows which layer computes each layer's input, through a model's layers
/// in config order, so that a recurrent layer whose input the model computes
/// (a `Dense`, an `Embedding`, another recurrent layer it is not stacked
/// with) says so: rnnkit runs the recurrent module alone, on the input a run
/// is given, which must then be that layer's output and not the model's input.
///
/// Layers that are the identity at inference (`Dropout`, `GaussianNoise`)
/// and `Masking` (which zeroes only the steps the recurrent layer skips)
/// pass their input on; every other layer computes a new tensor.
struct KerasInputFlow {
    /// The layer (described, `Dense layer 'dense'`) that computed each layer's
    /// output, by layer name; nil when it is the model's input unchanged.
    private(set) var computed: [String: String?] = [:]

    /// What computed `inbound` (a Functional layer's first argument), or
    /// `previous` (Sequential) when the layer names none; a name the flow has
    /// not seen is a model input.
    func incoming(inbound: String?, previous: String?) -> String? {
        guard let inbound else { return previous }
        return computed[inbound] ?? nil
    }

    /// Records `name`'s output, which reads what `incoming` computed, and returns what computed it.
    mutating func output(of name: String, className: String, incoming: String?) -> String? {
        let upstream = KerasConfigKeys.upstreamLayers[className]
        let state = upstream == .identity || upstream == .masking ? incoming : "\(className) layer '\(name)'"
        computed[name] = .some(state)
        return state
    }

    /// Records `name` (an input layer, or a nested model's output) as computed by `state`.
    mutating func record(_ name: String, as state: String?) {
        computed[name] = .some(state)
    }
}
