import ArgumentParser
import RNNKit

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a recurrent model to ONNX or Keras 3, or to another container or dtype.",
        discussion: """
            The target is chosen by OUT's suffix (.weights.h5 before .h5):
              .onnx          one ONNX model (opset 17) running the module with the standard
                             LSTM/GRU/RNN operators: input `input` (T,B,F) or (B,T,F) with
                             --batch-first; optional inputs `sequence_lens` (int32), `h0`, `c0`;
                             outputs `output`, `h_n`, `c_n` in PyTorch's shapes.
              .keras         a Keras 3 Sequential, input (batch, time, features):
                             one LSTM / GRU(reset_after=True) / SimpleRNN per
                             layer, return_sequences=True, in Bidirectional
                             (merge_mode="concat") when bidirectional.
              .weights.h5    the same weights alone (Keras 3's weights file).
              .safetensors, .npz, .h5, a path without suffix (directory of .npy)
                             the tensors with PyTorch names, any dtype with --dtype.

            IN may be any file rnnkit reads, including an ONNX model or a Keras 3
            .keras or .weights.h5 file, read back into PyTorch names bit for bit
            (Keras merges LSTM/SimpleRNN biases: bias_ih comes back as the sum,
            bias_hh as 0). What the target cannot hold (an LSTM with proj_size in
            ONNX or Keras) is refused before anything is written, and so is a module
            that a Keras file masks (Masking, Embedding(mask_zero=True)) unless
            --drop-mask acknowledges that the mask is not written, and a module that a
            Keras dtype policy computes in float16/bfloat16 (mixed_float16, …) unless
            --full-precision accepts converting it for float32. --nonlinearity and
            --batch-first are accepted for a container target (which records neither)
            only when IN records the same, with a note. OUT is written atomically; an
            existing OUT is replaced only with --force, and IN never.

            Examples:
              rnnkit convert lstm.safetensors lstm.onnx
              rnnkit convert model.pt encoder.onnx --module encoder.rnn --batch-first
              rnnkit convert rnn.npz rnn.onnx --nonlinearity relu
              rnnkit convert exported.onnx weights.safetensors
              rnnkit convert model.h5 model_f16.safetensors --dtype float16
              rnnkit convert model.pt gru_only.npz --module decoder.gru --force
              rnnkit convert lstm.safetensors lstm.keras
              rnnkit convert model.pt encoder.weights.h5 --module encoder.lstm
              rnnkit convert keras_model.keras weights.safetensors
              rnnkit convert model.pt weights_npy      (a directory of .npy files)
            """
    )

    @Argument(help: "The model to read (NPY, NPZ, HDF5, safetensors, PyTorch checkpoint, directory of .npy, ONNX, .keras, .weights.h5).")
    var input: String

    @Argument(help: "The file to write; its suffix chooses the target.")
    var output: String

    @OptionGroup
    var selection: ModuleOptions

    @Option(help: "RNN activation (default: what IN records; writing an RNN from a state dict or .weights.h5 to .onnx or Keras needs it).")
    var nonlinearity: Nonlinearity?

    @Option(help: "Element type to write (default: the weights' own).")
    var dtype: WrittenDType?

    @OptionGroup
    var overwrite: OverwriteOption

    @OptionGroup
    var layout: BatchLayoutOption

    @Flag(help: "Print what was written as JSON.")
    var json = false

    @Flag(help: "Write a module the input masks (Keras Masking, Embedding(mask_zero=True)) without its mask, which no target records.")
    var dropMask = false

    @OptionGroup
    var acceptance: AcceptanceOptions

    func run() throws {
        stopIdleBLASThreads()  // a conversion runs no BLAS: its spinning workers would only take CPU
        try reportingErrors {
            var request = ConversionRequest(
                input: input, output: output, module: selection.module, nonlinearity: nonlinearity, dtype: dtype?.dtype,
                renames: try selection.parsedRenames(), force: overwrite.force, batchFirst: layout.batchFirst ?? false)
            request.dropMask = dropMask
            request.fullPrecision = acceptance.fullPrecision
            request.assumePyTorchForward = acceptance.assumePytorchForward
            let result = try Converter.convert(request)
            print(json ? try jsonText(result) : printableText(conversionLines(result)), terminator: "")
        }
    }
}

/// What `convert` prints: one line saying what was written, then a
/// `note:` line per note. A name from the file with a line break in it
/// is written `\n`, so that it cannot split a line in two.
func conversionLines(_ result: ConversionResult) -> [String] {
    func oneLine(_ text: String) -> String { text.replacingOccurrences(of: "\n", with: "\\n") }
    var summary = "wrote \(result.output): \(result.contents)"
    switch result.stored {
    case .onnxDefaults(let inputs)?:
        summary += "; the stored " + inputs.joined(separator: ", ") + " written as the inputs' defaults"
    case .tensors(let names)?:
        summary += "; the stored initial state/lengths written as " + names.map { "'\($0)'" }.joined(separator: ", ")
            + " (run uses them as the defaults of \(flag(.h0))/\(flag(.c0))/\(flag(.lengths)))"
    case nil:
        break
    }
    return [oneLine(summary)] + result.notes.map { "note: " + oneLine(noteText($0)) }
}
