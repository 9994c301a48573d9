import TensorFiles
/// A mask the model a file describes applies to a recurrent module's input:
/// Keras skips masked steps (the state is carried through them unchanged)
/// and writes, at a masked step, zeros or the previous step's output.
///
/// PyTorch names cannot record a mask, so only Keras files give one
/// (`Masking` or `Embedding(mask_zero=True)` upstream of a recurrent layer).
public struct InputMask: Sendable, Equatable {
    /// Where the mask comes from.
    public enum Source: Sendable, Equatable {
        /// `Masking(mask_value)` feeds the module (through identity layers
        /// only): a step is masked when all its features equal the value.
        case maskValue(Double)
        /// The mask is computed before other layers (token ids of an
        /// `Embedding(mask_zero=True)`, or a `Masking` before a `Dense`), so
        /// it cannot be read from the module's input: `run` takes it from
        /// `--lengths` (steps at or past a sequence's length are masked).
        case lengths
        /// The module cannot run as the file describes it: an upstream
        /// layer rnnkit does not know might produce a mask, for example.
        case refused(MaskRefusal)
    }

    /// Where the mask comes from.
    public var source: Source
    /// The layer that makes the mask, for messages (`Masking layer 'masking'`).
    public var layer: String
    /// Whether masked steps output zeros (Keras's `zero_output_for_mask`,
    /// which `Bidirectional` sets to its `return_sequences`); else they
    /// repeat the last unmasked step's output, zeros before the first (for a
    /// backward direction: the next unmasked step's).
    public var zeroOutput: Bool

    /// Creates a mask description.
    public init(source: Source, layer: String, zeroOutput: Bool) {
        self.source = source
        self.layer = layer
        self.zeroOutput = zeroOutput
    }

    /// What masks the input, in one phrase for refusals and notes: "the
    /// Masking layer 'm' masks its input", or why the module is refused.
    public var cause: String {
        if case .refused(let reason) = source { return reason.description }
        return "the \(layer) masks its input"
    }

    /// One sentence for `inspect` and notes.
    public var summary: String { summary(naming: { "the \($0.phrase) option" }) }

    /// One sentence for `inspect` and notes, options named by `name`.
    public func summary(naming name: (RequestOption) -> String) -> String {
        let rule = zeroOutput ? "output zeros" : "repeat the previous step's output (zeros before the first unmasked step)"
        switch source {
        case .maskValue(let value):
            return "the \(layer) masks every step whose features all equal \(value): Keras skips those steps (the state is carried "
                + "through) and masked steps \(rule); `run` computes the mask from the input it is given, which must be the "
                + "input of the \(layer) (where masked steps still hold \(value)), and does the same"
        case .lengths:
            return "the \(layer) masks steps the module's input does not show: `run` needs \(name(.lengths)) (each sequence's unmasked "
                + "steps, which must come first) and then skips the steps past each length as Keras does; masked steps \(rule)"
        case .refused(let reason):
            return "run and convert refuse this module: \(reason)"
        }
    }
}

/// Why rnnkit cannot run a module behind the mask its file describes
/// (Keras files: `KerasMaskFlow` follows the mask through the model's layers).
public enum MaskRefusal: Sendable, Equatable, CustomStringConvertible {
    /// The recurrent layer `layer` (a `className`) takes `inputs` tensors: an
    /// initial state from other layers.
    case otherInputs(className: String, layer: String, inputs: Int)
    /// The recurrent layer is called with a mask that no `Masking` or
    /// `Embedding(mask_zero=True)` before it makes.
    case maskWithoutMaker(className: String, layer: String)
    /// The `Masking` layer's `mask_value` is not a number (`value`: what the
    /// config holds, nil when it has none).
    case maskValueNotNumber(layer: String, value: String?)
    /// A layer rnnkit does not know lies between the model's input and the
    /// module; `known` lists the classes it does know.
    case unknownLayer(className: String, layer: String, known: [String])
    /// A nested model holds no layers rnnkit reads.
    case emptyNestedModel(name: String)
    /// A layer joining several tensors (`Concatenate`, `Add`), at least one
    /// of them masked: Keras joins the masks, which rnnkit does not compute.
    case maskedMerge(className: String, layer: String)

    /// The reason in one clause, naming the layer.
    public var description: String {
        switch self {
        case .otherInputs(let className, let layer, let inputs):
            return "the \(className) layer '\(layer)' takes \(inputs) inputs (an initial state from other layers); "
                + "rnnkit runs a recurrent layer from its input alone"
        case .maskWithoutMaker(let className, let layer):
            return "the \(className) layer '\(layer)' is called with a mask that no Masking or Embedding(mask_zero=True) "
                + "before it makes; rnnkit cannot tell which steps it masks"
        case .maskValueNotNumber(let layer, let value):
            return "the Masking layer '\(layer)' has mask_value \(value ?? "missing"), not a number"
        case .unknownLayer(let className, let layer, let known):
            return "the \(className) layer '\(layer)' lies between the model's input and this module, and rnnkit does not "
                + "know whether \(className) makes or changes a mask (it knows \(known.joined(separator: ", ")))"
        case .maskedMerge(let className, let layer):
            return "the \(className) layer '\(layer)' joins tensors of which at least one is masked; Keras joins their masks, "
                + "which rnnkit does not compute"
        case .emptyNestedModel(let name):
            return "the nested model '\(name)' holds no layers rnnkit reads"
        }
    }
}

/// The mask as an object: `source` (`maskValue`, `lengths`, `refused`),
/// `maskValue` or `reason` for those sources, `layer` and `zeroOutput`.
extension InputMask: Encodable {
    private enum CodingKeys: String, CodingKey {
        case source, maskValue, reason, layer, zeroOutput
    }

    /// Encodes the mask under the keys above.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch source {
        case .maskValue(let value):
            try container.encode("maskValue", forKey: .source)
            try container.encode(value, forKey: .maskValue)
        case .lengths:
            try container.encode("lengths", forKey: .source)
        case .refused(let reason):
            try container.encode("refused", forKey: .source)
            try container.encode(reason.description, forKey: .reason)
        }
        try container.encode(layer, forKey: .layer)
        try container.encode(zeroOutput, forKey: .zeroOutput)
    }
}
