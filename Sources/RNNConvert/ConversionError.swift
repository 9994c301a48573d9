import RNNLayouts
import TensorFiles

/// A conversion rnnkit refuses (the target cannot hold the model, an option
/// does not fit it) or a model whose layout cannot be mapped to PyTorch's.
/// Each case carries the file, module, tensor and values concerned; the text
/// lives in `message(naming:)` alone. The CLI exits with status 2.
public enum ConversionError: OptionNamingError, Equatable, Sendable {
    // MARK: The request

    /// The input masks `module`'s input (a Keras `Masking`, …), which no
    /// target records; `mask` says how. Resolved by `RequestOption.dropMask`.
    case maskNotRecorded(file: String, module: ModulePath, mask: InputMask, target: FileFormat)
    /// The input's framework computes `module` below float32 (`precision`),
    /// which no target rnnkit writes reproduces. Resolved by `RequestOption.fullPrecision`.
    case reducedPrecision(file: String, module: ModulePath, precision: ReducedPrecision, target: FileFormat)
    /// The input names code for `module` that rnnkit cannot run (a PyTorch
    /// class of its own, hooks). Resolved by `RequestOption.assumePyTorchForward`.
    case unrunCode(file: String, module: ModulePath, code: UnrunModuleCode, target: FileFormat)
    /// `module`'s cell is not PyTorch's (`architecture.variantDifferences`
    /// say how) and the target holds PyTorch names; `kerasCanHold` when `.keras` could.
    case cellNotPyTorch(file: String, module: ModulePath, architecture: RNNArchitecture, target: FileFormat, kerasCanHold: Bool)
    /// A nonlinearity asked for a container target, which does not record
    /// one, while the input records `recorded` (empty: nothing).
    case nonlinearityNotRecorded(file: String, nonlinearity: Nonlinearity, target: FileFormat, recorded: [Nonlinearity])
    /// Batch-first asked for a container target, which does not record it,
    /// while the input does not record batch-major input.
    case batchFirstNotRecorded(file: String, target: FileFormat)
    /// The nonlinearity asked for contradicts the one the input records.
    case nonlinearityContradictsFile(file: String, nonlinearity: Nonlinearity, recorded: Nonlinearity, module: ModulePath)
    /// `module` is an Elman RNN whose nonlinearity the input does not record
    /// (a state dict, a Keras `.weights.h5`) and none was given: the
    /// target's model (ONNX, Keras) would hold a guess.
    case nonlinearityUnknown(file: String, module: ModulePath, target: FileFormat)
    /// The input holds recurrent parameters its reader could not read
    /// (`ModuleProblem.unreadableTensor`); a container written without them
    /// would describe another module.
    case unreadableTensors(file: String, [UnreadableTensor])
    /// The input stores an initial state and/or lengths for `module`, which
    /// a Keras layer cannot hold.
    case storedInputsForKeras(output: String, input: String, module: ModulePath, state: Bool, lengths: Bool)

    // MARK: Writing

    /// `target` (ONNX, Keras) cannot hold what `module` computes: `limitation` says what.
    case targetCannotHold(module: ModulePath, target: FileFormat, TargetLimitation)
    /// `error`, about the file `file` (the input of a conversion), which it does not name itself.
    indirect case inFile(file: String, ConversionError)
    /// A parameter the module needs is not there.
    case missingParameter(name: String, expected: [Int]?)
    /// The peephole weights of an LSTM layer are missing.
    case missingPeepholes(module: ModulePath, layer: Int)
    /// A parameter holds `count` values, not what the target's layout needs (`expected`).
    case parameterElementCount(name: String, count: Int, expected: ElementCount)
    /// `target` cannot hold `dtype` (in `tensor` of `file`, when known);
    /// `choices` are the element types it holds.
    case dtypeNotWritable(file: String?, target: FileFormat, dtype: DType, tensor: String?, choices: [DType])
    /// `--dtype` narrows `tensor` of `file`, whose element `index` holds
    /// `value`, a finite number beyond `dtype`'s range: it would be written
    /// as infinity.
    case narrowingOverflow(file: String, tensor: String, index: Int, value: Double, dtype: DType)
    /// A stored initial state (`state`: `h0`, `c0`) whose shape does not fit
    /// the module of `architecture`: `(num_layers·directions, batch, hidden)`,
    /// `c0` for an LSTM only.
    case storedStateShape(module: ModulePath, state: String, shape: [Int], architecture: RNNArchitecture)
    /// Stored lengths too large for ONNX's int32 `sequence_lens`.
    case lengthsTooLarge(module: ModulePath, lengths: [Int])
    /// The weights need more bytes than an ONNX protobuf file holds.
    case tooLarge(module: ModulePath, bytes: Int)

