import Foundation
import RNNLayouts
import TensorFiles

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
    /// Write a module the input's framework computes below float32 (a Keras
    /// dtype policy `mixed_float16`, …) for computing in full precision.
    public var fullPrecision = false
    /// Write a module the input names code for that rnnkit cannot run (a
    /// PyTorch class of its own, hooks) for PyTorch's forward.
    public var assumePyTorchForward = false

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
    /// Converts `request.input` to `request.output` and returns what was written.
    ///
    /// - Throws: `ConversionError` when the target cannot hold what was
    ///   asked (before any file is created), `FileInputError` around a
    ///   `LayoutError` or `ModuleValidationError` of the input, `TensorFileError` when reading or writing fails.
    @discardableResult
    public static func convert(_ request: ConversionRequest) throws -> ConversionResult {
        let target = try FileFormat.forOutputPath(request.output)
        var request = request
        while request.output.count > 1, request.output.hasSuffix("/") { request.output.removeLast() }
        try AtomicOutput.checkWritable(
            request.output, inputs: [request.input], force: request.force, kind: target == .npyDirectory ? .npyFolder : .file)
        var source = try ModelSource.open(request.input)
        try source.refuseShard()
        var result: ConversionResult
        var flagNotes: [ConversionNote] = []
        do {
            try source.rename(request.renames)
            let tensors = source.tensors
            let masks = try checkMasks(source, target: target, request: request)
                + checkPrecision(source, target: target, request: request)
                + checkCode(source, target: target, request: request)
            switch target {
            case .onnx:
                result = try namingInput(request) { try writeONNX(tensors, source: source, request: request) }
            case .keras, .kerasWeights:
                result = try namingInput(request) { try writeKeras(tensors, source: source, target: target, request: request) }
            case .safetensors, .npz, .hdf5, .npyDirectory,
                 .npy, .pytorch, .pytorchLegacy, .torchScript, .pytorchExport, .shardedCheckpoint, .keras2Model, .keras2Weights:  // the writer refuses those forOutputPath never gives
                try refuseVariants(source, target: target, request: request)
                flagNotes = try unrecordedFlags(source, target: target, request: request)
                result = try writeContainer(tensors, source: source, target: target, request: request)
            }
            flagNotes += masks
        } catch let error as LayoutError {
            throw FileInputError(file: request.input, underlying: error)
        } catch let error as ModuleValidationError {
            throw FileInputError(file: request.input, underlying: error)
        }
        result.bytes = ConversionResult.diskBytes(request.output)
        result.notes = notes(source, module: request.module) + flagNotes
        return result
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
    static func checkMasks(_ source: ModelSource, target: FileFormat, request: ConversionRequest) throws -> [ConversionNote] {
        var notes: [ConversionNote] = []
        for (name, hints) in convertedHints(source, module: request.module) {
            guard let mask = hints.inputMask else { continue }
            let module = ModulePath(name)
            guard request.dropMask else {
                throw ConversionError.maskNotRecorded(file: request.input, module: module, mask: mask, target: target)
            }
            notes.append(.maskDropped(module: module, mask: mask))
        }
        return notes
    }

    /// Refuses a module the input's framework computes below float32 unless
    /// `--full-precision` asks for it; returns the notes to print then.
    static func checkPrecision(_ source: ModelSource, target: FileFormat, request: ConversionRequest) throws -> [ConversionNote] {
        try accepting(\.reducedPrecision, of: source, request: request, if: request.fullPrecision,
                      refusal: { .reducedPrecision(file: request.input, module: $0, precision: $1, target: target) },
                      note: { .precisionRaised(module: $0, precision: $1) })
    }

    /// Refuses a module the input names code for that rnnkit cannot run
    /// unless `--assume-pytorch-forward` asks for it; returns the notes to print then.
    static func checkCode(_ source: ModelSource, target: FileFormat, request: ConversionRequest) throws -> [ConversionNote] {
        try accepting(\.unrunCode, of: source, request: request, if: request.assumePyTorchForward,
                      refusal: { .unrunCode(file: request.input, module: $0, code: $1, target: target) },
                      note: { .pytorchForwardAssumed(module: $0, code: $1) })
    }

    /// For each converted module whose hints hold a `fact` the written file
    /// cannot reproduce: the refusal, unless `accepted`; then a note each.
    private static func accepting<Fact>(
        _ fact: KeyPath<ModuleHints, Fact?>, of source: ModelSource, request: ConversionRequest, if accepted: Bool,
        refusal: (ModulePath, Fact) -> ConversionError, note: (ModulePath, Fact) -> ConversionNote
    ) throws -> [ConversionNote] {
        try convertedHints(source, module: request.module).compactMap { name, hints in
            guard let found = hints[keyPath: fact] else { return nil }
            guard accepted else { throw refusal(ModulePath(name), found) }
            return note(ModulePath(name), found)
        }
    }

    /// Refuses a module whose cell PyTorch's cannot compute (`CellVariant`):
    /// PyTorch names would describe another network.
    static func refuseVariants(_ source: ModelSource, target: FileFormat, request: ConversionRequest) throws {
        for module in Inspector.inspect(source.tensors, unreadable: source.unreadable).modules.map(source.recorded) where !module.architecture.variant.isPyTorch {
            guard request.module == nil || [module.name, module.displayName].contains(request.module) else { continue }
            throw ConversionError.cellNotPyTorch(file: request.input, module: module.path, architecture: module.architecture, target: target,
                                                 kerasCanHold: module.architecture.fits(.keras))
        }
    }

    /// `--nonlinearity` / `--batch-first` for a container target, which
    /// records neither: accepted (with a note saying how to run the result)
    /// when the input file records the same, refused otherwise. An input that
    /// records batch-major input gets the note without the flag too.
    static func unrecordedFlags(_ source: ModelSource, target: FileFormat, request: ConversionRequest) throws -> [ConversionNote] {
        let hints = convertedHints(source, module: request.module).map(\.hints)
        var notes: [ConversionNote] = []
        if let flag = request.nonlinearity {
            let recorded = Set(hints.compactMap(\.nonlinearity))
            guard recorded == [flag] else {
                throw ConversionError.nonlinearityNotRecorded(
                    file: request.input, nonlinearity: flag, target: target, recorded: recorded.sorted { $0.rawValue < $1.rawValue })
            }
            notes.append(.nonlinearityNotRecorded(target: target, nonlinearity: flag))
        }
        if request.batchFirst {
            guard !hints.isEmpty, hints.allSatisfy({ $0.batchFirst == true }) else {
                throw ConversionError.batchFirstNotRecorded(file: request.input, target: target)
            }
            notes.append(.batchFirstNotRecorded(target: target))
        } else if hints.contains(where: { $0.batchFirst == true }) {
            // The input records batch-major input and the target cannot: a run of it needs the flag.
            notes.append(.batchFirstNotRecorded(target: target))
        }
        return notes
    }

    /// What the input's reader assumed (`ModuleHints.notes`) for the
    /// converted module or, without a module named, every module.
    static func notes(_ source: ModelSource, module: String?) -> [ConversionNote] {
        convertedHints(source, module: module).flatMap { name, hints in
            hints.notes.map { ConversionNote.input(module: ModulePath(name), $0) }
        }
    }

    private static func writeONNX(_ tensors: [NamedTensor], source: ModelSource, request: ConversionRequest) throws -> ConversionResult {
        // The module's problems are found once, by `ONNXExporter.check` (`ModuleValidationError`, named with the file by `convert`).
        let module = source.recorded(try Inspector.inspect(tensors, unreadable: source.unreadable).selectModule(named: request.module))
        var options = ONNXExportOptions(
            batchFirst: request.batchFirst,
            nonlinearity: try agreedNonlinearity(request, source: source, module: module, target: .onnx),
            dtype: request.dtype)
        options.storedState = source.hints[module.name]?.storedState
        options.lengths = source.hints[module.name]?.lengths
        try refuseOverflow(moduleTensors(module) + [("h0", options.storedState?.h0), ("c0", options.storedState?.c0)].compactMap { name, tensor in
            tensor.map { (module.path.qualify(name), $0) }
        }, request: request)
        let dtype = try ONNXExporter.check(module, options: options)
        try ONNXExporter.write(module, options: options, to: request.output, force: request.force)
        let activation = module.architecture.mode == .rnn ? ", \(options.nonlinearity.rawValue)" : ""
        let stored = ONNXExporter.storedDefaults(options)
        return ConversionResult(
            input: request.input, output: request.output, target: .onnx,
            contents: "ONNX opset \(ONNXExporter.opsetVersion), \(ONNXExporter.describe(module.architecture))\(activation) "
                + "'\(module.displayName)' in \(dtype.rawValue), input \(options.batchFirst ? "(batch, sequence, features)" : "(sequence, batch, features)")",
            modules: [module.path], tensorCount: module.architecture.parameterNames.count, bytes: 0, dtypes: [dtype],
            stored: stored.isEmpty ? nil : .onnxDefaults(stored), notes: [])
    }

    /// `body`, its refusal of what the target cannot hold named with the
    /// input file (the exporters know only the module).
    private static func namingInput<T>(_ request: ConversionRequest, _ body: () throws -> T) rethrows -> T {
        do {
            return try body()
        } catch let error as ConversionError {
            if case .targetCannotHold = error { throw ConversionError.inFile(file: request.input, error) }
            throw error
        }
    }

    /// Refuses a `--dtype` that would write a finite value of `tensors` as
    /// infinity (beyond the narrower type's range): a number the input does
    /// not hold, which nothing else would mention.
    static func refuseOverflow(_ tensors: [(name: String, tensor: Tensor)], request: ConversionRequest) throws {
        guard let dtype = request.dtype else { return }
        for (name, tensor) in tensors {
            if let (index, value) = try tensor.firstOverflow(narrowingTo: dtype) {
                throw ConversionError.narrowingOverflow(file: request.input, tensor: name, index: index, value: value, dtype: dtype)
            }
        }
    }

    /// The module's parameters (peepholes included) by their names in the file.
    static func moduleTensors(_ module: RNNModule) -> [(name: String, tensor: Tensor)] {
        module.parameters.sorted { $0.key.text < $1.key.text }.map { (module.qualifiedName(of: $0.key), $0.value) }
            + module.peepholes.slices.sorted { $0.key < $1.key }.map { (module.path.qualify("P.\($0.key)"), $0.value) }
    }

    /// PyTorch names into a tensor container: the whole file, or one module's
    /// tensors with `--module`, converted to `--dtype` when given.
    private static func writeContainer(
        _ tensors: [NamedTensor], source: ModelSource, target: FileFormat, request: ConversionRequest
    ) throws -> ConversionResult {
        var selected = tensors
        var scope = "all tensors"
        // A container's own <module>.h0/.c0/.lengths travel with its tensors; an ONNX or Keras file's are added.
        let carried = source.format.hasForeignLayout
        var modules = Inspector.inspect(tensors).modules.map(\.name)
        var unreadable = source.unreadable
        if let name = request.module {
            let module = try Inspector.inspect(tensors).selectModule(named: name)
            unreadable = unreadable.filter { ParameterName.split($0.name)?.module == module.name }
            selected = tensors.filter {
                ParameterName.split($0.name)?.module == module.name || Converter.storedSuffixes.map { storedName(module.name, $0) }.contains($0.name)
            }
            scope = "module '\(module.displayName)'"
            modules = [module.name]
        }
        guard unreadable.isEmpty else { throw ConversionError.unreadableTensors(file: request.input, unreadable) }
        let stored = carried ? try storedTensors(source, modules: modules) : []
        selected += stored
        try refuseOverflow(selected.map { ($0.name, $0.tensor) }, request: request)
        if let dtype = request.dtype {
            selected = try selected.map { named in
                guard named.tensor.dtype.isFloatingPoint else { return named }
                return NamedTensor(name: named.name, tensor: try named.tensor.convertedWhenWritten(to: dtype))
            }
        }
        if target != .safetensors, let bfloat = selected.first(where: { $0.tensor.dtype == .bfloat16 }) {
            throw ConversionError.dtypeNotWritable(file: request.output, target: target, dtype: .bfloat16, tensor: bfloat.name,
                                                   choices: [.float32, .float16])
        }
        let metadata = source.format.hasForeignLayout ? [:] : source.metadata
        try TensorFileWriter.write(selected, as: target, to: request.output, metadata: metadata, force: request.force)
        let dtypes = Set(selected.map(\.tensor.dtype)).sorted { $0.rawValue < $1.rawValue }
        return ConversionResult(
            input: request.input, output: request.output, target: target,
            contents: "\(target.displayName), \(selected.count) tensors (\(scope)), \(dtypes.map(\.rawValue).joined(separator: ", "))",
            modules: modules.map { ModulePath($0) }, tensorCount: selected.count, bytes: 0, dtypes: dtypes,
            stored: stored.isEmpty ? nil : .tensors(stored.map(\.name)), notes: [])
    }
}
