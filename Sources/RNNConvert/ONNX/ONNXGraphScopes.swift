import Foundation
import ONNXProto

/// The main graph of an ONNX model and every subgraph of its control-flow
/// nodes (`If` branches, `Loop` and `Scan` bodies, …), each seen with the
/// names of its enclosing graphs visible, as ONNX scoping rules say.
struct ONNXGraphScope {
    /// The nodes and initializers visible in this scope: the enclosing
    /// graphs' (minus what this scope redefines) followed by its own.
    var visible: Onnx_GraphProto
    /// This scope's own nodes (where its recurrent nodes are looked for).
    var nodes: [Onnx_NodeProto]
    /// Where the scope sits, for messages: "" for the main graph, else e.g.
    /// "the then_branch of If node 'If_0'".
    var place: String

    /// Subgraphs nested deeper than this are not searched (a hostile file
    /// could nest thousands); the main graph is depth 0.
    static let maximumDepth = 8
    /// At most this many scopes are searched.
    static let maximumScopes = 256

    /// The main graph and its subgraphs, outermost first.
    static func all(_ main: Onnx_GraphProto) -> [ONNXGraphScope] {
        var result = [ONNXGraphScope(visible: main, nodes: main.node, place: "")]
        var index = 0
        var depths = [0]
        while index < result.count, result.count < maximumScopes {
            let scope = result[index]
            let depth = depths[index]
            index += 1
            guard depth < maximumDepth else { continue }
            for node in scope.nodes {
                for attribute in node.attribute {
                    let graphs = attribute.hasG ? [attribute.g] : attribute.graphs
                    for (number, subgraph) in graphs.enumerated() where result.count < maximumScopes {
                        let label = graphs.count > 1 ? "\(attribute.name)[\(number)]" : attribute.name
                        let place = "the \(label) of \(ONNXGraphScope.describe(node))" + (scope.place.isEmpty ? "" : " in \(scope.place)")
                        result.append(ONNXGraphScope(visible: merged(scope.visible, subgraph), nodes: subgraph.node, place: place))
                        depths.append(depth + 1)
                    }
                }
            }
        }
        return result
    }

    /// `outer`'s initializers and nodes that `inner` does not redefine, then `inner`'s.
    private static func merged(_ outer: Onnx_GraphProto, _ inner: Onnx_GraphProto) -> Onnx_GraphProto {
        var redefined = Set(inner.initializer.map(\.name)).union(inner.input.map(\.name))
        for node in inner.node { redefined.formUnion(node.output) }
        var graph = Onnx_GraphProto()
        graph.name = inner.name
        graph.input = inner.input
        graph.initializer = outer.initializer.filter { !redefined.contains($0.name) } + inner.initializer
        graph.node = outer.node.filter { !$0.output.contains(where: redefined.contains) } + inner.node
        return graph
    }

    /// `LSTM node '/lstm/LSTM'`, or for a node without a name
    /// `the unnamed LSTM node writing 'Y'`.
    static func describe(_ node: Onnx_NodeProto) -> String {
        if !node.name.isEmpty { return "\(node.opType) node '\(node.name)'" }
        if let output = node.output.first(where: { !$0.isEmpty }) { return "the unnamed \(node.opType) node writing '\(output)'" }
        return "an unnamed \(node.opType) node"
    }
}
