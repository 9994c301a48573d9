import Foundation
import ONNXProto
import RNNLayouts
import TensorFiles

/// Builds the graph `ONNXExporter` writes for one module:
///
/// ```
/// input ─(Transpose if batch_first)─ X0 ─ LSTM_l0 ─ Y (T,dirs,B,H) ─ Transpose+Reshape ─ X1 ─ LSTM_l1 ─ … ─ output
/// sequence_lens (default: T for every sequence) ──────┘ each layer
/// h0, c0 (default: zeros) ── Slice per layer ─────────┘          Y_h, Y_c of every layer ─ Concat ─ h_n, c_n
/// ```
struct ONNXGraphWriter {
    let module: RNNModule
    let options: ONNXExportOptions
    let dtype: DType
    private var builder: ONNXGraphBuilder
    /// The weight initializers (`W`, `R`, `B`, `P`), kept out of the graph
    /// `graph()` returns: `ONNXExporter` streams their bytes from the
    /// module's tensors into the file.
    private(set) var streamed: [StreamedInitializer] = []

    init(module: RNNModule, options: ONNXExportOptions, dtype: DType) {
        self.module = module
        self.options = options
        self.dtype = dtype
        self.builder = ONNXGraphBuilder(name: "rnnkit_" + ONNXLayout.operatorName(module.architecture.mode).lowercased())
    }

    private var architecture: RNNArchitecture { module.architecture }
    private var isLSTM: Bool { architecture.mode == .lstm }
    /// Node names follow torch.onnx.export's scopes: `/encoder/lstm/LSTM_l0`.
    private var scope: String { "/" + module.name.split(separator: ".").map { $0 + "/" }.joined() }
    /// Initializer names carry the module prefix: `encoder.lstm.W_l0`.
    private func qualified(_ name: String) -> String { module.path.qualify(name) }

    mutating func graph() throws -> Onnx_GraphProto {
        let states = architecture.numLayers * architecture.directions
        declareInputsAndOutputs(states: states)
        var x = "input"
        if options.batchFirst {
            builder.node("Transpose", name: scope + "Transpose_input", inputs: ["input"], outputs: ["input_time_major"],
                         attributes: [ONNXGraphBuilder.attribute("perm", ints: [1, 0, 2])])
            x = "input_time_major"
        }
        let lengths = try defaultedLengths(x)
        let (h0, c0) = try defaultedStates(x, states: states)
        try builder.int64s("reshape_merge_directions", [0, 0, -1])
        try builder.int64s("axis0", [0])
        var hOutputs: [String] = []
        var cOutputs: [String] = []
        for layer in 0 ..< architecture.numLayers {
            let suffix = "_l\(layer)"
            let first = layer * architecture.directions
            let start = try builder.int64s("state_start\(suffix)", [first])
            let end = try builder.int64s("state_end\(suffix)", [first + architecture.directions])
            var inputs = [x] + (try weights(layer: layer)) + [lengths]
            builder.node("Slice", name: scope + "Slice_h0" + suffix, inputs: [h0, start, end, "axis0"], outputs: ["h0" + suffix])
            inputs.append("h0" + suffix)
            var outputs = ["Y" + suffix, "Y_h" + suffix]
            if let c0 {
                builder.node("Slice", name: scope + "Slice_c0" + suffix, inputs: [c0, start, end, "axis0"], outputs: ["c0" + suffix])
                inputs.append("c0" + suffix)
                outputs.append("Y_c" + suffix)
                cOutputs.append("Y_c" + suffix)
            }
            if architecture.variant.peepholes {
                // LSTM inputs: X, W, R, B, sequence_lens, initial_h, initial_c, P.
                if c0 == nil { inputs.append("") }
                inputs.append(try peepholes(layer: layer))
            }
            hOutputs.append("Y_h" + suffix)
            let op = ONNXLayout.operatorName(architecture.mode)
            builder.node(op, name: scope + op + suffix, inputs: inputs, outputs: outputs, attributes: operatorAttributes())
            // Y (T, dirs, B, H) → (T, B, dirs, H) → (T, B, dirs·H): PyTorch's layer output.
            let last = layer == architecture.numLayers - 1
            let next = last && !options.batchFirst ? "output" : "X_l\(layer + 1)"
            builder.node("Transpose", name: scope + "Transpose_Y" + suffix, inputs: ["Y" + suffix], outputs: ["Y_batch" + suffix],
                         attributes: [ONNXGraphBuilder.attribute("perm", ints: [0, 2, 1, 3])])
            builder.node("Reshape", name: scope + "Reshape_Y" + suffix, inputs: ["Y_batch" + suffix, "reshape_merge_directions"], outputs: [next])
            x = next
        }
        if options.batchFirst {
            builder.node("Transpose", name: scope + "Transpose_output", inputs: [x], outputs: ["output"],
                         attributes: [ONNXGraphBuilder.attribute("perm", ints: [1, 0, 2])])
        }
        builder.node("Concat", name: scope + "Concat_h_n", inputs: hOutputs, outputs: ["h_n"],
                     attributes: [ONNXGraphBuilder.attribute("axis", int: 0)])
        if isLSTM {
            builder.node("Concat", name: scope + "Concat_c_n", inputs: cOutputs, outputs: ["c_n"],
                         attributes: [ONNXGraphBuilder.attribute("axis", int: 0)])
        }
        return builder.graph
    }

