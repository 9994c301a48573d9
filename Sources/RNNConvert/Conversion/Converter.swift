import Foundation
import RNNLayouts
import TensorFiles

/// The file a conversion writes, chosen by the output path's suffix.
public enum ConversionTarget: String, Sendable, CaseIterable {
    /// `.onnx`: one ONNX model running the chosen module.
    case onnx
    /// `.safetensors`, PyTorch names.
    case safetensors
    /// `.npz`, PyTorch names.
    case npz
    /// `.h5` / `.hdf5`, PyTorch names.
    case hdf5
    /// A directory of `.npy` files (an output path without a suffix or ending in `/`), PyTorch names.
    case npyDirectory = "npy directory"
    /// `.keras`: a Keras 3 model archive.
    case keras
    /// `.weights.h5`: Keras 3 weights alone (`model.save_weights`'s layout).
    case kerasWeights = "Keras weights"

    /// The target for `path`.
    ///
    /// - Throws: `ConversionError` for suffixes rnnkit does not write.
    public static func forPath(_ path: String) throws -> ConversionTarget {
        let name = (path as NSString).lastPathComponent.lowercased()
        if path.hasSuffix("/") { return .npyDirectory }
        if name.hasSuffix(".keras") { return .keras }
        if name.hasSuffix(".weights.h5") { return .kerasWeights }  // before .h5
        switch (name as NSString).pathExtension {
        case "onnx": return .onnx
        case "safetensors": return .safetensors
        case "npz": return .npz
        case "h5", "hdf5": return .hdf5
        case "": return .npyDirectory
        case let other:
            throw ConversionError("\(path): unknown output suffix '.\(other)'; rnnkit writes .onnx, .keras, .weights.h5, .safetensors, .npz, .h5 (.hdf5) and directories of .npy (a path without suffix)")
        }
    }
}

/// One `rnnkit convert` request.
public struct ConversionRequest: Sendable {
    /// The file to read (any format `ModelSource` opens).
    public var input: String
    /// The file to write; its suffix chooses the target.
    public var output: String
    /// The module to convert (required for ONNX when the file holds several;
    /// for containers, limits the output to that module's tensors).
    public var module: String?
    /// The RNN activation; nil takes the input file's or tanh.
    public var nonlinearity: Nonlinearity?
    /// The element type to write; nil keeps the input's (see `ONNXExportOptions.dtype`).
    public var dtype: DType?
    /// `--rename` mappings applied to the input's names first.
    public var renames: [Rename]
    /// Whether an existing output may be replaced.
    public var force: Bool
    /// ONNX only: batch-major graph input and output.
    public var batchFirst: Bool
    /// Write the weights of a module the input file masks (Keras `Masking`,
    /// `Embedding(mask_zero=True)`) although the target cannot record the mask.
    public var dropMask = false

    /// Creates a request.
    public init(input: String, output: String, module: String? = nil, nonlinearity: Nonlinearity? = nil, dtype: DType? = nil,
                renames: [Rename] = [], force: Bool = false, batchFirst: Bool = false) {
        self.input = input
        self.output = output
        self.module = module
        self.nonlinearity = nonlinearity
        self.dtype = dtype
        self.renames = renames
        self.force = force
        self.batchFirst = batchFirst
    }
}

/// Runs conversions: reads the input, checks that the target can hold what
/// was asked (before any file is created), and writes the output atomically.
public enum Converter {
    /// Converts `request.input` to `request.output` and returns a one-line summary.
    public static func convert(_ request: ConversionRequest) throws -> String {
        let target = try ConversionTarget.forPath(request.output)
        var request = request
        while request.output.count > 1, request.output.hasSuffix("/") { request.output.removeLast() }
        try AtomicOutput.checkWritable(
            request.output, inputs: [request.input], force: request.force, kind: target == .npyDirectory ? .npyFolder : .file)
        let source = try ModelSource.open(request.input)
        let summary: String
        var flagNotes: [String] = []
        do {
            let tensors = try Rename.apply(request.renames, to: source.tensors)
            let masks = try checkMasks(source, target: target, request: request)
            switch target {
            case .onnx:
                summary = try writeONNX(tensors, source: source, request: request)
            case .keras, .kerasWeights:
                summary = try writeKeras(tensors, source: source, target: target, request: request)
            case .safetensors, .npz, .hdf5, .npyDirectory:
                try refuseVariants(source, target: target, request: request)
                flagNotes = try unrecordedFlags(source, target: target, request: request)
                summary = try writeContainer(tensors, source: source, target: target, request: request)
            }
            flagNotes += masks
        } catch let error as LayoutError {
            throw FileInputError(file: request.input, underlying: error)
        }
        return oneLine(summary) + notes(source, module: request.module) + flagNotes.map { "\nnote: \(oneLine($0))" }.joined()
    }

