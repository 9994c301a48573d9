import TensorFiles

/// Reads a module's other tensors for why a tensor is missing, what a wrong
/// shape suggests, and why a tensor has no place: the data of
/// `ModuleProblem`'s evidence, hints and reasons.
enum ModuleEvidence {
    /// Why a missing tensor is expected: the evidence that the module needs it.
    static func missing(_ parameter: ParameterName, _ module: RNNModule) -> MissingEvidence {
        let architecture = module.architecture
        let present = module.parameters.keys.sorted()
        func examples(_ filter: (ParameterName) -> Bool) -> [String] { present.filter(filter).map(\.text) }
        let layer = parameter.layer ?? 0
        if !present.contains(where: { $0.layer == parameter.layer }) {
            let top = architecture.numLayers - 1
            return .higherLayerExists(topLayer: top, examples: examples { $0.layer == top }, numLayers: architecture.numLayers)
        }
        if parameter.reverse && !present.contains(where: { $0.layer == layer && $0.reverse }) {
            return .bidirectional(layer: layer, examples: examples { $0.reverse })
        }
        switch parameter.role {
        case .biasIH, .biasHH:
            let holders = Set(present.filter { $0.role == .biasIH || $0.role == .biasHH }.compactMap(\.layer)).sorted()
            return .bias(layers: architecture.kind == .cell ? nil : holders)
        case .weightHR:
            return .projection(projSize: architecture.projSize, hiddenSize: architecture.hiddenSize)
        case .weightIH, .weightHH:
            return .ownWeights(reverseExamples: parameter.reverse ? examples { $0.reverse } : nil)
        }
    }

    /// What the actual shape suggests went wrong, if anything.
    static func shapeHint(_ parameter: ParameterName, _ shape: [Int], _ architecture: RNNArchitecture) -> ShapeHint? {
        let expected = architecture.expectedShape(of: parameter)
        if shape.count == 2 && shape == Array(expected.reversed()) { return .transposed }
        let gates = architecture.mode.gateCount
        if parameter.role != .weightHR, let rows = shape.first, rows != architecture.gateRows, rows % gates == 0 {
            return .hiddenSizeDisagrees(rowsSay: rows / gates, moduleSays: architecture.hiddenSize,
                                        mode: architecture.mode, kind: architecture.kind)
        }
        guard parameter.role == .weightIH, shape.count == 2, shape[0] == expected[0] else { return nil }
        let columns = shape[1]
        let layer = parameter.layer ?? 0
        if layer == 0 { return parameter.reverse ? .reverseReadsSameInput(inputSize: architecture.inputSize) : nil }
        let state = architecture.stateSize
        if architecture.bidirectional && columns == state { return .oneDirectionWidth(columns: columns, layer: layer, state: state) }
        if !architecture.bidirectional && columns == 2 * state { return .twoDirectionWidth(columns: columns, state: state) }
        if columns == architecture.inputSize { return .inputSizeAboveLayer0(columns: columns, layer: layer) }
        return nil
    }

    /// Why a tensor that is present has no place in the module.
    static func unexpected(_ parameter: ParameterName, _ architecture: RNNArchitecture) -> UnexpectedReason {
        if parameter.role == .weightHR {
            return architecture.mode != .lstm
                ? .projectionNotLSTM(mode: architecture.mode)
                : .projectionWithoutProjSize(hiddenSize: architecture.hiddenSize, gateRows: architecture.gateRows)
        }
        return .notInModule(mode: architecture.mode, kind: architecture.kind, numLayers: architecture.numLayers,
                            bidirectional: architecture.bidirectional, bias: architecture.bias)
    }
}