    private mutating func declareInputsAndOutputs(states: Int) {
        let sequence = ONNXGraphBuilder.Dimension.symbolic("sequence")
        let batch = ONNXGraphBuilder.Dimension.symbolic("batch")
        let time: [ONNXGraphBuilder.Dimension] = options.batchFirst ? [batch, sequence] : [sequence, batch]
        let layout = options.batchFirst ? "(batch, sequence, features)" : "(sequence, batch, features)"
        builder.input("input", dtype, time + [.fixed(architecture.inputSize)], doc: "the input sequence \(layout)")
        builder.input("sequence_lens", .int32, [.free],
                      doc: "optional: each sequence's valid length (batch,), int32, in 1…sequence; default all full (like PyTorch's packed sequences)")
        builder.input("h0", dtype, [.fixed(states), .free, .fixed(architecture.hiddenSize)],
                      doc: "optional: initial hidden state (layers·directions, batch, hidden); default zeros")
        if isLSTM {
            builder.input("c0", dtype, [.fixed(states), .free, .fixed(architecture.hiddenSize)],
                          doc: "optional: initial cell state (layers·directions, batch, hidden); default zeros")
        }
        builder.output("output", dtype, time + [.fixed(architecture.outputSize)],
                       doc: "PyTorch's output: the last layer's hidden states, directions concatenated, zero past each length")
        builder.output("h_n", dtype, [.fixed(states), batch, .fixed(architecture.hiddenSize)],
                       doc: "PyTorch's h_n: every layer's and direction's final hidden state")
        if isLSTM {
            builder.output("c_n", dtype, [.fixed(states), batch, .fixed(architecture.hiddenSize)],
                           doc: "PyTorch's c_n: every layer's and direction's final cell state")
        }
    }

    /// `sequence_lens` when fed, else the sequence length for every batch entry:
    /// `Slice(Concat(sequence_lens, Expand(T, [B])), 0, B)` with an empty default.
    private mutating func defaultedLengths(_ x: String) throws -> String {
        // Stored lengths (convert keeps them) are the default; else none, i.e. full lengths.
        let stored = options.lengths ?? []
        var lengthBytes = Data(capacity: stored.count * 4)
        for length in stored { withUnsafeBytes(of: Int32(clamping: length).littleEndian) { lengthBytes.append(contentsOf: $0) } }
        try builder.initializer("sequence_lens", Tensor(dtype: .int32, shape: [stored.count], data: lengthBytes))
        try builder.int64s("zero", [0])
        builder.node("Shape", name: scope + "Shape_batch", inputs: [x], outputs: ["batch_size"],
                     attributes: [ONNXGraphBuilder.attribute("start", int: 1), ONNXGraphBuilder.attribute("end", int: 2)])
        builder.node("Shape", name: scope + "Shape_sequence", inputs: [x], outputs: ["sequence_size"],
                     attributes: [ONNXGraphBuilder.attribute("start", int: 0), ONNXGraphBuilder.attribute("end", int: 1)])
        builder.node("Cast", name: scope + "Cast_sequence", inputs: ["sequence_size"], outputs: ["sequence_size_int32"],
                     attributes: [ONNXGraphBuilder.attribute("to", int: Onnx_TensorProto.DataType.int32.rawValue)])
        builder.node("Expand", name: scope + "Expand_full_lengths", inputs: ["sequence_size_int32", "batch_size"], outputs: ["full_lengths"])
        builder.node("Concat", name: scope + "Concat_lengths", inputs: ["sequence_lens", "full_lengths"], outputs: ["lengths_or_full"],
                     attributes: [ONNXGraphBuilder.attribute("axis", int: 0)])
        builder.node("Slice", name: scope + "Slice_lengths", inputs: ["lengths_or_full", "zero", "batch_size", "zero"], outputs: ["lengths"])
        return "lengths"
    }

    /// `h0` / `c0` broadcast to `(layers·directions, B, hidden)`; their
    /// defaults are zeros of batch 1, or the stored state.
    private mutating func defaultedStates(_ x: String, states: Int) throws -> (String, String?) {
        // All-zero bits are 0.0 in every float type.
        let zeros = try Tensor(dtype: dtype, shape: [states, 1, architecture.hiddenSize],
                               data: Data(count: states * architecture.hiddenSize * dtype.itemSize))
        try builder.int64s("state_count", [states])
        try builder.int64s("hidden_size", [architecture.hiddenSize])
        builder.node("Concat", name: scope + "Concat_state_shape", inputs: ["state_count", "batch_size", "hidden_size"], outputs: ["state_shape"],
                     attributes: [ONNXGraphBuilder.attribute("axis", int: 0)])
        var names: [String] = []
        for state in isLSTM ? ["h0", "c0"] : ["h0"] {
            // A stored initial state (convert keeps it) is the default; else zeros.
            let stored = state == "h0" ? options.storedState?.h0 : options.storedState?.c0
            try builder.initializer(state, try stored?.converted(to: dtype) ?? zeros)
            builder.node("Expand", name: scope + "Expand_" + state, inputs: [state, "state_shape"], outputs: [state + "_batch"])
            names.append(state + "_batch")
        }
        return (names[0], names.count > 1 ? names[1] : nil)
    }