    // MARK: Reading a model

    /// An ONNX model or Keras file that cannot be read as one; `tensor`
    /// names the tensor, weight or member concerned, if any.
    case modelFile(file: String, tensor: String?, ModelFileProblem)
    /// A Keras 1 file (rnnkit reads Keras 2 and later).
    case keras1(file: String, version: String)
    /// A Keras 3 model saved in the legacy HDF5 format (`model.save("m.h5")`):
    /// a Keras 3 config in Keras 2's container.
    case keras3LegacyHDF5(file: String, version: String)
    /// A Keras layer rnnkit cannot map to a PyTorch module, each reason named.
    case refusedLayer(file: String, layer: String, className: String?, reasons: [LayerRefusal])
    /// A Keras 2 layer whose listed variables do not fit its class.
    case layerVariables(file: String, layer: String, className: String, problem: Keras2VariableProblem, variables: [String])
    /// An ONNX node rnnkit cannot map to a PyTorch module.
    case refusedNode(file: String, node: String, reason: NodeRefusal)
    /// An ONNX node that cannot be one more layer of the module before it.
    case layersDiffer(file: String, module: ModulePath, node: String, layer: Int, differences: [StackDifference])
    /// The layers of one module read different `sequence_lens`.
    case lengthsDiffer(file: String, module: ModulePath)
    /// The layers' stored `role` (initial_h, initial_c) have different batches.
    case stateBatches(file: String, role: String, module: ModulePath, batches: [Int])
    /// Stored values of `count` entries for a batch the graph reorders over `entries`.
    case batchReorder(what: StoredValues, count: Int, entries: Int)
    /// The input `role` (`input`) of ONNX `node` cannot be read: `error`.
    indirect case nodeInput(file: String, node: String, role: String, input: String, ConversionError)
    /// A value of an ONNX graph rnnkit cannot compute from stored data.
    case graph(GraphProblem)
    /// `error`, which happened in `module` of `file`.
    indirect case inModule(file: String, module: ModulePath, ConversionError)

    /// The number of values a parameter should hold (`parameterElementCount`).
    public enum ElementCount: Equatable, Sendable, CustomStringConvertible {
        /// As many as `shape` holds.
        case shape([Int])
        /// A multiple of `blocks`: that many equal gate blocks.
        case equalBlocks(Int)

        /// `shape (4, 5)`, `3 equal gate blocks`.
        public var description: String {
            switch self {
            case .shape(let shape): return "shape \(shapeText(shape))"
            case .equalBlocks(let blocks): return "\(blocks) equal gate blocks"
            }
        }
    }

    /// The stored values `batchReorder` is about, as messages name them.
    public enum StoredValues: String, Equatable, Sendable {
        case lengths = "sequence_lens"
        case state = "a stored state"
    }

