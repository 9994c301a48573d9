import Foundation
import RNNLayouts
import TensorFiles

extension Converter {
    /// One module into a `.keras` archive or a `.weights.h5` file.
    static func writeKeras(_ tensors: [NamedTensor], source: ModelSource, target: ConversionTarget, request: ConversionRequest) throws -> String {
        let inspection = Inspector.inspect(tensors)
        let module = try inspection.selectModule(named: request.module)
        let problems = inspection.problems(of: module)
        guard problems.isEmpty else {
            throw ConversionError("\(module.displayName) cannot be written to Keras as it is: " + problems.map(\.description).joined(separator: "; "))
        }
        let options = KerasExportOptions(
            nonlinearity: request.nonlinearity ?? source.hints[module.name]?.nonlinearity ?? .tanh, dtype: request.dtype)
        let description = target == .keras
            ? try KerasExporter.writeModel(module, options: options, to: request.output, force: request.force)
            : try KerasExporter.writeWeights(module, options: options, to: request.output, force: request.force)
        let what = target == .keras ? "Keras 3 model" : "Keras 3 weights for"
        return "wrote \(request.output): \(what) \(description.dropFirst("Keras 3 ".count)) from '\(module.displayName)'"
    }
}
