import TensorFiles

/// Infers one module's architecture from its tensors and checks every tensor
/// against it.
enum ModuleInference {
    /// Why a group of tensors could not be read as a module at all.
    struct Failure: Error {
        var problems: [Problem]
    }

    static func infer(
        name: String, members: [(ParameterName, NamedTensor)]
    ) -> Result<(RNNModule, [Problem]), Failure> {
        func qualified(_ parameter: ParameterName) -> String {
            name.isEmpty ? parameter.text : "\(name).\(parameter.text)"
        }
        let display = name.isEmpty ? "the root module" : "module '\(name)'"
        var problems: [Problem] = []
        var parameters: [ParameterName: Tensor] = [:]
        for (parameter, named) in members {
            parameters[parameter] = named.tensor
        }

        // Layer form or cell form.
        let cellCount = parameters.keys.filter { $0.layer == nil }.count
        if cellCount > 0 && cellCount < parameters.count {
            return .failure(Failure(problems: [Problem(
                tensor: nil,
                message: "\(display) mixes cell names (weight_ih) with layer names (weight_ih_l0); rename one set")]))
        }
        let kind: ModuleKind = cellCount > 0 ? .cell : .layer
        let first = ParameterName(.weightIH, layer: kind == .cell ? nil : 0)
        let firstHH = ParameterName(.weightHH, layer: kind == .cell ? nil : 0)
        guard let weightIH = parameters[first], weightIH.shape.count == 2 else {
            return .failure(Failure(problems: [Problem(
                tensor: qualified(first),
                message: parameters[first] == nil
                    ? "missing: every \(display == "the root module" ? "module" : "module") needs \(first.text) (shape (gates·hidden_size, input_size)) to infer its sizes"
                    : "expected a 2-D matrix (gates·hidden_size, input_size), found shape \(parameters[first]!.shape)")]))
        }
        guard let weightHH = parameters[firstHH], weightHH.shape.count == 2 else {
            return .failure(Failure(problems: [Problem(
                tensor: qualified(firstHH),
                message: parameters[firstHH] == nil
                    ? "missing: needed (shape (gates·hidden_size, hidden_size)) to infer hidden_size and the mode"
                    : "expected a 2-D matrix (gates·hidden_size, hidden_size), found shape \(parameters[firstHH]!.shape)")]))
        }

        // hidden_size and proj_size: weight_hr_l0 is (proj, hidden) when present.
        var hidden = weightHH.shape[1]
        var proj = 0
        if kind == .layer, let weightHR = parameters[ParameterName(.weightHR, layer: 0)], weightHR.shape.count == 2 {
            proj = weightHR.shape[0]
            hidden = weightHR.shape[1]
        }
        let rows = weightHH.shape[0]
        guard hidden > 0, rows % hidden == 0, let mode = RNNMode(gateCount: rows / hidden) else {
            let multiple = hidden > 0 && rows % hidden == 0 ? "\(rows / hidden)" : "\(rows)/\(hidden)"
            return .failure(Failure(problems: [Problem(
                tensor: qualified(firstHH),
                message: "shape \(weightHH.shape): rows are \(multiple) × hidden_size \(hidden); expected 1 (RNN), 3 (GRU) or 4 (LSTM) × hidden_size")]))
        }

        let layerIndices = parameters.keys.compactMap(\.layer)
        let architecture = RNNArchitecture(
            mode: mode, kind: kind, inputSize: weightIH.shape[1], hiddenSize: hidden,
            projSize: proj, numLayers: kind == .cell ? 1 : (layerIndices.max() ?? 0) + 1,
            bidirectional: parameters.keys.contains { $0.reverse },
            bias: parameters.keys.contains { $0.role == .biasIH || $0.role == .biasHH },
            dtype: dominantDType(parameters.values.map(\.dtype)))
        if proj > 0 && mode != .lstm {
            problems.append(Problem(
                tensor: qualified(ParameterName(.weightHR, layer: 0)),
                message: "weight_hr (proj_size) exists only for LSTM, but the gate multiple says \(mode.rawValue)"))
        }

        // Every expected tensor present, with the expected shape.
        let expected = Set(architecture.parameterNames)
        for parameter in architecture.parameterNames {
            let shape = architecture.expectedShape(of: parameter)
            guard let tensor = parameters[parameter] else {
                problems.append(Problem(
                    tensor: qualified(parameter),
                    message: "missing; expected shape \(shapeText(shape)) (\(architecture.shapeReason(of: parameter)))"
                        + missingHint(parameter, architecture)))
                continue
            }
            if tensor.shape != shape {
                problems.append(Problem(
                    tensor: qualified(parameter),
                    message: "shape \(shapeText(tensor.shape)), expected \(shapeText(shape)): \(architecture.shapeReason(of: parameter))"))
            }
        }
        for parameter in parameters.keys.sorted() where !expected.contains(parameter) {
            problems.append(Problem(
                tensor: qualified(parameter),
                message: "unexpected in a \(mode.rawValue) \(kind.rawValue) with \(architecture.numLayers) layer(s), "
                    + "bias=\(architecture.bias ? "True" : "False"), proj_size=\(proj)"))
        }
        let dtypes = Set(parameters.values.map(\.dtype))
        if dtypes.count > 1 {
            let listing = parameters.keys.sorted().map { "\($0.text) \(parameters[$0]!.dtype.rawValue)" }
            problems.append(Problem(
                tensor: nil,
                message: "\(display) mixes dtypes (\(dtypes.map(\.rawValue).sorted().joined(separator: ", "))): \(listing.joined(separator: ", "))"))
        }
        for parameter in parameters.keys.sorted() where !(parameters[parameter]!.dtype.isFloatingPoint) {
            problems.append(Problem(
                tensor: qualified(parameter),
                message: "dtype \(parameters[parameter]!.dtype.rawValue): weights must be floating point"))
        }
        return .success((RNNModule(name: name, architecture: architecture, parameters: parameters), problems))
    }

    static func missingHint(_ parameter: ParameterName, _ architecture: RNNArchitecture) -> String {
        if parameter.reverse {
            return "; other layers have a _reverse direction, so the module is bidirectional and every layer needs one"
        }
        if parameter.role == .biasIH || parameter.role == .biasHH {
            return "; other bias tensors exist, so the module has bias=True and needs all of them"
        }
        return ""
    }

    static func dominantDType(_ dtypes: [DType]) -> DType {
        var counts: [DType: Int] = [:]
        for dtype in dtypes { counts[dtype, default: 0] += 1 }
        return counts.max { a, b in a.value == b.value ? a.key.rawValue > b.key.rawValue : a.value < b.value }?.key ?? .float32
    }
}

/// `(4, 8)` style, as PyTorch prints `torch.Size`.
public func shapeText(_ shape: [Int]) -> String {
    shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
}
