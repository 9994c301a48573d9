import RNNKit

/// Everything `rnnkit inspect` shows about one file, ready to print as
/// tables (`text()`, in InspectText.swift) or as the JSON document (`json()`).
struct InspectReport {
    /// The file as read (a container, or an ONNX or Keras model read back into PyTorch names).
    var file: ModelSource
    /// What the inspector found.
    var inspection: Inspection
    /// Shape flows by module name, for the modules `--input-shape` was for.
    var flows: [String: ShapeFlow]
    /// Remarks for the human output only (what was not checked, and why).
    var notes: [String] = []

    /// The JSON document of `inspect --json`:
    /// `{file, format, tensors, modules, problems}` (see docs/cli.md).
    func json() -> String {
        let document = JSONValue.object([
            ("file", .string(file.path)),
            ("format", .string(file.format)),
            ("tensors", .array(file.tensors.map { named in
                .object([
                    ("name", .string(named.name)),
                    ("dtype", .string(named.tensor.dtype.rawValue)),
                    ("shape", .ints(named.tensor.shape)),
                    ("bytes", .int(named.tensor.byteCount)),
                ])
            })),
            ("modules", .array(inspection.modules.map { moduleJSON($0) })),
            ("problems", .array(inspection.problems.map { problem in
                .object([("tensor", .string(problem.tensor)), ("message", .string(problem.message))])
            })),
        ])
        return document.rendered() + "\n"
    }

    /// One module: its architecture as PyTorch's constructor names it, and
    /// `shapes` when `--input-shape` was given for it (`c_n` only for LSTM).
    private func moduleJSON(_ module: RNNModule) -> JSONValue {
        let architecture = module.architecture
        var members: [(String, JSONValue)] = [
            ("name", .string(module.name)),
            ("mode", .string(architecture.mode.rawValue)),
            ("kind", .string(architecture.kind.rawValue)),
            ("input_size", .int(architecture.inputSize)),
            ("hidden_size", .int(architecture.hiddenSize)),
            ("num_layers", .int(architecture.numLayers)),
            ("bidirectional", .bool(architecture.bidirectional)),
            ("proj_size", .int(architecture.projSize)),
            ("bias", .bool(architecture.bias)),
            ("dtype", .string(architecture.dtype.rawValue)),
            ("parameters", .int(architecture.parameterCount)),
        ]
        if let flow = flows[module.name] {
            var shapes: [(String, JSONValue)] = [("output", .ints(flow.output)), ("h_n", .ints(flow.hN))]
            if let cN = flow.cN { shapes.append(("c_n", .ints(cN))) }
            members.append(("shapes", .object(shapes)))
        }
        return .object(members)
    }
}
