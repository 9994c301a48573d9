import ArgumentParser
import RNNKit

/// The `rnnkit` command: inspect, run, verify and convert the files recurrent networks live in.
@main
struct RNNKitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rnnkit",
        abstract: "Inspect, run, verify and convert PyTorch RNN/LSTM/GRU weight files.",
        discussion: """
            Reads NPY, NPZ, directories of .npy files, HDF5, safetensors, PyTorch \
            checkpoints, TorchScript archives, exported programs (.pt2), ONNX models and \
            Keras 3 and Keras 2 files (.keras, .weights.h5, .h5), recognised by their bytes.

            Exit codes: 0 success, 1 verification mismatch or other failure, \
            2 bad input (unreadable file, wrong shapes, bad flags), 64 usage error.
            """,
        version: "0.1.0",
        subcommands: [InspectCommand.self, RunCommand.self, VerifyCommand.self, ConvertCommand.self, BenchCommand.self,
                      KerasKeysCommand.self, OperatorsCommand.self]
    )
}