    /// Adds `W`, `R` and `B` of `layer` and returns their names (`""` for no bias).
    private mutating func weights(layer: Int) throws -> [String] {
        let suffix = "_l\(layer)"
        let directions = 0 ..< architecture.directions
        var names = [
            try stream(qualified("W" + suffix), shape: ONNXLayout.weightShape(architecture, layer: layer),
                   try directions.flatMap { try permuted(.weightIH, layer: layer, direction: $0) }),
            try stream(qualified("R" + suffix), shape: ONNXLayout.recurrenceShape(architecture),
                   try directions.flatMap { try permuted(.weightHH, layer: layer, direction: $0) }),
        ]
        if architecture.bias {
            names.append(try stream(qualified("B" + suffix), shape: ONNXLayout.biasShape(architecture), try directions.flatMap {
                try permuted(.biasIH, layer: layer, direction: $0) + permuted(.biasHH, layer: layer, direction: $0)
            }))
        } else {
            names.append("")
        }
        return names
    }

    /// Adds `P` `(directions, 3·hidden)` of `layer` (order i, o, f) and returns its name.
    private mutating func peepholes(layer: Int) throws -> String {
        let segments = try (0 ..< architecture.directions).map { direction -> StreamedInitializer.Segment in
            guard let tensor = module.peepholes[layer * architecture.directions + direction] else {
                throw ConversionError.missingPeepholes(module: module.path, layer: layer)
            }
            let converted = try tensor.convertedWhenWritten(to: dtype)
            return StreamedInitializer.Segment(tensor: converted, elements: 0 ..< converted.elementCount)
        }
        return try stream(qualified("P_l\(layer)"), shape: [architecture.directions, 3 * architecture.hiddenSize], segments)
    }

    /// Records the streamed initializer `name` and returns its name.
    private mutating func stream(_ name: String, shape: [Int], _ segments: [StreamedInitializer.Segment]) throws -> String {
        let count = segments.reduce(0) { $0 + $1.elements.count }
        guard count == shape.reduce(1, *) else {
            throw ConversionError.parameterElementCount(name: name, count: count, expected: .shape(shape))
        }
        streamed.append(StreamedInitializer(name: name, dtype: dtype, shape: shape, segments: segments))
        return name
    }

    /// One PyTorch tensor in the target dtype with its gate blocks in ONNX
    /// order (`ONNXLayout.pytorchToONNX`): the blocks as element ranges,
    /// converted and copied only when written.
    private func permuted(_ role: ParameterName.Role, layer: Int, direction: Int) throws -> [StreamedInitializer.Segment] {
        let parameter = ParameterName(role, layer: architecture.kind == .cell ? nil : layer, reverse: direction == 1)
        guard let tensor = module.tensor(parameter) else {
            throw ConversionError.missingParameter(name: module.qualifiedName(of: parameter), expected: nil)
        }
        let converted = try tensor.convertedWhenWritten(to: dtype)
        let order = ONNXLayout.pytorchBlock(forONNXBlock: architecture.mode)
        let block = converted.elementCount / order.count
        guard block * order.count == converted.elementCount else {
            throw ConversionError.parameterElementCount(name: module.qualifiedName(of: parameter), count: converted.elementCount, expected: .equalBlocks(order.count))
        }
        return order.map { StreamedInitializer.Segment(tensor: converted, elements: $0 * block ..< ($0 + 1) * block) }
    }

    private func operatorAttributes() -> [Onnx_AttributeProto] {
        var attributes = [
            ONNXGraphBuilder.attribute("hidden_size", int: architecture.hiddenSize),
            ONNXGraphBuilder.attribute("direction", string: architecture.bidirectional
                ? "bidirectional" : architecture.variant.direction == .reverse ? "reverse" : "forward"),
        ]
        if architecture.mode == .gru {
            attributes.append(ONNXGraphBuilder.attribute("linear_before_reset", int: architecture.variant.linearBeforeReset ? 1 : 0))
        }
        // A cell beyond PyTorch's: its activations (alpha/beta), clip, input_forget.
        if !architecture.variant.isPyTorch { return attributes + ONNXVariant.attributes(architecture, nonlinearity: options.nonlinearity) }
        switch architecture.mode {
        case .gru:
            break
        case .rnn:
            let activation = options.nonlinearity == .relu ? "Relu" : "Tanh"
            attributes.append(ONNXGraphBuilder.attribute("activations", strings: Array(repeating: activation, count: architecture.directions)))
        case .lstm:
            break
        }
        return attributes
    }
}