    /// `text` with its line breaks written as `\n`: the summary is one line
    /// per note, and a name from the file must not split one into two.
    static func oneLine(_ text: String) -> String {
        text.replacingOccurrences(of: "\n", with: "\\n")
    }

    /// The hints of the modules a request converts: `--module`'s, or every module's.
    static func convertedHints(_ source: ModelSource, module: String?) -> [(name: String, hints: ModuleHints)] {
        let wanted = module.map { ModulePath(parsing: $0).prefix }
        return source.hints.keys.sorted().filter { wanted == nil || $0 == wanted }.compactMap { name in
            source.hints[name].map { (name, $0) }
        }
    }

    /// Refuses a module the input masks (no target records a Keras mask)
    /// unless `--drop-mask` acknowledges it; returns the notes to print then.
    static func checkMasks(_ source: ModelSource, target: ConversionTarget, request: ConversionRequest) throws -> [String] {
        var notes: [String] = []
        for (name, hints) in convertedHints(source, module: request.module) {
            guard let mask = hints.inputMask else { continue }
            let module = ModulePath(name).description
            let what: String
            if case .refused(let reason) = mask.source { what = reason } else { what = "the \(mask.layer) masks its input" }
            guard request.dropMask else {
                throw ConversionError("\(request.input): module '\(module)': \(what); \(target.rawValue) files cannot record a Keras mask, "
                    + "so the converted module would compute other numbers. Pass --drop-mask to write the weights without it")
            }
            notes.append("module '\(module)': dropped: \(what) (--drop-mask); the converted file runs every step. For padding at the end, "
                + "run it with --lengths: the states and the unmasked steps then match Keras, and padded steps output zeros"
                + (mask.zeroOutput ? " as Keras does here" : " where Keras repeats the previous output"))
        }
        return notes
    }

    /// Refuses a module whose cell PyTorch's cannot compute (`CellVariant`):
    /// PyTorch names would describe another network.
    static func refuseVariants(_ source: ModelSource, target: ConversionTarget, request: ConversionRequest) throws {
        let tensors = try Rename.apply(request.renames, to: source.tensors)
        for module in Inspector.inspect(tensors).modules.map(source.recorded) where !module.architecture.variant.isPyTorch {
            guard request.module == nil || [module.name, module.displayName].contains(request.module) else { continue }
            let what = module.architecture.variantDifferences.first ?? "a cell other than PyTorch's"
            throw ConversionError("\(request.input): module '\(module.displayName)': \(what). \(target.rawValue) files hold PyTorch names, "
                + "which describe PyTorch's cell: refused (write .onnx\(KerasVariant.unsupportedReason(module.architecture) == nil ? " or .keras" : ""))")
        }
    }

    /// `--nonlinearity` / `--batch-first` for a container target, which
    /// records neither: accepted (with a note saying how to run the result)
    /// when the input file records the same, refused otherwise.
    static func unrecordedFlags(_ source: ModelSource, target: ConversionTarget, request: ConversionRequest) throws -> [String] {
        let hints = convertedHints(source, module: request.module).map(\.hints)
        var notes: [String] = []
        if let flag = request.nonlinearity {
            let recorded = Set(hints.compactMap(\.nonlinearity))
            guard recorded == [flag] else {
                throw ConversionError("\(request.input): --nonlinearity \(flag.rawValue): "
                    + (recorded.isEmpty ? "\(target.rawValue) files do not record a nonlinearity (it describes how to run a module); "
                        + "only .onnx and .keras output record it"
                        : "the file records nonlinearity \(recorded.map(\.rawValue).sorted().joined(separator: ", ")); a flag that contradicts it is refused"))
            }
            notes.append("\(target.rawValue) does not record the nonlinearity; run it with --nonlinearity \(flag.rawValue)")
        }
        if request.batchFirst {
            guard !hints.isEmpty, hints.allSatisfy({ $0.batchFirst == true }) else {
                throw ConversionError("\(request.input): --batch-first: \(target.rawValue) files do not record the batch layout "
                    + "(it describes how to run a module) and the input file does not record batch-major input; only .onnx output records it")
            }
            notes.append("\(target.rawValue) does not record batch_first; run it with --batch-first")
        }
        return notes
    }

