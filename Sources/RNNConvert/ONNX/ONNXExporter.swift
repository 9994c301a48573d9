import Foundation
import ONNXProto
import RNNLayouts
import TensorFiles

/// How `ONNXExporter` shapes the model it writes.
public struct ONNXExportOptions: Sendable, Equatable {
    /// Whether the graph input `input` and output `output` are `(B, T, F)`
    /// (PyTorch's `batch_first=True`) instead of `(T, B, F)`.
    public var batchFirst: Bool
    /// The activation of an `RNN` module (ignored for LSTM and GRU, where
    /// only `tanh` is accepted).
    public var nonlinearity: Nonlinearity
    /// The element type of the weights and of `input`; nil keeps the
    /// module's float32, float16 or float64 and widens bfloat16 to float32.
    public var dtype: DType?
    /// A stored initial state to write as the default of the `h0` / `c0`
    /// inputs (instead of zeros); nil writes zeros.
    public var storedState: StoredState?
    /// Stored lengths to write as the default of `sequence_lens` (instead of
    /// full lengths); nil writes none.
    public var lengths: [Int]?

    /// Creates options; the defaults are PyTorch's (`(T, B, F)`, tanh).
    public init(batchFirst: Bool = false, nonlinearity: Nonlinearity = .tanh, dtype: DType? = nil) {
        self.batchFirst = batchFirst
        self.nonlinearity = nonlinearity
        self.dtype = dtype
    }
}

/// Writes one PyTorch recurrent module as an ONNX model that runs it: one
/// standard `LSTM` / `GRU` / `RNN` operator per layer, with graph input
/// `input` and outputs `output`, `h_n` and (LSTM) `c_n` in PyTorch's shapes.
///
/// `sequence_lens` (int32, `(B,)`), `h0` and (LSTM) `c0` (`(layers·directions,
/// B, hidden)`) are optional inputs: initializers that are also graph inputs,
/// so a runtime uses all-full lengths and zero states unless they are fed.
public enum ONNXExporter {
    /// The ONNX operator set the model imports.
    public static let opsetVersion = 17
    /// The IR version written (ONNX 1.12, accepted by every current runtime).
    public static let irVersion = 8

    /// The element type the model will use for `module`, or the reason it
    /// cannot be written. Call before creating any file.
    ///
    /// - Throws: `ConversionError` for what ONNX cannot express;
    ///   `ModuleValidationError` for a module that does not pass `ModuleValidation`.
    public static func check(_ module: RNNModule, options: ONNXExportOptions) throws -> DType {
        try ModuleValidation.check(module, nonlinearity: options.nonlinearity)
        let architecture = module.architecture
        if let limitation = architecture.limitations(in: .onnx).first {
            throw ConversionError.targetCannotHold(module: module.path, target: .onnx, limitation)
        }
        let dtype = options.dtype ?? (architecture.dtype == .bfloat16 ? .float32 : architecture.dtype)
        guard [.float16, .float32, .float64].contains(dtype) else {
            throw ConversionError.dtypeNotWritable(file: nil, target: .onnx, dtype: dtype, tensor: nil, choices: [.float32, .float16, .float64])
        }
        let states = architecture.numLayers * architecture.directions
        for (name, state) in [("h0", options.storedState?.h0), ("c0", options.storedState?.c0)] {
            guard let state else { continue }
            guard state.dtype.isFloatingPoint, state.shape.count == 3, state.shape[0] == states, state.shape[1] >= 1,
                  state.shape[2] == architecture.hiddenSize, !(name == "c0" && architecture.mode != .lstm)
            else {
                throw ConversionError.storedStateShape(module: module.path, state: name, shape: state.shape, architecture: architecture)
            }
        }
        if let lengths = options.lengths, lengths.contains(where: { $0 < 0 || $0 > Int(Int32.max) }) {
            throw ConversionError.lengthsTooLarge(module: module.path, lengths: Array(lengths.prefix(8)))
        }
        let bytes = architecture.parameterCount * dtype.itemSize
        if bytes > Int(Int32.max) - (1 << 24) {
            throw ConversionError.tooLarge(module: module.path, bytes: bytes)
        }
        return dtype
    }

