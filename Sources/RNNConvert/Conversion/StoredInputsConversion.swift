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

    /// What `convert` says about carried tensors.
    static func storedSummary(_ tensors: [NamedTensor]) -> String {
        tensors.isEmpty ? "" : "; the stored initial state/lengths written as " + tensors.map { "'\($0.name)'" }.joined(separator: ", ")
            + " (run uses them as the defaults of --h0/--c0/--lengths)"
    }

    /// Refuses a Keras target for a module whose file stores an initial state or lengths.
    static func refuseStoredForKeras(_ source: ModelSource, module: RNNModule, output: String) throws {
        guard let hints = source.hints[module.name], hints.storedState != nil || hints.lengths != nil else { return }
        let what = [hints.storedState != nil ? "an initial state" : nil, hints.lengths != nil ? "sequence lengths" : nil]
            .compactMap { $0 }.joined(separator: " and ")
        throw ConversionError("\(output): \(source.path) stores \(what) for \(module.displayName), which a Keras recurrent layer cannot hold "
            + "(Keras always starts from zeros over full sequences); convert to .onnx or a PyTorch-name container instead, which keep it")
    }
}

extension ModelSource {
    /// Reads the `<module>.h0` / `.c0` / `.lengths` tensors `convert` writes
    /// beside a module's PyTorch names back into `hints`.
    mutating func readStoredTensors() {
        let modules = Set(tensors.compactMap { ParameterName.split($0.name)?.module })
        for named in tensors {
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
            hints.notes.append("the file stores '\(named.name)' \(shapeText(tensor.shape)); run uses it as the default --\(last)")
            self.hints[module] = hints
        }
    }
}
