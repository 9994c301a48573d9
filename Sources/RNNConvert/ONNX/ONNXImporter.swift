import Foundation
import ONNXProto
import RNNLayouts
import SwiftProtobuf
import TensorFiles

/// Reads the recurrent modules of an ONNX model back into PyTorch-named
/// tensors, byte for byte: rnnkit's own files and `torch.onnx.export` files
/// (both exporters), whose `LSTM` / `GRU` / `RNN` nodes sit among Transpose,
/// Reshape, Squeeze, Concat and Slice nodes with generated initializer names.
enum ONNXImporter {
    /// What an ONNX model yields.
    struct Result {
        var tensors: [NamedTensor]
        var hints: [String: ModuleHints]
        var metadata: [String: String]
    }

    /// Parses `data` as an ONNX `ModelProto`; nil when the bytes are not one
    /// (or are a protobuf message without a graph).
    static func parse(_ data: Data) -> Onnx_ModelProto? {
        guard let model = try? Onnx_ModelProto(serializedBytes: data),
              model.hasGraph, model.hasIrVersion, !model.graph.node.isEmpty
        else { return nil }
        return model
    }

    /// Reads the recurrent modules of `model`, read from `file`.
    static func read(_ model: Onnx_ModelProto, file: String) throws -> Result {
        let graph = model.graph
        let opset = model.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }.map { Int($0.version) } ?? 1
        var metadata: [String: String] = [:]
        for entry in model.metadataProps { metadata[entry.key] = entry.value }
        if !model.producerName.isEmpty { metadata["producer"] = model.producerName + (model.producerVersion.isEmpty ? "" : " " + model.producerVersion) }

        // The main graph and every control-flow subgraph (If branches, Loop and Scan bodies).
        let scopes = ONNXGraphScope.all(graph)
        var evaluators: [Int: ONNXConstantEvaluator] = [:]
        var layers: [ONNXRecurrentNode] = []
        for (index, scope) in scopes.enumerated() {
            let recurrent = scope.nodes.filter { ($0.domain.isEmpty || $0.domain == "ai.onnx") && ONNXLayout.mode(ofOperator: $0.opType) != nil }
            guard !recurrent.isEmpty else { continue }
            var evaluator = try ONNXConstantEvaluator(graph: scope.visible, file: file, opset: opset)
            for node in recurrent {
                guard let mode = ONNXLayout.mode(ofOperator: node.opType) else { continue }
                var layer = try ONNXRecurrentNode(node, mode: mode, evaluator: &evaluator, place: scope.place)
                layer.scope = index
                layers.append(layer)
            }
            evaluators[index] = evaluator
        }
        guard !layers.isEmpty else {
            // An operator of another domain is named with it: an LSTM there is not ONNX's LSTM.
            let operators = Set(scopes.flatMap { $0.nodes.map { node in
                node.domain.isEmpty || node.domain == "ai.onnx" ? node.opType : "\(node.opType) in domain '\(node.domain)'"
            } }).sorted().prefix(16)
            throw ConversionError.modelFile(file: file, tensor: nil, .noRecurrentOperator(operators: Array(operators)))
        }

        let groups = ONNXModuleGrouping.group(layers, metadata: metadata, evaluators: scopes.indices.map { evaluators[$0] })
        var tensors: [NamedTensor] = []
        var hints: [String: ModuleHints] = [:]
        for group in groups {
            try checkStack(group.layers, module: ModulePath(group.name), file: file)
            let isCell = metadata[ONNXMetadata.kind] == ModuleKind.cell.rawValue && group.layers.count == 1 && group.layers[0].directions == 1
            for (index, layer) in group.layers.enumerated() {
                for (parameter, tensor) in try layer.parameters(layer: isCell ? nil : index) {
                    let name = ModulePath(group.name).qualify(parameter.text)
                    tensors.append(NamedTensor(name: name, tensor: tensor))
                }
            }
            let first = group.layers[0]
            let place = scopes[first.scope].place
            var moduleHints = ModuleHints(
                nonlinearity: first.nonlinearity,
                source: group.layers.map { ONNXGraphScope.describe($0.node) }.joined(separator: ", ") + (place.isEmpty ? "" : " in \(place)"))
            if !first.variant.isPyTorch { moduleHints.variant = first.variant }
            var peepholes: [Int: Tensor] = [:]
            for (index, layer) in group.layers.enumerated() {
                for (direction, tensor) in layer.peepholes { peepholes[index * layer.directions + direction] = tensor }
            }
            moduleHints.peepholes = PeepholeWeights(peepholes)
            guard var evaluator = evaluators[first.scope] else { continue }
            try ONNXModuleDefaults.fill(&moduleHints, group: group, metadata: metadata, graph: graph, evaluator: &evaluator, file: file)
            hints[group.name] = moduleHints
        }
        return Result(tensors: tensors, hints: hints, metadata: metadata)
    }

    /// Checks that the layers of one module stack like PyTorch's: same
    /// operator, hidden size, directions, bias and activation, and each layer
    /// reading the previous one's concatenated directions.
    static func checkStack(_ layers: [ONNXRecurrentNode], module: ModulePath, file: String) throws {
        guard let first = layers.first else { return }
        for (index, layer) in layers.enumerated().dropFirst() {
            let previous = layers[index - 1]
            var differences: [StackDifference] = []
            if layer.mode != first.mode { differences.append(.opType(layer.node.opType, first: first.node.opType)) }
            if layer.hiddenSize != first.hiddenSize { differences.append(.hiddenSize(layer.hiddenSize, first: first.hiddenSize)) }
            if layer.directions != first.directions { differences.append(.directions(layer.directions, first: first.directions)) }
            if (layer.b == nil) != (first.b == nil) { differences.append(.bias(layer.b != nil, first: first.b != nil)) }
            if layer.nonlinearity != first.nonlinearity { differences.append(.activation) }
            if layer.variant != first.variant { differences.append(.cell) }
            if layer.inputSize != previous.directions * previous.hiddenSize {
                differences.append(.inputSize(layer.inputSize, previousOutput: previous.directions * previous.hiddenSize))
            }
            if !differences.isEmpty {
                throw ConversionError.layersDiffer(file: file, module: module, node: layer.node.name, layer: index, differences: differences)
            }
        }
    }
}