    /// The serialized ONNX model for `module`, whole in memory (small
    /// models; `write(_:options:to:force:)` streams large ones to a file).
    public static func serializedModel(_ module: RNNModule, options: ONNXExportOptions = ONNXExportOptions()) throws -> Data {
        try model(module, options: options).serializedBytes()
    }

    /// Writes the ONNX model for `module` to `path` atomically (see
    /// `AtomicOutput`), the weights streamed from the module's tensors
    /// (converted piece by piece): memory stays bounded whatever their size.
    public static func write(_ module: RNNModule, options: ONNXExportOptions = ONNXExportOptions(), to path: String, force: Bool = false) throws {
        let (model, initializers) = try parts(module, options: options)
        try AtomicOutput.writeFile(to: path, force: force) { output in
            try ONNXStreamedModel.write(model, initializers: initializers, to: output)
        }
    }

    /// The ONNX model for `module`, every initializer in memory.
    static func model(_ module: RNNModule, options: ONNXExportOptions) throws -> Onnx_ModelProto {
        var (model, initializers) = try parts(module, options: options)
        model.graph.initializer += try initializers.map { try $0.proto() }
        return model
    }

    /// The ONNX model for `module` without the weight initializers, and those.
    private static func parts(_ module: RNNModule, options: ONNXExportOptions) throws -> (Onnx_ModelProto, [StreamedInitializer]) {
        let dtype = try check(module, options: options)
        var model = Onnx_ModelProto()
        model.irVersion = Int64(irVersion)
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = Int64(opsetVersion)
        model.opsetImport = [opset]
        model.producerName = "rnnkit"
        model.producerVersion = "0.1.0"
        model.docString = "PyTorch \(describe(module.architecture)) '\(module.displayName)' written by rnnkit convert"
        var writer = ONNXGraphWriter(module: module, options: options, dtype: dtype)
        model.graph = try writer.graph()
        model.metadataProps = ONNXMetadata.entries(for: module, options: options)
        return (model, writer.streamed)
    }

    /// What `convert` adds to its summary when the model carries a stored state or lengths.
    static func storedDefaults(_ options: ONNXExportOptions) -> [String] {
        var parts: [String] = []
        if let h0 = options.storedState?.h0 { parts.append("h0 \(shapeText(h0.shape))") }
        if let c0 = options.storedState?.c0 { parts.append("c0 \(shapeText(c0.shape))") }
        if let lengths = options.lengths { parts.append("sequence_lens \(lengths)") }
        return parts
    }

    /// `nn.LSTM(5, 8, num_layers=2, bidirectional=True)` style.
    static func describe(_ architecture: RNNArchitecture) -> String {
        let name = architecture.mode.pytorchClass(architecture.kind)
        var arguments = ["\(architecture.inputSize)", "\(architecture.hiddenSize)"]
        if architecture.kind == .layer {
            if architecture.numLayers != 1 { arguments.append("num_layers=\(architecture.numLayers)") }
            if architecture.bidirectional { arguments.append("bidirectional=True") }
        }
        if !architecture.bias { arguments.append("bias=False") }
        return "\(name)(\(arguments.joined(separator: ", ")))"
    }
}

/// The keys rnnkit writes into `ModelProto.metadata_props` so that reading
/// its own files back restores the module's name and form exactly.
enum ONNXMetadata {
    static let module = "rnnkit.module"
    static let kind = "rnnkit.kind"
    static let batchFirst = "rnnkit.batch_first"
    static let nonlinearity = "rnnkit.nonlinearity"

    static func entries(for module: RNNModule, options: ONNXExportOptions) -> [Onnx_StringStringEntryProto] {
        var pairs = [
            (Self.module, module.name),
            (kind, module.architecture.kind.rawValue),
            (batchFirst, options.batchFirst ? "true" : "false"),
        ]
        if module.architecture.mode == .rnn { pairs.append((nonlinearity, options.nonlinearity.rawValue)) }
        return pairs.map { key, value in
            var entry = Onnx_StringStringEntryProto()
            entry.key = key
            entry.value = value
            return entry
        }
    }
}
