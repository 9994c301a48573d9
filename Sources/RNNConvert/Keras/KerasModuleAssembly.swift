import Foundation
import RNNLayouts
import TensorFiles

extension KerasImporter {
    /// A run of stacked Keras layers that becomes one PyTorch module.
    private struct Stack {
        var entries: [KerasLayerEntry]
        var layers: [KerasRecurrentLayer]
    }

    /// A weighted layer of a weights file alone that is no recurrent layer
    /// (`Dense`, `LayerNormalization`, `Embedding`): the file does not record
    /// where it sits among the recurrent layers.
    struct UnplacedLayer {
        /// The shapes of its variables, in order.
        let shapes: [[Int]]

        /// Whether it could read `width` features and give `next`, and so
        /// sit between two recurrent layers: an elementwise layer (every
        /// variable of shape `[width]`) when the widths are equal, else a
        /// kernel whose last dimension is `next` with `width` before it.
        func fits(between width: Int, and next: Int) -> Bool {
            guard let kernel = shapes.first else { return false }
            if shapes.allSatisfy({ $0 == [width] }) { return width == next }
            return kernel.count >= 2 && kernel.last == next && kernel.dropLast().contains(width)
        }
    }

    /// Reads the variables of `entries` from `weights`, stacks the recurrent
    /// layers into modules and names everything in PyTorch's grammar.
    /// `configured` is false for a weights file alone (nothing is known
    /// beyond the groups and shapes); its recurrent layers are not stacked
    /// where one of the `unplaced` layers could sit between them.
    static func read(
        _ entries: [KerasLayerEntry], weights: TensorFile, file: String, configured: Bool, unplaced: [UnplacedLayer] = []
    ) throws -> Result {
        var tensors: [String: Tensor] = [:]
        for named in weights.tensors where tensors[named.name] == nil { tensors[named.name] = named.tensor }
        var consumed = Set<String>()
        let classes = Set(entries.filter { $0.recurrent != nil || !configured }.map(\.className))
        let stackAcrossLayers = configured || classes.count <= 1

        var stacks: [Stack] = []
        var open: Stack?
        var unstacked = false  // a stack was broken where an unplaced layer could sit
        var producer: String?  // the layer whose output the next layer of a stack must read
        func close() {
            if let finished = open { stacks.append(finished) }
            open = nil
        }
        for entry in entries {
            if entry.transparent, open != nil, entry.inbound == nil || entry.inbound == producer.map({ [$0] }) {
                producer = entry.name
                continue
            }
            guard let layer = try recurrentLayer(entry, tensors: tensors, file: file, configured: configured, consumed: &consumed) else {
                close()
                continue
            }
            let between = open?.layers.last.map { last in
                unplaced.contains { $0.fits(between: last.units * (last.bidirectional ? 2 : 1), and: layer.inputSize) }
            } ?? false
            unstacked = unstacked || between
            if var stack = open, stackAcrossLayers, !between, let last = stack.layers.last, let lastEntry = stack.entries.last,
               continues(last, lastEntry, with: layer), entry.inbound == nil || entry.inbound == producer.map({ [$0] }) {
                stack.entries.append(entry)
                stack.layers.append(layer)
                open = stack
            } else {
                close()
                open = Stack(entries: [entry], layers: [layer])
            }
            producer = entry.name
        }
        close()

        var result = Result(tensors: [], hints: [:], metadata: [:])
        for stack in stacks {
            let name = stacks.count == 1 ? "" : stack.entries[0].name
            for (index, layer) in stack.layers.enumerated() {
                for (direction, variables) in layer.directions.enumerated() {
                    let parameters = try KerasLayout.pytorchParameters(variables, mode: layer.mode)
                    var items = [(ParameterName.Role.weightIH, parameters.weightIH), (.weightHH, parameters.weightHH)]
                    if let (ih, hh) = parameters.biases { items += [(.biasIH, ih), (.biasHH, hh)] }
                    for (role, tensor) in items {
                        let parameter = ParameterName(role, layer: index, reverse: direction == 1)
                        result.tensors.append(NamedTensor(name: ModulePath(name).qualify(parameter.text), tensor: tensor))
                    }
                }
            }
            result.hints[name] = hints(stack, configured: configured, mixedClasses: !stackAcrossLayers || unstacked)
        }
        let others = weights.tensors.filter { !consumed.contains($0.name) && !$0.name.hasPrefix("optimizer.") }
        result.tensors += others
        if weights.tensors.contains(where: { $0.name.hasPrefix("optimizer.") }) {
            result.metadata["keras.optimizer"] = "optimizer state present in the file, not read"
        }
        return result
    }

