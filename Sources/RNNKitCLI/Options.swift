import ArgumentParser
import RNNKit

// Every closed set of values a flag takes is an enum: a value outside it is a
// usage error (exit 64) in every command, and `--help` lists the values.

extension Nonlinearity: ExpressibleByArgument {
    /// `tanh` or `relu`, in any case.
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}

extension RNNMode: ExpressibleByArgument {
    /// `LSTM`, `GRU` or `RNN`, in any case.
    public init?(argument: String) { self.init(rawValue: argument.uppercased()) }
}

extension ExecutionOptions.Kernels: ExpressibleByArgument {}

extension ExecutionOptions.GEMM: ExpressibleByArgument {}

extension ComputeType: ExpressibleByArgument {}

/// The element types `convert --dtype` writes (numpy's names, or `f16`,
/// `half`, `bf16`, `double`, … as `DType(userName:)` reads them).
enum WrittenDType: String, CaseIterable, ExpressibleByArgument {
    case float32, float16, bfloat16, float64

    init?(argument: String) {
        guard let dtype = DType(userName: argument), let written = Self(rawValue: dtype.rawValue) else { return nil }
        self = written
    }

    /// The tensor element type.
    var dtype: DType {
        switch self {
        case .float32: return .float32
        case .float16: return .float16
        case .bfloat16: return .bfloat16
        case .float64: return .float64
        }
    }
}

/// `--module` and `--rename`: which module of a weight file, under which names.
struct ModuleOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The module to use when the file holds several (the error lists them); '(root)' for the root.", valueName: "name"))
    var module: String?

    @Option(name: .customLong("rename"), help: ArgumentHelp(
        "Rename a tensor of the file before anything else (repeatable), e.g. enc_w_ih=enc.weight_ih_l0.", valueName: "OLD=NEW"))
    var renames: [String] = []

    /// The renames, parsed.
    func parsedRenames() throws -> [Rename] { try renames.map(Rename.init(parsing:)) }
}

/// `--force`: an existing output may be replaced (an input never).
struct OverwriteOption: ParsableArguments {
    @Flag(help: "Replace the output file if it exists (never an input).")
    var force = false
}

/// What a file records that rnnkit cannot compute as recorded, accepted
/// all the same: without these flags such a module is refused.
/// `--full-precision`: a module its framework computes below float32 (a
/// Keras dtype policy `mixed_float16`, `bfloat16`, …) is run or converted
/// for float32/float64. `--assume-pytorch-forward`: a PyTorch module whose
/// file names code rnnkit cannot run (a class of its own, hooks) is run or
/// converted with PyTorch's forward for its weights.
struct AcceptanceOptions: ParsableArguments {
    @Flag(help: ArgumentHelp(
        "Compute (or convert for computing) in float32/float64 a module that its Keras dtype policy (mixed_float16, bfloat16, …) or a saved PyTorch module (torch.save(model), TorchScript, .pt2, on float16/bfloat16 weights) computes in float16 or bfloat16; without it such a module is refused, as rnnkit's numbers would differ from the framework's by the rounding."))
    var fullPrecision = false

    @Flag(help: ArgumentHelp(
        "Run (or convert) with PyTorch's forward a module whose .pt file names code rnnkit cannot run: a class of its own (a subclass of nn.LSTM, a custom module) or hooks; without it such a module is refused."))
    var assumePytorchForward = false
}

/// `--batch-first` / `--no-batch-first`: whether sequences are (B, T, …).
struct BatchLayoutOption: ParsableArguments {
    @Flag(inversion: .prefixedNo, help: ArgumentHelp(
        "Sequences are (B, T, …), as nn.*(batch_first=True); states keep the layer dimension first."))
    var batchFirst: Bool?
}
