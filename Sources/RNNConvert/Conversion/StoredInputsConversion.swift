import Foundation
import RNNLayouts
import TensorFiles

/// How a stored initial state and stored lengths (`ModuleHints.storedState`,
/// `.lengths`) travel through `convert`: never dropped.
///
/// - ONNX: the defaults of the model's `h0` / `c0` / `sequence_lens` inputs.
/// - Containers with PyTorch names: extra tensors `<module>.h0`, `<module>.c0`,
///   `<module>.lengths` (`h0`, `c0`, `lengths` for the root module), which
///   `ModelSource` reads back as the same hints.
/// - Keras: refused (a Keras recurrent layer stores no initial state or lengths).
extension Converter {
    /// The suffixes of the extra tensors.
    static let storedSuffixes = ["h0", "c0", "lengths"]

    /// The name of a stored tensor of `module`.
    static func storedName(_ module: String, _ suffix: String) -> String {
        ModulePath(module).qualify(suffix)
    }

    /// The extra tensors carrying what `source` stores for `modules`.
    static func storedTensors(_ source: ModelSource, modules: [String]) throws -> [NamedTensor] {
        var result: [NamedTensor] = []
        for module in modules {
            guard let hints = source.hints[module] else { continue }
            if let h0 = hints.storedState?.h0 { result.append(NamedTensor(name: storedName(module, "h0"), tensor: h0)) }
            if let c0 = hints.storedState?.c0 { result.append(NamedTensor(name: storedName(module, "c0"), tensor: c0)) }
            if let lengths = hints.lengths {
                result.append(NamedTensor(name: storedName(module, "lengths"), tensor: Tensor(shape: [lengths.count], int64s: lengths.map(Int64.init))))
            }
        }
        return result
    }

    /// Refuses a Keras target for a module whose file stores an initial state or lengths.
    static func refuseStoredForKeras(_ source: ModelSource, module: RNNModule, output: String) throws {
        guard let hints = source.hints[module.name], hints.storedState != nil || hints.lengths != nil else { return }
        throw ConversionError.storedInputsForKeras(output: output, input: source.path, module: module.path,
                                                   state: hints.storedState != nil, lengths: hints.lengths != nil)
    }
}

extension ModelSource {
    /// Reads the `<module>.h0` / `.c0` / `.lengths` tensors `convert` writes
    /// beside a module's PyTorch names back into `hints` (of the tensors
    /// named `only`, when given).
    mutating func readStoredTensors(only names: Set<String>? = nil) {
        let modules = Set(tensors.compactMap { ParameterName.split($0.name)?.module })
        for named in tensors where names?.contains(named.name) ?? true {
            let parts = named.name.split(separator: ".", omittingEmptySubsequences: false)
            guard let last = parts.last, Converter.storedSuffixes.contains(String(last)) else { continue }
            let module = parts.dropLast().joined(separator: ".")
            guard modules.contains(module) else { continue }
            let tensor = named.tensor
            var hints = self.hints[module] ?? ModuleHints()
            switch last {
            case "lengths":
                guard tensor.shape.count == 1, !tensor.dtype.isFloatingPoint, let values = try? tensor.int64s() else { continue }
                hints.lengths = values.map { Int(clamping: $0) }
            default:
                guard tensor.shape.count == 3, tensor.dtype.isFloatingPoint else { continue }
                var state = hints.storedState ?? StoredState(h0: nil, c0: nil)
                if last == "h0" { state.h0 = tensor } else { state.c0 = tensor }
                hints.storedState = state
            }
            hints.notes.append(.storedTensor(name: named.name, shape: tensor.shape, option: last == "lengths" ? .lengths : last == "h0" ? .h0 : .c0))
            self.hints[module] = hints
        }
    }
}