    /// Whether `layer` can be the next PyTorch layer after `last`.
    private static func continues(_ last: KerasRecurrentLayer, _ lastEntry: KerasLayerEntry, with layer: KerasRecurrentLayer) -> Bool {
        last.mode == layer.mode && last.units == layer.units && last.bidirectional == layer.bidirectional
            && last.useBias == layer.useBias && last.activation == layer.activation && last.variant == layer.variant
            && layer.variant.merge == .concat
            && (lastEntry.recurrent?.returnSequences ?? true)
            && layer.inputSize == last.units * (last.bidirectional ? 2 : 1)
    }

    /// What the file says (and does not say) about a module beyond its weights.
    private static func hints(_ stack: Stack, configured: Bool, mixedClasses: Bool) -> ModuleHints {
        let first = stack.layers[0]
        var notes: [ModuleNote] = []
        if configured {
            if let before = stack.entries[0].computedBefore {
                notes.append(.computedBefore(layer: before))
            }
            if let last = stack.entries.last?.recurrent, !last.returnSequences {
                notes.append(.lastStepOnly(layer: stack.entries.last?.name ?? ""))
            }
        } else {
            notes.append(.layersInferred(count: stack.layers.count, mode: first.mode, bidirectional: first.bidirectional))
            notes.append(.weightlessLayersUnrecorded)
            if first.mode == .rnn {
                notes.append(.simpleRNNActivation(layer: nil, file: "a .weights.h5 file"))
            }
            if first.mode == .gru, !first.variant.linearBeforeReset {
                notes.append(.gruResetBefore)
            }
            if first.mode == .gru, !first.useBias {
                notes.append(.gruResetAfterAssumed)
            }
            if mixedClasses {
                notes.append(.layersUnordered)
            }
        }
        let names = stack.entries.map { "'\($0.name)'" }.joined(separator: ", ")
        var hints = ModuleHints(nonlinearity: first.mode == .rnn ? Nonlinearity(rawValue: first.activation) : nil, batchFirst: true,
                                source: "Keras layer\(stack.entries.count == 1 ? "" : "s") \(names)", notes: notes)
        if !first.variant.isPyTorch { hints.variant = first.variant }
        hints.reducedPrecision = stack.entries.lazy.compactMap(\.precision).first
        hints.inputMask = stack.entries[0].inputMask
        hints.inputMask?.zeroOutput = stack.entries.last?.recurrent?.zeroOutputForMask ?? false
        return hints
    }
}

