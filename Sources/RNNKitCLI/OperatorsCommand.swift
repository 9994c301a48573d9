import ArgumentParser
import RNNKit

/// `rnnkit onnx-operators` (hidden): the one list of every ONNX LSTM/GRU/RNN
/// attribute and input rnnkit reads, knows to be harmless or refuses, as JSON,
/// for `Tests/Interop/check_onnx.py` to compare with `onnx.defs`.
struct OperatorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "onnx-operators",
        abstract: "Print the ONNX LSTM/GRU/RNN attributes and inputs rnnkit knows, as JSON.",
        shouldDisplay: false)

    func run() throws {
        print(try jsonText(ONNXOperatorTable.entries))
    }
}
