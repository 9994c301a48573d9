/// Why an ONNX model or a Keras file cannot be read as one
/// (`ConversionError.modelFile`): it does not decode, lacks what the format
/// must hold, or holds it in a form rnnkit does not read. Each case carries
/// the values concerned; the text lives in `description`.
public enum ModelFileProblem: Equatable, Sendable, CustomStringConvertible {
    // MARK: ONNX

    /// The protobuf does not decode as an ONNX model: the decoder's message.
    case onnxUndecodable(String)
    /// No LSTM, GRU or RNN operator in the graph or any subgraph; `operators`
    /// lists the graph's operators (sorted, at most 16).
    case noRecurrentOperator(operators: [String])
    /// A tensor stored in segments.
    case segmentedTensor
    /// A tensor's external data cannot be used.
    case externalData(ExternalDataProblem)

    // MARK: Keras

    /// A model config (Keras 3 `config.json`, Keras 2 `model_config`) whose
    /// model, of class `className`, has no list of layers.
    case noLayersList(className: String)
    /// A `.keras` archive without `model.weights.h5`: its weights are in
    /// `model.weights.npz` (`npz`) or sharded files.
    case kerasWeightsNotH5(npz: Bool)
    /// A `.keras` archive's `config.json` of `size` bytes inflated, over `limit`.
    case configTooLarge(size: Int, limit: Int)
    /// `config.json` is not valid JSON: the JSON parser's message.
    case configNotJSON(String)
    /// `config.json` is JSON but not an object.
    case configNotObject
    /// A Keras 2 file's `model_config` attribute is not a JSON object.
    case modelConfigNotObject
    /// Keras 2: `layer` lists `weight` in `weight_names`, but no such numeric dataset exists.
    case listedWeightMissing(layer: String, weight: String)

    /// Why an ONNX tensor's `data_location: EXTERNAL` is refused.
    public enum ExternalDataProblem: Equatable, Sendable {
        /// No `location` entry.
        case noLocation
        /// A `location` that is absolute or climbs with `..`.
        case outsideFolder(location: String)
        /// An `offset` or `length` that is not a non-negative integer (as written; nil: absent).
        case badRange(offset: String?, length: String?)
        /// The model's folder cannot be resolved.
        case unresolvableFolder
        /// A `location` whose real path (symbolic links resolved), `target`, is outside the model's folder.
        case leadsOutside(location: String, target: String)
        /// A `location` naming no file in the model's folder.
        case missing(location: String)
    }

    /// The problem, without file or tensor.
    public var description: String {
        switch self {
        case .onnxUndecodable(let message):
            return "an ONNX model that does not decode: \(message)"
        case .noRecurrentOperator(let operators):
            return "an ONNX model with no LSTM, GRU or RNN operator of the standard ONNX domain, in its graph or any subgraph (its operators: "
                + "\(operators.joined(separator: ", "))); rnnkit maps the standard recurrent operators back to PyTorch names, "
                + "not recurrences unrolled into MatMul/Add nodes"
        case .segmentedTensor:
            return "segmented tensors are not supported"
        case .externalData(let problem):
            return "external data: " + Self.text(problem)
        case .noLayersList(let className):
            return "the model (\(className)) has no layers list; rnnkit reads Sequential and Functional models"
        case .kerasWeightsNotH5(let npz):
            return "this .keras archive keeps its weights as \(npz ? "model.weights.npz" : "sharded files") "
                + "(weights_format other than h5); rnnkit reads model.weights.h5 only: re-save with model.save(path)"
        case .configTooLarge(let size, let limit):
            return "config.json is \(size) bytes inflated; rnnkit reads at most \(limit)"
        case .configNotJSON(let message):
            return "config.json is not valid JSON (\(message))"
        case .configNotObject:
            return "config.json is JSON but not an object"
        case .modelConfigNotObject:
            return "the model_config attribute is not a JSON object"
        case .listedWeightMissing(let layer, let weight):
            return "layer '\(layer)' lists the weight '\(weight)' in weight_names, but the file holds no such numeric dataset"
        }
    }

    private static func text(_ problem: ExternalDataProblem) -> String {
        switch problem {
        case .noLocation: return "no location given"
        case .outsideFolder(let location): return "location '\(location)' is outside the model's folder"
        case .badRange(let offset, let length):
            return "bad offset or length (offset \(offset ?? "absent"), length \(length ?? "absent"))"
        case .unresolvableFolder: return "cannot resolve the model's folder"
        case .leadsOutside(let location, let target): return "location '\(location)' leads outside the model's folder (to \(target))"
        case .missing(let location):
            return "its data is stored in '\(location)' beside the model, and there is no such file (copy it with the model)"
        }
    }
}
