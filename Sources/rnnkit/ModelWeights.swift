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
            settings: source.hints.mapValues {
                var settings = RunSettings(nonlinearity: $0.nonlinearity, batchFirst: $0.batchFirst, inputMask: $0.inputMask)
                settings.variant = $0.variant
                settings.peepholes = $0.peepholes
                return settings
            })
    }
}
