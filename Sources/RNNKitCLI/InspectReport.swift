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
    /// What the file's reader noted about its modules, and what was not checked.
    var notes: [InspectionNote] = []

    /// The JSON document of `inspect --json`:
    /// `{file, format, tensors, modules, problems, notes}` (see docs/cli.md).
    func json() throws -> String {
        let document = JSONDocument(
            file: file.path, format: file.format,
            tensors: file.tensors.map { named in
                JSONTensor(name: named.name, dtype: named.tensor.dtype.rawValue, shape: named.tensor.shape, bytes: named.tensor.byteCount)
            },
            modules: inspection.modules.map(moduleJSON),
            problems: inspection.problems.map { JSONProblem(tensor: $0.tensor, message: $0.message) },
            notes: notes)
        return try jsonText(document) + "\n"
    }

    /// One module: its architecture as PyTorch's constructor names it, and
    /// `shapes` when `--input-shape` was given for it (`c_n` only for LSTM).
    private func moduleJSON(_ module: RNNModule) -> JSONModule {
        let architecture = module.architecture
        return JSONModule(
            name: module.name, mode: architecture.mode.rawValue, kind: architecture.kind.rawValue,
            input_size: architecture.inputSize, hidden_size: architecture.hiddenSize, num_layers: architecture.numLayers,
            bidirectional: architecture.bidirectional, proj_size: architecture.projSize, bias: architecture.bias,
            dtype: architecture.dtype.rawValue, parameters: architecture.parameterCount,
            // What the cell computes beyond PyTorch's, one sentence per option (why nn.* cannot load it).
            beyond_pytorch: architecture.variant.isPyTorch ? nil : architecture.variantDifferences,
            shapes: flows[module.name].map { JSONShapes(output: $0.output, h_n: $0.hN, c_n: $0.cN) })
    }

    struct JSONDocument: Encodable {
        var file: String
        var format: FileFormat
        var tensors: [JSONTensor]
        var modules: [JSONModule]
        var problems: [JSONProblem]
        /// Each note an object: `kind`, its data, `message` (as `convert --json`'s notes).
        var notes: [InspectionNote]
    }

    struct JSONTensor: Encodable {
        var name: String
        var dtype: String
        var shape: [Int]
        var bytes: Int
    }

    struct JSONModule: Encodable {
        var name, mode, kind: String
        var input_size, hidden_size, num_layers: Int
        var bidirectional: Bool
        var proj_size: Int
        var bias: Bool
        var dtype: String
        var parameters: Int
        /// Absent for PyTorch's cell.
        var beyond_pytorch: [String]?
        var shapes: JSONShapes?
    }

    struct JSONShapes: Encodable {
        var output: [Int]
        var h_n: [Int]
        var c_n: [Int]?
    }

    /// A problem; `tensor` is null for one about no single tensor.
    struct JSONProblem: Encodable {
        var tensor: String?
        var message: String

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(tensor, forKey: .tensor)
            try container.encode(message, forKey: .message)
        }

        enum CodingKeys: String, CodingKey { case tensor, message }
    }
}
