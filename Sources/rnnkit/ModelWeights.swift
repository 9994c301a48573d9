import RNNConvert
import RNNEngine

/// How `run` and `verify` open weight files: through `ModelSource`, so ONNX
/// and Keras files run like tensor containers, with the activation and batch
/// layout those files record.
enum ModelWeights {
    @Sendable static func open(_ path: String) throws -> WeightSource {
        let source = try ModelSource.open(path)
        return WeightSource(
            tensors: source.tensors,
            settings: source.hints.mapValues { hints in
                var settings = RunSettings(nonlinearity: hints.nonlinearity, batchFirst: hints.batchFirst, inputMask: hints.inputMask)
                settings.stored = StoredInputs(h0: hints.storedState?.h0, c0: hints.storedState?.c0, lengths: hints.lengths)
                settings.layoutUnknown = hints.layoutUnknown
                settings.variant = hints.variant
                settings.peepholes = hints.peepholes
                settings.assumptions = hints.notes.filter { $0.contains("activations assumed from") }
                return settings
            })
    }
}
