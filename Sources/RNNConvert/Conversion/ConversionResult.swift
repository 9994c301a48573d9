import Foundation
import RNNLayouts
import TensorFiles

/// What `Converter.convert` wrote: the facts a caller prints or checks,
/// with the notes on how to run the result as typed values.
public struct ConversionResult: Sendable, Equatable {
    /// The file read.
    public var input: String
    /// The file (or folder of `.npy` files) written.
    public var output: String
    /// The kind of file written.
    public var target: FileFormat
    /// What the output holds, in one phrase: `ONNX opset 17, nn.LSTM(5, 8) 'encoder' in float32, input (sequence, batch, features)`.
    public var contents: String
    /// The modules converted.
    public var modules: [ModulePath]
    /// The number of tensors written (weights, and stored states or lengths).
    public var tensorCount: Int
    /// The bytes the output takes on disk (all files of a folder).
    public var bytes: Int
    /// The element types written.
    public var dtypes: [DType]
    /// What the input stores besides weights (an initial state, lengths) and
    /// how the output keeps it: ONNX inputs' defaults (`h0 (2, 1, 8)`), or
    /// extra tensors' names in a container.
    public var stored: StoredInputs?
    /// What the caller should know about running the output.
    public var notes: [ConversionNote]

    /// How stored inputs travel into the output.
    public enum StoredInputs: Sendable, Equatable {
        /// The defaults of the ONNX model's inputs, each `name shape-or-values`.
        case onnxDefaults([String])
        /// Extra tensors beside the weights, by name.
        case tensors([String])
    }

    /// The bytes `path` takes: a file's size, or the sum over a folder's files.
    static func diskBytes(_ path: String) -> Int {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return 0 }
        func size(_ file: String) -> Int {
            ((try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? NSNumber)?.intValue ?? 0
        }
        guard isFolder.boolValue else { return size(path) }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return entries.reduce(0) { $0 + size((path as NSString).appendingPathComponent($1)) }
    }
}

/// A note on a conversion: something the output does not record, or
/// something the input's reader assumed. The text lives in
/// `message(naming:)`; the CLI names the options by their flags.
public enum ConversionNote: Sendable, Equatable, CustomStringConvertible {
    /// The input masks `module` (`mask` says how) and the mask was dropped as asked.
    case maskDropped(module: ModulePath, mask: InputMask)
    /// The input's framework computes `module` below float32 (`precision`);
    /// it was written for full precision as asked.
    case precisionRaised(module: ModulePath, precision: ReducedPrecision)
    /// The input names code for `module` that rnnkit cannot run (`code`);
    /// its weights were written for PyTorch's forward as asked.
    case pytorchForwardAssumed(module: ModulePath, code: UnrunModuleCode)
    /// The target does not record the nonlinearity given; run the output with it.
    case nonlinearityNotRecorded(target: FileFormat, nonlinearity: Nonlinearity)
    /// The target does not record batch-major input; run the output with batch-first.
    case batchFirstNotRecorded(target: FileFormat)
    /// What the input's reader noted about `module`.
    case input(module: ModulePath, ModuleNote)

    /// The note, each option named by `name`.
    public func message(naming name: (RequestOption) -> String) -> String {
        switch self {
        case .maskDropped(let module, let mask):
            return "module '\(module)': dropped: \(mask.cause) (\(name(.dropMask))); the converted file runs every step. For padding at the end, "
                + "run it with \(name(.lengths)): the states and the unmasked steps then match Keras, and padded steps output zeros"
                + (mask.zeroOutput ? " as Keras does here" : " where Keras repeats the previous output")
        case .precisionRaised(let module, let precision):
            return "module '\(module)': \(precision.summary); written for full precision as asked (\(name(.fullPrecision))): "
                + "the converted file computes other numbers than the input's framework, by \(precision.compute?.rawValue ?? "its") rounding"
        case .pytorchForwardAssumed(let module, let code):
            return "module '\(module)': \(code.summary); written for PyTorch's forward as asked (\(name(.assumePyTorchForward)))"
        case .nonlinearityNotRecorded(let target, let nonlinearity):
            return "\(target.displayName) does not record the nonlinearity; run it with \(name(.nonlinearity)) \(nonlinearity.rawValue)"
        case .batchFirstNotRecorded(let target):
            return "\(target.displayName) does not record batch_first; run it with \(name(.batchFirst))"
        case .input(_, let note):
            return note.message(naming: name)
        }
    }

    /// The note with each option named in words.
    public var description: String { message(naming: { "the \($0.phrase) option" }) }
}
