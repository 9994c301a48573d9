import ArgumentParser
import Foundation
import RNNKit

/// `rnnkit run`: one forward pass of a module from a weight file.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an RNN/GRU/LSTM (or a cell over a sequence) from its weights and save output, h_n, c_n.",
        discussion: """
            Computes in the input's dtype (float32 or float64); weights of any float dtype are \
            converted. A module that a Keras dtype policy computes in float16 or bfloat16 \
            (mixed_float16, bfloat16, …) is refused unless --full-precision asks for float32. Writes an NPZ holding output, h_n and, for an LSTM, c_n in PyTorch's shapes. \
            The output is written atomically: on any error no file is left. \
            --batch-first / --no-batch-first default to what the file records (Keras models are \
            batch-major), else --no-batch-first; an ONNX file whose input layout cannot be traced \
            needs one of the two.

            EXAMPLES:
              rnnkit run weights.h5 --input x.npy --output out.npz
              rnnkit run model.safetensors --module encoder.lstm --input x.npy --output out.npz
              rnnkit run weights.npz --input x.npy --lengths lengths.npy --h0 h0.npy --c0 c0.npy --output out.npz
              rnnkit run weights/ --input x.npy --batch-first --nonlinearity relu --output out.npz --force
              rnnkit run cell.npz --rename W=weight_ih --rename U=weight_hh --input x.npy --output out.npz
              rnnkit run model.keras --input x_batch_major.npy --output out.npz
            """)

    @Argument(help: "The weight file: NPY, NPZ, HDF5, safetensors, PyTorch checkpoint, ONNX, Keras (.keras, .weights.h5), or a folder of .npy files.")
    var weights: String

    @Option(help: ArgumentHelp("The input, (T, B, input_size) or (B, T, input_size) with --batch-first.", valueName: "X.npy"))
    var input: String

    @Option(help: ArgumentHelp("Where to write output, h_n (and c_n).", valueName: "OUT.npz"))
    var output: String

    @OptionGroup
    var selection: ModuleOptions

    @Option(help: ArgumentHelp("Each sequence's length (int32/int64, shape (B,), any order); default: the lengths the file stores, else full.", valueName: "L.npy"))
    var lengths: String?

    @Option(name: .customLong("h0"), help: ArgumentHelp("Initial hidden state, (num_layers·directions, B, proj_size or hidden_size); default: the state the file stores, else zeros.", valueName: "H.npy"))
    var h0: String?

    @Option(name: .customLong("c0"), help: ArgumentHelp("Initial LSTM cell state, (num_layers·directions, B, hidden_size); default: the state the file stores, else zeros.", valueName: "C.npy"))
    var c0: String?

    @OptionGroup
    var layout: BatchLayoutOption

    @Option(help: "The activation of an nn.RNN / nn.RNNCell / SimpleRNN (default: what the file records; a state dict or .weights.h5 records none and needs it).")
    var nonlinearity: Nonlinearity?

    @OptionGroup
    var acceptance: AcceptanceOptions

    @OptionGroup
    var overwrite: OverwriteOption

    func run() throws {
        stopIdleBLASThreads()  // the packed path runs no OpenBLAS: its spinning workers would take the team's cores
        try reportingErrors {
            var request = RunRequest(
                weights: weights, module: selection.module, renames: try selection.parsedRenames(),
                input: input, lengths: lengths, h0: h0, c0: c0, batchFirst: layout.batchFirst, nonlinearity: nonlinearity)
            request.fullPrecision = acceptance.fullPrecision
            request.assumePyTorchForward = acceptance.assumePytorchForward
            // What the request decides on its own: which module reads the input's features.
            request.reportChoice = { printError("note: \($0): \($1.message(naming: flag))") }
            // What the file's reader assumed (inferred layers, default activations) or the file computes beyond the module.
            request.reportAssumption = { printError("note: \(noteText($0))") }
            try AtomicOutput.checkWritable(output, inputs: request.inputFiles, force: overwrite.force)
            let (module, result) = try request.execute(writingTo: output, force: overwrite.force)
            var arrays = [("output", result.outputShape), ("h_n", result.hN.shape)]
            if let cN = result.cN { arrays.append(("c_n", cN.shape)) }
            let listing = arrays.map { "\($0.0) \(shapeText($0.1))" }.joined(separator: ", ")
            print(escapingControlCharacters("\(output): \(listing) (\(module.architecture.mode.rawValue) \(module.architecture.kind.rawValue) '\(module.displayName)', \(result.outputDType.rawValue))"))
        }
    }
}
