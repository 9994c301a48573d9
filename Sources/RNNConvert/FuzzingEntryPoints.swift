import Foundation
import TensorFiles

/// Entry points for the fuzz targets in `Fuzz/` (not part of the API): they
/// reach readers the public API only reaches through a whole import, so that
/// libFuzzer spends its time on them.
@_spi(Fuzzing)
public enum FuzzingEntryPoints {
    /// Parses `data` as an ONNX model saved at `file` and asks the constant
    /// evaluator for the value of every node output of its graph, ignoring
    /// the errors (refusals are the expected outcome).
    public static func evaluateONNXConstants(_ data: Data, file: String) {
        guard let model = ONNXImporter.parse(data) else { return }
        let opset = model.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }.map { Int($0.version) } ?? 1
        guard var evaluator = try? ONNXConstantEvaluator(graph: model.graph, file: file, opset: opset) else { return }
        for node in model.graph.node {
            for output in node.output where !output.isEmpty {
                if let tensor = try? evaluator.value(output) { _ = try? tensor.data() }
            }
        }
    }

    /// Reads `data` as a Keras `config.json`, ignoring the errors.
    public static func readKerasConfig(_ data: Data) {
        _ = try? KerasConfigReader.layers(data, file: "fuzz.keras")
    }
}
