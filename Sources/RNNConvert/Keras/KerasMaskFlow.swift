import Foundation
import RNNLayouts

/// Follows Keras's mask through a model's layers, in config order, so that
/// every recurrent layer learns what mask reaches it (`KerasConfigKeys.upstreamLayers`
/// says what each class does). Keras computes a mask in `Masking` and
/// `Embedding(mask_zero=True)` and hands it on through layers that support
/// masking; a recurrent layer skips the masked steps.
struct KerasMaskFlow {
    /// The mask that comes with a layer's output.
    enum State: Equatable {
        /// No mask.
        case none
        /// The output is a `Masking` layer's (through identity layers): the
        /// mask can be computed from it.
        case value(Double, layer: String)
        /// A mask made earlier, on another tensor (`layer` names its maker).
        case carried(layer: String)
        /// A layer rnnkit does not know lies upstream (the reason names it).
        case unknown(MaskRefusal)
    }

    /// The state of each layer's output, by layer name.
    var states: [String: State] = [:]

    /// The mask reaching `entry`, a recurrent layer fed from `incoming`.
    /// `inboundCount` above 1 means the layer takes other tensors (an
    /// initial state), which rnnkit cannot run. `maskArgument`: a Functional
    /// model passes the layer a mask; Keras 3 writes there the mask it hands
    /// on, which the flow follows, so one with no mask upstream is refused.
    func inputMask(of entry: KerasLayerEntry, incoming: State, inboundCount: Int, maskArgument: Bool) -> InputMask? {
        if inboundCount > 1 { return Self.otherInputs(of: entry, count: inboundCount) }
        switch incoming {
        case .none where maskArgument:
            return InputMask(source: .refused(.maskWithoutMaker(className: entry.className, layer: entry.name)),
                             layer: "\(entry.className) layer '\(entry.name)'", zeroOutput: false)
        case .none: return nil
        case .value(let value, let layer): return InputMask(source: .maskValue(value), layer: layer, zeroOutput: false)
        case .carried(let layer): return InputMask(source: .lengths, layer: layer, zeroOutput: false)
        case .unknown(let reason): return InputMask(source: .refused(reason), layer: "", zeroOutput: false)
        }
    }

    /// The refusal of a recurrent layer called with `count` tensors (an
    /// initial state from other layers besides its input), which rnnkit
    /// cannot run from the input alone.
    static func otherInputs(of entry: KerasLayerEntry, count: Int) -> InputMask {
        InputMask(source: .refused(.otherInputs(className: entry.className, layer: entry.name, inputs: count)),
                  layer: "\(entry.className) layer '\(entry.name)'", zeroOutput: false)
    }

    /// The state of `entry`'s output, recorded under its name; `others`:
    /// the states of its other inputs (a merge layer's).
    mutating func output(of entry: KerasLayerEntry, config: [String: Any], incoming: State, others: [State] = []) -> State {
        let state: State
        if let recurrent = entry.recurrent {
            // compute_mask: the mask goes on with the sequence, and ends with return_sequences=False.
            state = recurrent.returnSequences ? carried(incoming) : .none
        } else {
            switch KerasConfigKeys.upstreamLayers[entry.className] {
            case .identity:
                state = incoming
            case .masking:
                if let value = (config["mask_value"] as? NSNumber)?.doubleValue {
                    state = .value(value, layer: "Masking layer '\(entry.name)'")
                } else {
                    state = .unknown(.maskValueNotNumber(layer: entry.name, value: config["mask_value"].map { "\($0)" }))
                }
            case .embedding:
                state = config["mask_zero"] as? Bool == true ? .carried(layer: "Embedding layer '\(entry.name)' (mask_zero=True)") : .none
            case .passesMask:
                state = carried(incoming)
            case .merges:
                // Keras joins the inputs' masks (concatenated, or and-ed): none only when no input has one.
                state = ([incoming] + others).allSatisfy { $0 == .none } ? .none
                    : .unknown(.maskedMerge(className: entry.className, layer: entry.name))
            case nil:
                if case .unknown = incoming {
                    state = incoming
                } else {
                    state = .unknown(.unknownLayer(className: entry.className, layer: entry.name,
                                                   known: KerasConfigKeys.upstreamLayers.keys.sorted()))
                }
            }
        }
        states[entry.name] = state
        return state
    }

    /// The state of a nested model's output (its last layer's), recorded under the model's name.
    mutating func output(ofModel entries: [KerasLayerEntry], named name: String) -> State {
        let state = entries.last.flatMap { states[$0.name] } ?? .unknown(.emptyNestedModel(name: name))
        states[name] = state
        return state
    }

    /// A mask that no longer matches the tensor it comes with.
    private func carried(_ state: State) -> State {
        if case .value(_, let layer) = state { return .carried(layer: layer) }
        return state
    }
}
