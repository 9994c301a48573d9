import Foundation
import RNNLayouts
import TensorFiles

/// How `KerasExporter` shapes what it writes.
public struct KerasExportOptions: Sendable, Equatable {
    /// The activation of an RNN module (`SimpleRNN(activation=…)`); LSTM and
    /// GRU take `tanh` only.
    public var nonlinearity: Nonlinearity
    /// The element type of the weights and of the model's dtype policy
    /// (float16, float32 or float64); nil writes float64 modules as float64
    /// and everything else as float32 (exact for float16 and bfloat16).
    public var dtype: DType?

    /// Creates options; the defaults are PyTorch's (tanh, float32).
    public init(nonlinearity: Nonlinearity = .tanh, dtype: DType? = nil) {
        self.nonlinearity = nonlinearity
        self.dtype = dtype
    }
}

/// Writes one PyTorch recurrent module as Keras 3 files:
/// - a `.keras` archive (`metadata.json`, `config.json`, `model.weights.h5`,
///   stored, like `model.save`; the HDF5 file is written in place as the
///   last member, behind a user block holding the zip's headers) holding a `Sequential` whose input is
///   `(batch, time, features)` and one `LSTM` / `GRU(reset_after=True)` /
///   `SimpleRNN` per PyTorch layer with `return_sequences=True`, wrapped in
///   `Bidirectional(merge_mode="concat")` when bidirectional, so that
///   `model.predict(x)` is PyTorch's `output` with `batch_first=True`;
/// - or the weights file alone (`.weights.h5`, `model.save_weights`'s layout)
///   for a model built in code with the same layers.
///
/// Layouts: `KerasLayout`. Nothing is written unless the whole module fits.
public enum KerasExporter {
    /// The element type the files will use for `module`, or the reason it
    /// cannot be written. Call before creating any file.
    ///
    /// - Parameter format: what will be written, `.keras` (an archive) or
    ///   `.kerasWeights` (the weights file), as errors name it.
    /// - Throws: `ConversionError` for what Keras cannot express;
    ///   `ModuleValidationError` for a module that does not pass `ModuleValidation`.
    public static func check(_ module: RNNModule, options: KerasExportOptions, format: FileFormat = .keras) throws -> DType {
        try ModuleValidation.check(module, nonlinearity: options.nonlinearity)
        let architecture = module.architecture
        if let limitation = architecture.limitations(in: format).first {
            throw ConversionError.targetCannotHold(module: module.path, target: format, limitation)
        }
        let dtype = options.dtype ?? (architecture.dtype == .float64 ? .float64 : .float32)
        guard [.float16, .float32, .float64].contains(dtype) else {
            throw ConversionError.dtypeNotWritable(file: nil, target: format, dtype: dtype, tensor: nil, choices: [.float32, .float16, .float64])
        }
        return dtype
    }

    /// Writes the `.keras` archive for `module` to `path`, atomically
    /// (replacing an existing file only with `force`). Returns what
    /// was written.
    @discardableResult
    public static func writeModel(
        _ module: RNNModule, options: KerasExportOptions = KerasExportOptions(), to path: String, force: Bool = false
    ) throws -> KerasExport {
        let dtype = try check(module, options: options)
        let weights = try kerasWeights(module, options: options, dtype: dtype)
        let layers = weights.layers
        let config = try KerasModelConfig.json(layers, dtype: dtype)
        let metadata = try metadataJSON(module)
        // The HDF5 child writes the weights after a user block that then
        // receives the zip's headers: the file becomes the archive in place.
        let members = [("metadata.json", metadata), ("config.json", config)]
        let reserved = StoredZipWriter.reservedBytes(for: members, lastName: "model.weights.h5")
        try AtomicOutput.write(to: path, force: force) { temporary in
            let writer = try HDF5Writer(creating: temporary, target: path, userblock: reserved)
            try writeWeights(weights, with: writer)
            try writer.close()
            try StoredZipWriter.wrap(
                members, lastName: "model.weights.h5", reserved: reserved, known: writer.checksumAfterUserBlock,
                path: temporary, target: path
            )
        }
        return KerasExport(model: describe(layers, dtype: dtype), dtype: dtype)
    }

