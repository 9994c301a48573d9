import Foundation
import RNNLayouts
import TensorFiles

extension Converter {
    /// One module into a `.keras` archive or a `.weights.h5` file.
    static func writeKeras(_ tensors: [NamedTensor], source: ModelSource, target: FileFormat, request: ConversionRequest) throws -> String {
        let inspection = Inspector.inspect(tensors)
        let module = source.recorded(try inspection.selectModule(named: request.module))
        let problems = inspection.problems(of: module)
        guard problems.isEmpty else {
            throw ConversionError("\(request.input): \(module.displayName) cannot be written to Keras as it is: " + problems.map(\.description).joined(separator: "; "))
        }
        try refuseStoredForKeras(source, module: module, output: request.output)
        let options = KerasExportOptions(
            nonlinearity: try agreedNonlinearity(request, source: source, module: module), dtype: request.dtype)
        let description = target == .keras
            ? try KerasExporter.writeModel(module, options: options, to: request.output, force: request.force)
            : try KerasExporter.writeWeights(module, options: options, to: request.output, force: request.force)
        let what = target == .keras ? "Keras 3 model" : "Keras 3 weights for"
        return "wrote \(request.output): \(what) \(description.dropFirst("Keras 3 ".count)) from '\(module.displayName)'"
    }

    /// The activation to write: `--nonlinearity`, else what the input
    /// records, else tanh. A flag that contradicts the file is refused.
    static func agreedNonlinearity(_ request: ConversionRequest, source: ModelSource, module: RNNModule) throws -> Nonlinearity {
        let recorded = source.hints[module.name]?.nonlinearity
        if let flag = request.nonlinearity, let recorded, flag != recorded {
            throw ConversionError("\(request.input): --nonlinearity \(flag.rawValue) contradicts the file, which records "
                + "nonlinearity \(recorded.rawValue) for '\(module.displayName)'")
        }
        return request.nonlinearity ?? recorded ?? .tanh
    }
}