extension KerasImporter {
    /// The recurrent layer `entry` describes, its variables read and checked
    /// against each other and the config; nil when `entry` is no recurrent
    /// layer. The dataset names used are added to `consumed`. In a file with
    /// a config (`configured`), a layer of a class rnnkit does not read that
    /// holds a recurrent cell's variables is refused: its class may compute
    /// something else (a custom subclass of `LSTM`), so they are never read as
    /// a default `LSTM`, as a weights file's are.
    static func recurrentLayer(_ entry: KerasLayerEntry, tensors: [String: Tensor], file: String, configured: Bool,
                               consumed: inout Set<String>) throws -> KerasRecurrentLayer? {
        let bidirectional = entry.recurrent?.bidirectional ?? (tensors["\(entry.group).forward_layer.cell.vars.0"] != nil)
        let groups = bidirectional
            ? ["\(entry.group).forward_layer.cell.vars", "\(entry.group).backward_layer.cell.vars"]
            : ["\(entry.group).cell.vars"]
        guard groups.allSatisfy({ tensors["\($0).0"] != nil }) else {
            if entry.recurrent != nil {
                throw TensorFileError(file: file, tensor: groups[0].replacingOccurrences(of: ".", with: "/") + "/0", .notFound)
            }
            return nil
        }
        func fail(_ why: LayerRefusal) -> ConversionError {
            ConversionError.refusedLayer(file: file, layer: entry.name, className: nil, reasons: [why])
        }
        if configured, entry.recurrent == nil {
            throw ConversionError.refusedLayer(file: file, layer: entry.name, className: entry.className, reasons: [.unknownRecurrentClass])
        }
        var layer: KerasRecurrentLayer?
        for group in groups {
            let variables = (0 ..< 3).compactMap { index in tensors["\(group).\(index)"].map { (name: "\(group).\(index)", tensor: $0) } }
            guard variables.count >= 2, tensors["\(group).3"] == nil else {
                throw fail(.variableCount(group: group.replacingOccurrences(of: ".", with: "/"), count: variables.count))
            }
            let kernel = variables[0].tensor, recurrent = variables[1].tensor, storedBias = variables.count == 3 ? variables[2].tensor : nil
            guard kernel.shape.count == 2, recurrent.shape.count == 2, recurrent.shape[0] > 0,
                  kernel.shape[1] == recurrent.shape[1], recurrent.shape[1] % recurrent.shape[0] == 0,
                  let gateMode = RNNMode(gateCount: recurrent.shape[1] / recurrent.shape[0]) else {
                throw fail(.kernelShapes(kernel: kernel.shape, recurrent: recurrent.shape))
            }
            let mode = entry.recurrent?.mode ?? gateMode
            let units = recurrent.shape[0], width = recurrent.shape[1]
            guard mode == gateMode else {
                throw fail(.modeMismatch(configured: mode, recurrent: recurrent.shape, gates: gateMode.gateCount))
            }
            if let configured = entry.recurrent?.units, configured != units {
                throw fail(.unitsMismatch(configured: configured, recurrent: recurrent.shape))
            }
            if let configured = entry.recurrent?.useBias, configured != (storedBias != nil) {
                throw fail(.useBiasMismatch(configured: configured, variables: variables.count))
            }
            var variant = entry.recurrent?.variant ?? .pytorch
            var bias = storedBias
            if let given = storedBias {
                // reset_after=False keeps one bias row (b_ih); b_hh is then zeros.
                let oneRow = mode == .gru && given.shape == [width]
                if oneRow, entry.recurrent == nil { variant.linearBeforeReset = false }
                let expected = mode == .gru && variant.linearBeforeReset ? [2, width] : [width]
                guard given.shape == expected else {
                    throw fail(.biasShape(given.shape, expected: expected,
                                          resetAfter: mode == .gru && entry.recurrent != nil ? variant.linearBeforeReset : nil))
                }
                if oneRow {
                    var rows = try given.data()
                    rows.append(Data(count: rows.count))
                    bias = try Tensor(dtype: given.dtype, shape: [2, width], data: rows)
                }
            }
            guard variables.allSatisfy({ $0.tensor.dtype == kernel.dtype }), kernel.dtype.isFloatingPoint else {
                throw fail(.variableTypes(variables.map(\.tensor.dtype)))
            }
            let direction = KerasLayout.Variables(kernel: kernel, recurrentKernel: recurrent, bias: bias)
            if var built = layer {
                guard built.units == units, built.inputSize == kernel.shape[0], built.useBias == (bias != nil) else {
                    throw fail(.backwardShapes)
                }
                built.directions.append(direction)
                layer = built
            } else {
                layer = KerasRecurrentLayer(
                    mode: mode, units: units, inputSize: kernel.shape[0], bidirectional: bidirectional, useBias: bias != nil,
                    activation: entry.recurrent?.activation ?? (mode == .rnn ? "" : "tanh"),
                    name: entry.name, innerName: entry.name, path: entry.group, directions: [direction], variant: variant)
            }
            consumed.formUnion(variables.map(\.name))
        }
        return layer
    }
}
