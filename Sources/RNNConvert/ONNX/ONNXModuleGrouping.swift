import Foundation
import ONNXProto
import RNNLayouts

/// Decides which recurrent nodes of an ONNX graph form one PyTorch module
/// (a layer stack) and what that module is called.
///
/// A node continues a module when its input `X` is the previous node's `Y`
/// as PyTorch's next layer reads it (`ONNXStackLink`), the two fit
/// one stack, and its initial state is not computed from another recurrent
/// node's outputs (PyTorch's layer k starts from `h0[k]`, never from the
/// layer below's final state: an encoder/decoder pair is two modules). Names come from, in order: rnnkit's own metadata
/// (`rnnkit.module`); the dynamo exporter's node metadata (`namespace`,
/// whose `name: torch.nn.modules.rnn.LSTM` segment is the module path); the
/// TorchScript exporter's node names (`/encoder/lstm/LSTM_1` → `encoder.lstm`).
/// Modules without a name are the root (`""`) when there is one, else `rnn0`, `rnn1`, ….
enum ONNXModuleGrouping {
    /// One module's layers in order.
    struct Group {
        var name: String
        var layers: [ONNXRecurrentNode]
    }

    /// Groups `layers`; `evaluators[layer.scope]` sees the graph each layer sits in.
    static func group(_ layers: [ONNXRecurrentNode], metadata: [String: String], evaluators: [ONNXConstantEvaluator?]) -> [Group] {
        let own = metadata[ONNXMetadata.module]
        let names = layers.map { own ?? declaredName($0.node) }
        var producerLayer: [String: Int] = [:]
        for (index, layer) in layers.enumerated() where !layer.node.output.isEmpty {
            producerLayer[layer.node.output[0]] = index
        }
        // Chains: a layer continues the chain its input comes from.
        var chains: [[Int]] = []
        var chainOf: [Int: Int] = [:]
        for (index, layer) in layers.enumerated() {
            if let evaluator = evaluators[layer.scope],
               let (upstream, path) = upstreamLayer(layer, producerLayer: producerLayer, evaluator: evaluator),
               layers[upstream].scope == layer.scope,
               let chain = chainOf[upstream], chains[chain].last == upstream, names[upstream] == names[index],
               stacks(layer, on: layers[upstream]),
               ONNXStackLink.isPyTorchInput(path, from: layers[upstream], to: layer, evaluator: evaluator) {
                chains[chain].append(index)
                chainOf[index] = chain
            } else {
                chainOf[index] = chains.count
                chains.append([index])
            }
        }
        // Names; a module called twice (same name, same weights) counts once.
        var groups: [Group] = []
        var unnamed = 0
        for chain in chains {
            let members = chain.map { layers[$0] }
            if let name = names[chain[0]] {
                if let existing = groups.first(where: { $0.name == name }), sameWeights(existing.layers, members) { continue }
                var unique = name
                var counter = 1
                while groups.contains(where: { $0.name == unique }) {
                    unique = "\(name)_\(counter)"
                    counter += 1
                }
                groups.append(Group(name: unique, layers: members))
            } else {
                groups.append(Group(name: "\u{0}\(unnamed)", layers: members))
                unnamed += 1
            }
        }
        let taken = Set(groups.map(\.name))
        for index in groups.indices where groups[index].name.hasPrefix("\u{0}") {
            if groups.count == 1 {
                groups[index].name = ""
                continue
            }
            var candidate = "rnn" + groups[index].name.dropFirst()
            while taken.contains(candidate) { candidate += "_" }
            groups[index].name = candidate
        }
        return groups
    }

    /// The module path an exporter recorded for `node`, if any.
    static func declaredName(_ node: Onnx_NodeProto) -> String? {
        // torch.onnx.export(dynamo=True): "…/encoder.lstm: torch.nn.modules.rnn.LSTM/lstm: aten.lstm.input".
        if let namespace = node.metadataProps.first(where: { $0.key == "namespace" })?.value {
            let segments = namespace.split(separator: "/", omittingEmptySubsequences: false)
            for segment in segments.reversed() {
                guard let colon = segment.firstIndex(of: ":") else { continue }
                let type = segment[segment.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                if type.hasPrefix("torch.nn.modules.rnn.") {
                    return String(segment[..<colon])
                }
            }
        }
        // torch.onnx.export(dynamo=False): "/encoder/lstm/LSTM_1"; "/LSTM" at the root.
        if node.name.hasPrefix("/") {
            let components = node.name.split(separator: "/")
            guard !components.isEmpty else { return nil }
            return components.dropLast().joined(separator: ".")
        }
        return nil
    }

    /// The layer whose `Y` feeds `layer`'s `X` through data-movement ops
    /// only, and those ops from `Y` to `X`.
    private static func upstreamLayer(
        _ layer: ONNXRecurrentNode, producerLayer: [String: Int], evaluator: ONNXConstantEvaluator
    ) -> (Int, [Onnx_NodeProto])? {
        guard var name = layer.node.input.first else { return nil }
        var path: [Onnx_NodeProto] = []
        for _ in 0 ..< 32 {
            if let index = producerLayer[name] { return (index, path.reversed()) }
            guard let (node, _) = evaluator.producer(of: name), ONNXStackLink.ops.contains(node.opType),
                  let input = node.input.first
            else { return nil }
            path.append(node)
            name = input
        }
        return nil
    }

    private static func stacks(_ layer: ONNXRecurrentNode, on previous: ONNXRecurrentNode) -> Bool {
        layer.mode == previous.mode && layer.hiddenSize == previous.hiddenSize && layer.directions == previous.directions
            && layer.inputSize == previous.directions * previous.hiddenSize && layer.stateSource == nil
    }

    private static func sameWeights(_ a: [ONNXRecurrentNode], _ b: [ONNXRecurrentNode]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { x, y in
            (try? x.w.data()) == (try? y.w.data()) && (try? x.r.data()) == (try? y.r.data())
                && (try? x.b?.data()) == (try? y.b?.data())
        }
    }
}
