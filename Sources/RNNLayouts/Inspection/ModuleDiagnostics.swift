import TensorFiles

/// Checks every tensor of a module against the architecture inferred for it:
/// missing tensors, misshaped ones (with the expected shape and why), tensors
/// that have no place in it, and dtypes. Each problem names one tensor.
enum ModuleDiagnostics {
    static func check(_ module: RNNModule) -> [Problem] {
        let architecture = module.architecture
        let naming = ModuleNaming(module: module.name)
        let parameters = module.parameters
        var problems: [Problem] = []
        let expected = architecture.parameterNames
        for parameter in expected {
            let shape = architecture.expectedShape(of: parameter)
            let reason = architecture.shapeReason(of: parameter)
            guard let tensor = parameters[parameter] else {
                problems.append(Problem(
                    tensor: naming.qualified(parameter),
                    message: "missing; expected shape \(shapeText(shape)): \(reason)"
                        + missingHint(parameter, module)))
                continue
            }
            if tensor.shape != shape {
                problems.append(Problem(
                    tensor: naming.qualified(parameter),
                    message: "shape \(shapeText(tensor.shape)), expected \(shapeText(shape)): \(reason)"
                        + misshapeHint(parameter, tensor.shape, architecture)))
            }
        }
        let expectedSet = Set(expected)
        for parameter in parameters.keys.sorted() where !expectedSet.contains(parameter) {
            problems.append(Problem(
                tensor: naming.qualified(parameter),
                message: unexpectedMessage(parameter, architecture)))
        }
        problems += dtypeProblems(module, naming)
        return problems
    }

    /// Why a missing tensor is expected: the evidence that the module needs it.
    static func missingHint(_ parameter: ParameterName, _ module: RNNModule) -> String {
        let architecture = module.architecture
        let present = module.parameters.keys.sorted()
        func examples(_ filter: (ParameterName) -> Bool) -> String {
            let found = present.filter(filter).map(\.text)
            return found.prefix(2).joined(separator: ", ") + (found.count > 2 ? ", …" : "")
        }
        let layer = parameter.layer ?? 0
        if !present.contains(where: { $0.layer == parameter.layer }) {
            return "; layer \(architecture.numLayers - 1) exists (\(examples { $0.layer == architecture.numLayers - 1 })), "
                + "so num_layers is at least \(architecture.numLayers) and every layer below it needs its tensors"
        }
        if parameter.reverse && !present.contains(where: { $0.layer == layer && $0.reverse }) {
            return "; the module is bidirectional (\(examples { $0.reverse })), so every layer has a _reverse direction "
                + "with its own weights, and layer \(layer) has none"
        }
        switch parameter.role {
        case .biasIH, .biasHH:
            let holders = Set(present.filter { $0.role == .biasIH || $0.role == .biasHH }.compactMap(\.layer)).sorted()
            let where_ = architecture.kind == .cell ? "" : " (found on layer\(holders.count == 1 ? "" : "s") \(holders.map(String.init).joined(separator: ", ")) only)"
            return "; the module has bias tensors\(where_), so it was built with bias=True, "
                + "and then every layer and direction has both bias_ih and bias_hh"
        case .weightHR:
            return "; weight_hh's columns are proj_size \(architecture.projSize), not hidden_size \(architecture.hiddenSize), "
                + "so this LSTM projects its state and every layer and direction has a weight_hr"
        case .weightIH, .weightHH:
            return parameter.reverse
                ? "; the module is bidirectional (\(examples { $0.reverse })), and each direction has its own weight_ih and weight_hh"
                : "; every layer and direction has its own weight_ih and weight_hh"
        }
    }

    /// What the actual shape suggests went wrong.
    static func misshapeHint(_ parameter: ParameterName, _ shape: [Int], _ architecture: RNNArchitecture) -> String {
        let expected = architecture.expectedShape(of: parameter)
        if shape.count == 2 && shape == Array(expected.reversed()) {
            return "; it looks transposed (PyTorch stores (out_features, in_features); Keras stores the transpose)"
        }
        let family = architecture.mode.pytorchClass(architecture.kind)
        let gates = architecture.mode.gateCount
        if parameter.role != .weightHR, let rows = shape.first, rows != architecture.gateRows, rows % gates == 0 {
            let otherLayer = architecture.kind == .layer ? " layer and direction" : ""
            return "; its rows say hidden_size \(rows / gates), but the module's other tensors say \(architecture.hiddenSize): "
                + "every\(otherLayer) of one \(family) shares hidden_size"
        }
        guard parameter.role == .weightIH, shape.count == 2, shape[0] == expected[0] else { return "" }
        let columns = shape[1]
        let layer = parameter.layer ?? 0
        if layer == 0 {
            return parameter.reverse
                ? "; both directions of layer 0 read the same input, and the forward one says input_size \(architecture.inputSize)"
                : ""
        }
        let state = architecture.stateSize
        if architecture.bidirectional && columns == state {
            return "; \(columns) is one direction's width, but layer \(layer - 1) is bidirectional: "
                + "layer \(layer) reads both directions' h concatenated (2·\(state) = \(2 * state))"
        }
        if !architecture.bidirectional && columns == 2 * state {
            return "; \(columns) = 2·\(state) would mean a bidirectional layer below, but the module has no _reverse tensors"
        }
        if columns == architecture.inputSize {
            return "; \(columns) is input_size, but only layer 0 reads the input; layer \(layer) reads layer \(layer - 1)'s output"
        }
        return ""
    }

    /// Why a tensor that is present has no place in the inferred module.
    static func unexpectedMessage(_ parameter: ParameterName, _ architecture: RNNArchitecture) -> String {
        if parameter.role == .weightHR {
            if architecture.mode != .lstm {
                return "weight_hr is LSTM's projection (proj_size); a \(architecture.mode.rawValue) has none "
                    + "(the gate multiple of weight_hh says \(architecture.mode.rawValue))"
            }
            return "weight_hr (proj_size) found, but weight_hh's columns equal hidden_size \(architecture.hiddenSize), "
                + "so this LSTM has no projection; with proj_size, weight_hh would be (\(architecture.gateRows), proj_size)"
        }
        return "unexpected in a \(architecture.mode.pytorchClass(architecture.kind)) with num_layers=\(architecture.numLayers), "
            + "bidirectional=\(architecture.bidirectional ? "True" : "False"), bias=\(architecture.bias ? "True" : "False")"
    }

    /// Integer weights, and tensors whose dtype differs from the rest of the module.
    static func dtypeProblems(_ module: RNNModule, _ naming: ModuleNaming) -> [Problem] {
        let dominant = module.architecture.dtype
        var problems: [Problem] = []
        for parameter in module.parameters.keys.sorted() {
            guard let dtype = module.parameters[parameter]?.dtype, dtype != dominant else { continue }
            if !dtype.isFloatingPoint {
                problems.append(Problem(
                    tensor: naming.qualified(parameter),
                    message: "dtype \(dtype.rawValue): recurrent weights must be floating point (float16, bfloat16, float32 or float64)"))
            } else {
                problems.append(Problem(
                    tensor: naming.qualified(parameter),
                    message: "dtype \(dtype.rawValue), but the rest of \(naming.display) is \(dominant.rawValue): "
                        + "a PyTorch module holds one dtype (module.to(torch.\(dominant.rawValue)) makes them agree)"))
            }
        }
        return problems
    }
}