    /// What the input's reader assumed (`ModuleHints.notes`), one `note:` line
    /// each, for the converted module or, without `--module`, every module.
    static func notes(_ source: ModelSource, module: String?) -> String {
        let wanted = module.map { ModulePath(parsing: $0).prefix }
        return source.hints.keys.sorted().filter { wanted == nil || $0 == wanted }
            .flatMap { source.hints[$0]?.notes ?? [] }
            .map { "\nnote: \(oneLine($0))" }.joined()
    }

    private static func writeONNX(_ tensors: [NamedTensor], source: ModelSource, request: ConversionRequest) throws -> String {
        let inspection = Inspector.inspect(tensors)
        let module = source.recorded(try inspection.selectModule(named: request.module))
        let problems = inspection.problems(of: module)
        if !problems.isEmpty {
            throw ConversionError("\(request.input): \(module.displayName) cannot be converted as it is: "
                + problems.map(\.description).joined(separator: "; "))
        }
        var options = ONNXExportOptions(
            batchFirst: request.batchFirst,
            nonlinearity: try agreedNonlinearity(request, source: source, module: module),
            dtype: request.dtype)
        options.storedState = source.hints[module.name]?.storedState
        options.lengths = source.hints[module.name]?.lengths
        let dtype = try ONNXExporter.check(module, options: options)
        try ONNXExporter.write(module, options: options, to: request.output, force: request.force)
        let activation = module.architecture.mode == .rnn ? ", \(options.nonlinearity.rawValue)" : ""
        return "wrote \(request.output): ONNX opset \(ONNXExporter.opsetVersion), \(ONNXExporter.describe(module.architecture))\(activation) "
            + "'\(module.displayName)' in \(dtype.rawValue), input \(options.batchFirst ? "(batch, sequence, features)" : "(sequence, batch, features)")"
            + ONNXExporter.storedSummary(options)
    }

    /// PyTorch names into a tensor container: the whole file, or one module's
    /// tensors with `--module`, converted to `--dtype` when given.
    private static func writeContainer(
        _ tensors: [NamedTensor], source: ModelSource, target: ConversionTarget, request: ConversionRequest
    ) throws -> String {
        var selected = tensors
        var scope = "all tensors"
        // A container's own <module>.h0/.c0/.lengths travel with its tensors; an ONNX or Keras file's are added.
        let carried = [ModelSource.onnxFormat, ModelSource.kerasFormat].contains(source.format)
        var modules = Inspector.inspect(tensors).modules.map(\.name)
        if let name = request.module {
            let module = try Inspector.inspect(tensors).selectModule(named: name)
            selected = tensors.filter {
                ParameterName.split($0.name)?.module == module.name || Converter.storedSuffixes.map { storedName(module.name, $0) }.contains($0.name)
            }
            scope = "module '\(module.displayName)'"
            modules = [module.name]
        }
        let stored = carried ? try storedTensors(source, modules: modules) : []
        selected += stored
        if let dtype = request.dtype {
            selected = try selected.map { named in
                guard named.tensor.dtype.isFloatingPoint else { return named }
                return NamedTensor(name: named.name, tensor: try named.tensor.convertedWhenWritten(to: dtype))
            }
        }
        let format: ContainerFormat
        switch target {
        case .safetensors: format = .safetensors
        case .npz: format = .npz
        case .hdf5: format = .hdf5
        default: format = .npy
        }
        if format != .safetensors, let bfloat = selected.first(where: { $0.tensor.dtype == .bfloat16 }) {
            throw ConversionError("\(request.output): \(target.rawValue) cannot hold bfloat16 ('\(bfloat.name)'; numpy and HDF5 have no such type): "
                + "write .safetensors, or pass --dtype float32 (exact) or --dtype float16")
        }
        let metadata = [ModelSource.onnxFormat, ModelSource.kerasFormat].contains(source.format) ? [:] : source.metadata
        try TensorFileWriter.write(selected, as: format, to: request.output, metadata: metadata, force: request.force)
        let dtypes = Set(selected.map(\.tensor.dtype.rawValue)).sorted().joined(separator: ", ")
        return "wrote \(request.output): \(target.rawValue), \(selected.count) tensors (\(scope)), \(dtypes)" + storedSummary(stored)
    }
}
