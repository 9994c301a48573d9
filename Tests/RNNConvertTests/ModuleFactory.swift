import Foundation
import RNNLayouts
import TensorFiles

/// Modules with every PyTorch parameter present and random contents, for
/// round-trip tests (they compare bytes with bytes, never with typed numbers).
enum ModuleFactory {
    static func module(_ architecture: RNNArchitecture, name: String = "encoder.rnn") -> RNNModule {
        var generator = SystemRandomNumberGenerator()
        var parameters: [ParameterName: Tensor] = [:]
        for parameter in architecture.parameterNames {
            let shape = architecture.expectedShape(of: parameter)
            let count = shape.reduce(1, *)
            let floats = (0 ..< count).map { _ in Float.random(in: -1 ... 1, using: &generator) }
            let tensor = Tensor(shape: shape, floats: floats)
            parameters[parameter] = (try? tensor.converted(to: architecture.dtype)) ?? tensor
        }
        return RNNModule(name: name, architecture: architecture, parameters: parameters)
    }

    /// The module's tensors with their full names, in PyTorch's order.
    static func namedTensors(_ module: RNNModule) -> [NamedTensor] {
        module.parameters.keys.sorted().map { NamedTensor(name: module.qualifiedName(of: $0), tensor: module.parameters[$0]!) }
    }

    /// A temporary folder removed by the caller.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rnnkit-convert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
