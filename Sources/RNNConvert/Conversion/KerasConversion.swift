import Foundation
import RNNLayouts
import TensorFiles

/// What `KerasExporter` wrote.
public struct KerasExport: Sendable, Equatable {
    /// The model in Keras terms: `Sequential: LSTM(8), input (batch, time, 5), float32`.
    public var model: String
    /// The element type of the weights written.
    public var dtype: DType
}

extension Converter {
    /// One module into a `.keras` archive or a `.weights.h5` file.
    static func writeKeras(_ tensors: [NamedTensor], source: ModelSource, target: FileFormat, request: ConversionRequest) throws -> ConversionResult {
        // The module's problems are found once, by `KerasExporter.check` (`ModuleValidationError`, named with the file by `convert`).
        let module = source.recorded(try Inspector.inspect(tensors, unreadable: source.unreadable).selectModule(named: request.module))
        try refuseStoredForKeras(source, module: module, output: request.output)
        try refuseOverflow(moduleTensors(module), request: request)
        let options = KerasExportOptions(
            nonlinearity: try agreedNonlinearity(request, source: source, module: module, target: target), dtype: request.dtype)
        let written = target == .keras
            ? try KerasExporter.writeModel(module, options: options, to: request.output, force: request.force)
            : try KerasExporter.writeWeights(module, options: options, to: request.output, force: request.force)
        return ConversionResult(
            input: request.input, output: request.output, target: target,
            contents: "\(target == .keras ? "Keras 3 model" : "Keras 3 weights for") \(written.model) from '\(module.displayName)'",
            modules: [module.path], tensorCount: module.architecture.parameterNames.count, bytes: 0, dtypes: [written.dtype], stored: nil, notes: [])
    }

    /// The activation to write into `target`: `--nonlinearity`, else what
    /// the input records (tanh for GRU and LSTM). A flag that contradicts the
    /// file is refused, and so is an Elman RNN whose activation neither says.
    static func agreedNonlinearity(
        _ request: ConversionRequest, source: ModelSource, module: RNNModule, target: FileFormat
    ) throws -> Nonlinearity {
        let hints = source.hints[module.name] ?? ModuleHints()
        if let flag = request.nonlinearity, let recorded = hints.nonlinearity, flag != recorded {
            throw ConversionError.nonlinearityContradictsFile(file: request.input, nonlinearity: flag, recorded: recorded, module: module.path)
        }
        guard let nonlinearity = hints.nonlinearity(given: request.nonlinearity, mode: module.architecture.mode) else {
            try ModuleValidation.check(module)  // what is wrong with the weights themselves first
            throw ConversionError.nonlinearityUnknown(file: request.input, module: module.path, target: target)
        }
        return nonlinearity
    }
}