    /// Writes `module`'s weights alone in Keras 3's weights-file layout
    /// (`model.save_weights`) to `path`, atomically. Returns what
    /// was written (the model the file fits).
    @discardableResult
    public static func writeWeights(
        _ module: RNNModule, options: KerasExportOptions = KerasExportOptions(), to path: String, force: Bool = false
    ) throws -> KerasExport {
        let dtype = try check(module, options: options, format: .kerasWeights)
        let weights = try kerasWeights(module, options: options, dtype: dtype)
        try HDF5Writer.write(to: path, force: force) { writer in try writeWeights(weights, with: writer) }
        return KerasExport(model: describe(weights.layers, dtype: dtype), dtype: dtype)
    }

    /// The Keras layers of `module`, weights converted to `dtype` and laid out by `KerasLayout`.
    static func kerasLayers(_ module: RNNModule, options: KerasExportOptions, dtype: DType) throws -> [KerasRecurrentLayer] {
        try kerasWeights(module, options: options, dtype: dtype).layers
    }

    /// The Keras layers of a module, and the PyTorch weights (in the target
    /// dtype) of each layer's directions, from which the writer fills the
    /// layers' kernels (`KerasKernelRows`).
    struct KerasWeights {
        var layers: [KerasRecurrentLayer]
        var sources: [[KerasLayout.Parameters]]
    }

    private static func kerasWeights(_ module: RNNModule, options: KerasExportOptions, dtype: DType) throws -> KerasWeights {
        var sources: [[KerasLayout.Parameters]] = []
        let architecture = module.architecture
        let className = architecture.bidirectional ? "Bidirectional" : KerasLayout.layerClass(architecture.mode)
        let paths = KerasRecurrentLayer.weightPaths(forClasses: Array(repeating: className, count: architecture.numLayers))
        let innerNames = KerasRecurrentLayer.weightPaths(
            forClasses: Array(repeating: KerasLayout.layerClass(architecture.mode), count: architecture.numLayers))
        let layers = try (0 ..< architecture.numLayers).map { layer in
            sources.append([])
            let directions = try (0 ..< architecture.directions).map { direction -> KerasLayout.Variables in
                func tensor(_ role: ParameterName.Role) throws -> Tensor {
                    let name = ParameterName(role, layer: architecture.kind == .cell ? nil : layer, reverse: direction == 1)
                    guard let tensor = module.tensor(name) else {
                        throw ConversionError.missingParameter(name: module.qualifiedName(of: name), expected: nil)
                    }
                    return try tensor.convertedWhenWritten(to: dtype)  // weights converted band by band as written (KerasKernelRows)
                }
                let biases = architecture.bias ? (try tensor(.biasIH), try tensor(.biasHH)) : nil
                let parameters = KerasLayout.Parameters(weightIH: try tensor(.weightIH), weightHH: try tensor(.weightHH), biases: biases)
                sources[layer].append(parameters)
                var variables = try streamedVariables(parameters, mode: architecture.mode)
                if architecture.mode == .gru, !architecture.variant.linearBeforeReset, let bias = variables.bias {
                    // reset_after=False keeps one row: b_hh adds outside the reset there, so it folds into b_ih.
                    let rows = try bias.doubles(), width = architecture.gateRows
                    let folded = (0 ..< width).map { rows[$0] + rows[width + $0] }
                    variables.bias = try Tensor(shape: [width], doubles: folded).converted(to: dtype)
                }
                return variables
            }
            let variant = architecture.variant
            let activation = architecture.mode == .rnn && variant.candidate == .tanh
                ? options.nonlinearity.rawValue : KerasVariant.name(of: variant.candidate) ?? "tanh"
            return KerasRecurrentLayer(
                mode: architecture.mode, units: architecture.hiddenSize, inputSize: architecture.layerInputSize(layer),
                bidirectional: architecture.bidirectional, useBias: architecture.bias,
                activation: activation,
                name: paths[layer], innerName: innerNames[layer], path: paths[layer], directions: directions, variant: variant)
        }
        return KerasWeights(layers: layers, sources: sources)
    }

