import ArgumentParser
import RNNKit

/// `rnnkit keras-keys` (hidden): prints `KerasConfigKeys` as JSON, the list
/// of Keras config keys and upstream layer classes rnnkit reads or knows to
/// be harmless, for `Tests/Interop/check_keras.py` to check against Keras.
struct KerasKeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keras-keys",
        abstract: "Print the Keras config keys and upstream layers rnnkit knows, as JSON (for the interop test).",
        shouldDisplay: false)

    func run() throws {
        print(try jsonText(KerasKeysTable()))
    }
}

/// `rnnkit keras-keys`' JSON: `{"recurrent": {class: {key: role}}, "upstream": {class: kind}}`.
private struct KerasKeysTable: Encodable {
    var recurrent = KerasConfigKeys.recurrentLayers
    var upstream = KerasConfigKeys.upstreamLayers
}
