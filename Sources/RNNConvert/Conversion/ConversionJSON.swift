import Foundation
import RNNLayouts
import TensorFiles

/// How an encoder's notes name the options: the CLI puts its flags here
/// (`encoder.userInfo[.optionNaming]`); without it, options are named in
/// words ("the lengths option"), as `description` does.
public struct OptionNaming: Sendable {
    /// The name of each option.
    public var name: @Sendable (RequestOption) -> String

    /// Creates a naming.
    public init(_ name: @escaping @Sendable (RequestOption) -> String) {
        self.name = name
    }

    /// The naming `encoder` carries, or options named in words.
    package static func of(_ encoder: Encoder) -> (RequestOption) -> String {
        (encoder.userInfo[.optionNaming] as? OptionNaming)?.name ?? { "the \($0.phrase) option" }
    }
}

extension CodingUserInfoKey {
    /// The `OptionNaming` the `message` of encoded notes uses.
    public static let optionNaming = CodingUserInfoKey(rawValue: "rnnkit.optionNaming")!
}

/// A key named at run time: the keys of a note depend on its kind.
package struct JSONKey: CodingKey {
    package var stringValue: String
    package var intValue: Int? { nil }
    package init(_ string: String) { stringValue = string }
    package init?(stringValue: String) { self.stringValue = stringValue }
    package init?(intValue: Int) { nil }
}

/// `convert --json`: `input`, `output`, `target` (the format's raw value),
/// `contents`, `modules` (display names: `(root)` for the root), `tensors`, `bytes`, `dtypes`, `storedInputs` and
/// `notes`, each note an object (`ConversionNote`).
extension ConversionResult: Encodable {
    private enum CodingKeys: String, CodingKey {
        case input, output, target, contents, modules, tensors, bytes, dtypes, storedInputs, notes
    }

    /// Encodes the result under the keys above.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(input, forKey: .input)
        try container.encode(output, forKey: .output)
        try container.encode(target, forKey: .target)
        try container.encode(contents, forKey: .contents)
        try container.encode(modules.map(\.description), forKey: .modules)
        try container.encode(tensorCount, forKey: .tensors)
        try container.encode(bytes, forKey: .bytes)
        try container.encode(dtypes, forKey: .dtypes)
        try container.encode(stored ?? .tensors([]), forKey: .storedInputs)
        try container.encode(notes, forKey: .notes)
    }
}

/// The names of the stored inputs: the ONNX inputs' defaults, or the extra tensors.
extension ConversionResult.StoredInputs: Encodable {
    /// Encodes the list of names.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .onnxDefaults(let inputs): try container.encode(inputs)
        case .tensors(let names): try container.encode(names)
        }
    }
}

/// A note as an object: `kind` (the case's name), its data, and `message`
/// (the text, options named by the encoder's `OptionNaming`). A reader's
/// note (`input`) is encoded as its `ModuleNoteEntry`.
extension ConversionNote: Encodable {
    /// Encodes the note's kind, data and message.
    public func encode(to encoder: Encoder) throws {
        if case .input(let module, let note) = self {
            return try ModuleNoteEntry(module: module, note: note).encode(to: encoder)
        }
        var container = encoder.container(keyedBy: JSONKey.self)
        func put<T: Encodable>(_ key: String, _ value: T) throws { try container.encode(value, forKey: JSONKey(key)) }
        switch self {
        case .maskDropped(let module, let mask):
            try put("kind", "maskDropped")
            try put("module", module.description)
            try put("mask", mask)
        case .precisionRaised(let module, let precision):
            try put("kind", "precisionRaised")
            try put("module", module.description)
            try put("precision", precision)
        case .pytorchForwardAssumed(let module, let code):
            try put("kind", "pytorchForwardAssumed")
            try put("module", module.description)
            try put("code", code)
        case .nonlinearityNotRecorded(let target, let nonlinearity):
            try put("kind", "nonlinearityNotRecorded")
            try put("target", target)
            try put("nonlinearity", nonlinearity)
        case .batchFirstNotRecorded(let target):
            try put("kind", "batchFirstNotRecorded")
            try put("target", target)
        case .input:
            break
        }
        try put("message", message(naming: OptionNaming.of(encoder)))
    }
}