    /// `KerasLayout.kerasVariables` of `parameters`, its kernels left to be
    /// computed when asked for: the writer fills them row band by row band
    /// from the PyTorch weights (`KerasKernelRows`), so they are never whole
    /// in memory. The biases (small) are computed now, by `kerasVariables`
    /// given one-column stand-ins for the weights.
    private static func streamedVariables(_ parameters: KerasLayout.Parameters, mode: RNNMode) throws -> KerasLayout.Variables {
        func standIn(_ weight: Tensor) throws -> Tensor {
            try Tensor(dtype: weight.dtype, shape: [weight.shape[0], 1], data: Data(count: weight.shape[0] * weight.dtype.itemSize))
        }
        var small = parameters
        small.weightIH = try standIn(parameters.weightIH)
        small.weightHH = try standIn(parameters.weightHH)
        var variables = try KerasLayout.kerasVariables(small, mode: mode)
        variables.kernel = KerasKernelRows.deferred(parameters.weightIH, mode: mode)
        variables.recurrentKernel = KerasKernelRows.deferred(parameters.weightHH, mode: mode)
        return variables
    }

    /// Fills a new HDF5 file the way Keras 3's `H5IOStore` does: a `vars`
    /// group (attribute `name`) for the model, each layer and each cell, the
    /// cell's variables as datasets `0`, `1`, `2` in its `vars`.
    static func writeWeights(_ weights: KerasWeights, with writer: HDF5Writer) throws {
        func group(_ path: String, name: String) throws {
            try writer.createGroup(path)
            try writer.setAttribute("name", name, on: path)
        }
        try group("vars", name: "sequential")
        try writer.createGroup("layers")
        for (layer, sources) in zip(weights.layers, weights.sources) {
            try group("layers/\(layer.path)/vars", name: layer.name)
            for (direction, variables) in layer.directions.enumerated() {
                if layer.bidirectional {
                    let side = direction == 0 ? "forward" : "backward"
                    try group("layers/\(layer.path)/\(side)_layer/vars", name: "\(side)_\(layer.innerName)")
                }
                let cell = layer.cellVariablesGroup(direction: direction)
                try group(cell, name: KerasLayout.cellName(layer.mode))
                for (index, tensor) in variables.list.enumerated() {
                    // The kernels, `vars/0` and `vars/1`, are filled from the PyTorch weights by the writing child.
                    let source = index == 0 ? sources[direction].weightIH : index == 1 ? sources[direction].weightHH : nil
                    if let source {
                        let rows = try KerasKernelRows(source, mode: layer.mode)
                        try writer.writeDataset("\(cell)/\(index)", dtype: tensor.dtype, shape: tensor.shape, bandBytes: rows.bandBytes, rows: rows.fill)
                    } else {
                        try writer.writeDataset("\(cell)/\(index)", tensor)
                    }
                }
            }
        }
    }

    /// `metadata.json`: what `model.save` writes, plus rnnkit's module name and kind.
    private static func metadataJSON(_ module: RNNModule) throws -> Data {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd@HH:mm:ss"
        let object: [String: Any] = [
            "keras_version": KerasMetadata.kerasVersion,
            "date_saved": formatter.string(from: Date()),
            KerasMetadata.entry: [KerasMetadata.module: module.name, KerasMetadata.kind: module.architecture.kind.rawValue],
        ]
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    /// `Keras 3 Sequential: 2 × Bidirectional(LSTM(8)), input (batch, time, 5), float32`.
    static func describe(_ layers: [KerasRecurrentLayer], dtype: DType) -> String {
        guard let first = layers.first else { return "Sequential without layers" }
        var inner = "\(KerasLayout.layerClass(first.mode))(\(first.units)"
        let variant = first.variant
        if first.mode == .rnn || first.activation != "tanh" { inner += ", activation=\"\(first.activation)\"" }
        if first.mode != .rnn, variant.gate != .sigmoid { inner += ", recurrent_activation=\"\(KerasVariant.name(of: variant.gate) ?? "?")\"" }
        if !first.useBias { inner += ", use_bias=False" }
        if first.mode == .gru { inner += ", reset_after=\(variant.linearBeforeReset ? "True" : "False")" }
        if variant.direction == .backwards { inner += ", go_backwards=True" }
        inner += ")"
        let merge = variant.merge == .concat ? "" : ", merge_mode=\"\(variant.merge.rawValue)\""
        let layer = first.bidirectional ? "Bidirectional(\(inner)\(merge))" : inner
        let policy = KerasModelConfig.policyDType(weights: dtype)
        let types = policy == dtype ? dtype.rawValue : "\(dtype.rawValue) weights, \(policy.rawValue) policy"
        return "Sequential: \(layers.count == 1 ? "" : "\(layers.count) × ")\(layer), input (batch, time, \(first.inputSize)), \(types)"
    }
}