    /// The message, each option named by `name`.
    public func message(naming name: (RequestOption) -> String) -> String {
        switch self {
        case .maskNotRecorded(let file, let module, let mask, let target):
            return "\(file): module '\(module)': \(mask.cause); \(target.displayName) files cannot record a Keras mask, "
                + "so the converted module would compute other numbers. Pass \(name(.dropMask)) to write the weights without it"
        case .unrunCode(let file, let module, let code, _):
            return "\(file): module '\(module)': \(code.summary); a converted file holds the weights for PyTorch's forward, "
                + "so it could compute other numbers. Pass \(name(.assumePyTorchForward)) to convert it for PyTorch's forward"
        case .reducedPrecision(let file, let module, let precision, _):
            return "\(file): module '\(module)': \(precision.summary), and rnnkit converts for computing in float32 or float64, "
                + "so the converted module would compute other numbers. Pass \(name(.fullPrecision)) to convert it for full precision"
        case .cellNotPyTorch(let file, let module, let architecture, let target, let kerasCanHold):
            let difference = architecture.variantDifferences.first ?? "a cell other than PyTorch's"
            return "\(file): module '\(module)': \(difference). \(target.displayName) files hold PyTorch names, "
                + "which describe PyTorch's cell: refused (write .onnx\(kerasCanHold ? " or .keras" : ""))"
        case .nonlinearityNotRecorded(let file, let nonlinearity, let target, let recorded):
            return "\(file): \(name(.nonlinearity)) \(nonlinearity.rawValue): "
                + (recorded.isEmpty
                    ? "\(target.displayName) files do not record a nonlinearity (it describes how to run a module); only .onnx and .keras output record it"
                    : "the file records nonlinearity \(recorded.map(\.rawValue).sorted().joined(separator: ", ")); a flag that contradicts it is refused")
        case .batchFirstNotRecorded(let file, let target):
            return "\(file): \(name(.batchFirst)): \(target.displayName) files do not record the batch layout "
                + "(it describes how to run a module) and the input file does not record batch-major input; only .onnx output records it"
        case .unreadableTensors(let file, let tensors):
            let first = tensors[0]
            let more = tensors.count > 1 ? " (and \(tensors.count - 1) more)" : ""
            return "\(file): \(first.name)\(more): in the file, but rnnkit cannot read it (\(first.why)); "
                + "the converted file would lack it and describe another module"
        case .nonlinearityContradictsFile(let file, let nonlinearity, let recorded, let module):
            return "\(file): \(name(.nonlinearity)) \(nonlinearity.rawValue) contradicts the file, which records "
                + "nonlinearity \(recorded.rawValue) for '\(module)'"
        case .nonlinearityUnknown(let file, let module, let target):
            return "\(file): '\(module)' is an Elman RNN, and the file does not record its nonlinearity, tanh or relu, "
                + "which writing \(target.displayName) needs: pass \(name(.nonlinearity)) tanh or \(name(.nonlinearity)) relu, "
                + "the one the model was trained with"
        case .storedInputsForKeras(let output, let input, let module, let state, let lengths):
            let what = [state ? "an initial state" : nil, lengths ? "sequence lengths" : nil].compactMap { $0 }.joined(separator: " and ")
            return "\(input): stores \(what) for \(module), which a Keras recurrent layer (\(output)) cannot hold "
                + "(Keras always starts from zeros over full sequences); convert to .onnx or a PyTorch-name container instead, which keep it"
        case .targetCannotHold(let module, let target, let limitation):
            return "\(module): cannot write \(target.displayName): \(limitation)"
        case .missingParameter(let parameter, let expected?):
            return "\(parameter) is missing (expected shape \(shapeText(expected))); `rnnkit inspect` lists what the module lacks"
        case .missingParameter(let parameter, nil):
            return "\(parameter) is missing"
        case .parameterElementCount(let parameter, let count, let expected):
            return "\(parameter) holds \(count) values; expected \(expected)"
        case .missingPeepholes(let module, let layer):
            return "\(module): the peephole weights of layer \(layer) are missing"
        case .dtypeNotWritable(let file, let target, let dtype, let tensor, let choices):
            let place = file.map { "\($0): " } ?? ""
            let which = tensor.map { " ('\($0)')" } ?? ""
            let exact = choices.contains(.float32) ? "float32 (exact)" : nil
            let others = choices.filter { $0 != .float32 }.map(\.rawValue)
            let options = ([exact].compactMap { $0 } + others).joined(separator: ", ")
            return "\(place)\(target.displayName) cannot hold \(dtype.rawValue)\(which); pass \(name(.dtype)) with one of \(options)"
        case .narrowingOverflow(let file, let tensor, let index, let value, let dtype):
            let largest = dtype.largestFinite.map { ", whose largest finite value is \(Float($0))" } ?? ""
            return "\(file): tensor '\(tensor)' holds \(value) (element \(index)), beyond the range of \(dtype.rawValue)\(largest): "
                + "\(name(.dtype)) \(dtype.rawValue) would write it as infinity; keep the input's dtype or choose a wider one"
        case .storedStateShape(let module, let state, let shape, let architecture):
            return "\(module): the stored \(state) has shape \(shapeText(shape)); expected "
                + "(\(architecture.numLayers * architecture.directions), batch, \(architecture.hiddenSize)) for \(ONNXExporter.describe(architecture))"
        case .lengthsTooLarge(let module, let lengths):
            return "\(module): stored lengths \(lengths.prefix(8)) do not fit ONNX's int32 sequence_lens"
        case .tooLarge(let module, let bytes):
            return "\(module) needs \(bytes) bytes of weights; an ONNX protobuf file holds at most 2 GiB"
        case .modelFile(let file, let tensor, let problem):
            return "\(file): \(tensor.map { "tensor '\($0)': " } ?? "")\(problem)"
        case .keras1(let file, let version):
            return "\(file): a Keras \(version) file: Keras 1 keeps each gate's weights apart (W_i, U_i, …); rnnkit reads Keras 2 and later"
        case .keras3LegacyHDF5(let file, let version):
            return "\(file): a Keras \(version) model saved in the legacy HDF5 format: its config is Keras 3's (its keys, "
                + "hard_sigmoid and masks are not Keras 2's), which rnnkit reads from .keras archives; save it with "
                + "model.save('model.keras')"
        case .refusedLayer(let file, let layer, let className, let reasons):
            return "\(file): layer '\(layer)'\(className.map { " (\($0))" } ?? ""): " + reasons.map(\.description).joined(separator: "; ")
        case .layerVariables(let file, let layer, let className, let problem, let variables):
            return "\(file): layer '\(layer)' (\(className)): \(problem); weight_names: " + variables.joined(separator: ", ")
        case .refusedNode(let file, let node, let reason):
            return "\(file): \(node): \(reason)"
        case .layersDiffer(let file, let module, let node, let layer, let differences):
            return "\(file): \(Self.graphText(module)): node '\(node)' cannot be layer \(layer) of one PyTorch module: "
                + differences.map(\.description).joined(separator: "; ")
        case .lengthsDiffer(let file, let module):
            return "\(file): \(Self.graphText(module)): its layers read different sequence_lens (or only some read one); PyTorch's packed sequences give every layer the same lengths"
        case .stateBatches(let file, let role, let module, let batches):
            return "\(file): \(role) of the layers of \(Self.graphText(module)) "
                + "has batch \(batches.map(String.init).joined(separator: " and ")); they cannot form one initial state"
        case .batchReorder(let what, let count, let entries):
            return "\(what.rawValue) holds \(count) entries but the batch is reordered over \(entries) entries"
        case .nodeInput(let file, let node, let role, let input, let error):
            return "\(file): \(node): cannot read \(role) ('\(input)'): \(error.message(naming: name))"
        case .graph(let problem):
            return problem.description
        case .inFile(let file, let error):
            return "\(file): \(error.message(naming: name))"
        case .inModule(let file, let module, let error):
            return "\(file): \(Self.graphText(module)): \(error.message(naming: name))"
        }
    }

    /// A module of a model read back (ONNX): `the root module`, `module 'encoder'`.
    private static func graphText(_ module: ModulePath) -> String {
        module.isRoot ? "the root module" : "module '\(module.prefix)'"
    }
}