/// A reader's note on a module as an object: the kind, data and message of
/// its `ModuleNote`, and `module`, the module's display name (or the file's path). `convert --json`
/// and `inspect --json` encode a reader's note so.
extension ModuleNoteEntry: Encodable {
    /// Encodes the note's kind, data and message, and the module.
    public func encode(to encoder: Encoder) throws {
        try note.encode(to: encoder)
        var container = encoder.container(keyedBy: JSONKey.self)
        try container.encode(subject.description, forKey: JSONKey("module"))
    }
}

/// A reader's note as an object: `kind` (the case's name), its data, and
/// `message` (the text, options named by the encoder's `OptionNaming`).
extension ModuleNote: Encodable {
    /// Encodes the note's kind, data and message.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: JSONKey.self)
        func put<T: Encodable>(_ key: String, _ value: T) throws { try container.encode(value, forKey: JSONKey(key)) }
        switch self {
        case .layoutUnknown(let stoppedAt):
            try put("kind", "layoutUnknown")
            try put("stoppedAt", stoppedAt)
        case .computedAfter(let operators):
            try put("kind", "computedAfter")
            try put("operators", operators)
        case .weightsOverridable(let node, let initializers):
            try put("kind", "weightsOverridable")
            try put("node", node)
            try put("initializers", initializers)
        case .computedBefore(let layer):
            try put("kind", "computedBefore")
            try put("layer", layer)
        case .storedState(let shape, let states):
            try put("kind", "storedState")
            try put("shape", shape)
            try put("states", states)
        case .runtimeInput(let role, let node, let input, let option):
            try put("kind", "runtimeInput")
            try put("role", role)
            try put("node", node)
            try put("input", input)
            try put("option", option)
        case .stateComputed(let role, let node, let source, let option):
            try put("kind", "stateComputed")
            try put("role", role)
            try put("node", node)
            try put("source", source)
            try put("option", option)
        case .storedLengths(let lengths):
            try put("kind", "storedLengths")
            try put("lengths", lengths)
        case .storedTensor(let name, let shape, let option):
            try put("kind", "storedTensor")
            try put("tensor", name)
            try put("shape", shape)
            try put("option", option)
        case .stateArgument(let parameter, let option):
            try put("kind", "stateArgument")
            try put("parameter", parameter)
            try put("option", option)
        case .stateShapedTensor(let name, let shape, let stored):
            try put("kind", "stateShapedTensor")
            try put("tensor", name)
            try put("shape", shape)
            try put("stored", stored)
        case .activationsAssumed(let layer, let origin, let activations):
            try put("kind", "activationsAssumed")
            try put("layer", layer)
            try put("origin", origin)
            try put("activations", activations)
        case .simpleRNNActivation(let layer, let file):
            try put("kind", "simpleRNNActivation")
            try put("layer", layer)
            try put("file", file)
        case .weightlessLayersUnrecorded:
            try put("kind", "weightlessLayersUnrecorded")
        case .inputMask(let mask):
            try put("kind", "inputMask")
            try put("mask", mask)
        case .reducedPrecision(let precision):
            try put("kind", "reducedPrecision")
            try put("precision", precision)
        case .unrunCode(let code):
            try put("kind", "unrunCode")
            try put("code", code)
        case .readFrom(let place):
            try put("kind", "readFrom")
            try put("place", place)
        case .nonlinearityRecorded(let nonlinearity):
            try put("kind", "nonlinearityRecorded")
            try put("nonlinearity", nonlinearity)
        case .batchMajorInput:
            try put("kind", "batchMajorInput")
        case .lastStepOnly(let layer):
            try put("kind", "lastStepOnly")
            try put("layer", layer)
        case .mergeModeAssumed(let layer):
            try put("kind", "mergeModeAssumed")
            try put("layer", layer)
        case .keras2LayersFromWeights:
            try put("kind", "keras2LayersFromWeights")
        case .unrecordedBefore(let layer, let weightless, let embeddings):
            try put("kind", "unrecordedBefore")
            try put("layer", layer)
            try put("weightless", weightless)
            try put("embeddings", embeddings)
        case .layersInferred(let count, let mode, let bidirectional):
            try put("kind", "layersInferred")
            try put("count", count)
            try put("mode", mode)
            try put("bidirectional", bidirectional)
        case .gruResetBefore:
            try put("kind", "gruResetBefore")
        case .gruResetAfterAssumed:
            try put("kind", "gruResetAfterAssumed")
        case .layersUnordered:
            try put("kind", "layersUnordered")
        case .savedInTrainingMode(let dropout):
            try put("kind", "savedInTrainingMode")
            try put("dropout", dropout)
        }
        try put("message", message(naming: OptionNaming.of(encoder)))
    }
}
