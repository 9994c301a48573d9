import TensorFiles

/// Infers one module's architecture from its tensors' names and shapes, then
/// hands it to `ModuleValidation` to check every tensor against it.
///
/// Sizes are decided by a vote over all tensors of the module (ties go to the
/// tensor PyTorch lists first, i.e. layer 0, forward), so that one misshaped
/// tensor is reported as itself instead of spreading to its neighbours.
enum ModuleInference {
    /// Why a group of tensors could not be read as a module at all.
    struct Failure: Error {
        var problems: [Problem]
    }

    /// What the votes decided.
    struct Sizes {
        var mode: RNNMode
        var inputSize: Int
        var hiddenSize: Int
        var projSize: Int
    }

    /// `unreadable`: the module's tensors the file holds but its reader
    /// could not read; they count for the layers, directions and bias the
    /// names show, and `ModuleValidation` reports each.
    static func infer(
        name: String, members: [(ParameterName, NamedTensor)], unreadable: [ParameterName: String] = [:]
    ) -> Result<(RNNModule, [Problem]), Failure> {
        let naming = ModuleNaming(module: name)
        var parameters: [ParameterName: Tensor] = [:]
        for (parameter, named) in members { parameters[parameter] = named.tensor }
        let names = parameters.keys.sorted()

        // Layer form or cell form: one module cannot be both.
        let cellNames = names.filter { $0.layer == nil }
        let layerNames = names.filter { $0.layer != nil }
        if !cellNames.isEmpty && !layerNames.isEmpty {
            let minority = cellNames.count <= layerNames.count ? cellNames : layerNames
            let majorityExample = (minority == cellNames ? layerNames : cellNames)[0].text
            return .failure(Failure(problems: minority.map { parameter in
                Problem(tensor: naming.qualified(parameter),
                        .mixedNameForms(module: naming.path, cellForm: parameter.layer == nil, example: majorityExample))
            }))
        }
        let kind: ModuleKind = cellNames.isEmpty ? .layer : .cell
        // What the file holds, read or not, in the form the readable names have.
        let held = names + unreadable.keys.filter { ($0.layer == nil) == (kind == .cell) && parameters[$0] == nil }

        switch sizes(kind: kind, parameters: parameters, naming: naming) {
        case .failure(let failure):
            return .failure(failure)
        case .success(let sizes):
            let architecture = RNNArchitecture(
                mode: sizes.mode, kind: kind, inputSize: sizes.inputSize, hiddenSize: sizes.hiddenSize,
                projSize: sizes.projSize,
                numLayers: kind == .cell ? 1 : (held.compactMap(\.layer).max() ?? 0) + 1,
                bidirectional: held.contains { $0.reverse },
                bias: held.contains { $0.role == .biasIH || $0.role == .biasHH },
                dtype: dominantDType(names.compactMap { parameters[$0]?.dtype }))
            var module = RNNModule(name: name, architecture: architecture, parameters: parameters)
            module.unreadable = unreadable
            return .success((module, ModuleValidation.problems(of: module).map(Problem.init)))
        }
    }

    /// Decides mode, input_size, hidden_size and proj_size.
    static func sizes(
        kind: ModuleKind, parameters: [ParameterName: Tensor], naming: ModuleNaming
    ) -> Result<Sizes, Failure> {
        let names = parameters.keys.sorted()
        func shapes(_ roles: Set<ParameterName.Role>, rank: Int) -> [(ParameterName, [Int])] {
            names.compactMap { name in
                guard roles.contains(name.role), let shape = parameters[name]?.shape, shape.count == rank,
                      shape.allSatisfy({ $0 > 0 }) else { return nil }
                return (name, shape)
            }
        }
        let firstIH = ParameterName(.weightIH, layer: kind == .cell ? nil : 0)
        let firstHH = ParameterName(.weightHH, layer: kind == .cell ? nil : 0)
        let matrices = shapes([.weightIH, .weightHH], rank: 2)
        let biases = shapes([.biasIH, .biasHH], rank: 1)
        let recurrent = matrices.filter { $0.0.role == .weightHH }
        // input_size comes from layer 0 only (later layers read the layer below).
        let layer0Inputs = matrices.filter { $0.0.role == .weightIH && ($0.0.layer ?? 0) == 0 }

        guard let rows = mostCommon(matrices.map { $0.1[0] } + biases.map { $0.1[0] }) else {
            return .failure(Failure(problems: [missingProblem(firstHH, naming, parameters, inferring: .hiddenSizeAndMode)]))
        }
        guard let columns = mostCommon(recurrent.map { $0.1[1] }) else {
            return .failure(Failure(problems: [missingProblem(firstHH, naming, parameters, inferring: .hiddenSizeAndMode)]))
        }
        guard let inputSize = mostCommon(layer0Inputs.map { $0.1[1] }) else {
            return .failure(Failure(problems: [missingProblem(firstIH, naming, parameters, inferring: .inputSize)]))
        }
        if rows % columns == 0, let mode = RNNMode(gateCount: rows / columns) {
            return .success(Sizes(mode: mode, inputSize: inputSize, hiddenSize: columns, projSize: 0))
        }
        // LSTM with proj_size: weight_hh is (4·hidden, proj), weight_hr is (proj, hidden).
        let projections = shapes([.weightHR], rank: 2)
        if kind == .layer, !projections.isEmpty, rows % 4 == 0, columns < rows / 4 {
            return .success(Sizes(mode: .lstm, inputSize: inputSize, hiddenSize: rows / 4, projSize: columns))
        }
        // The rows fit one mode only (e.g. 5 = 1×5: only an RNN): then weight_hh's columns are what is wrong.
        let modes = RNNMode.allCases.filter { rows % $0.gateCount == 0 }
        if modes.count == 1, let mode = modes.first {
            return .success(Sizes(mode: mode, inputSize: inputSize, hiddenSize: rows / mode.gateCount, projSize: 0))
        }
        let reference = recurrent.first { $0.1[1] == columns && $0.1[0] == rows }?.0 ?? recurrent[0].0
        return .failure(Failure(problems: [Problem(tensor: naming.qualified(reference),
                                                   .ambiguousMode(rows: rows, columns: columns, modes: modes))]))
    }

    static func missingProblem(
        _ parameter: ParameterName, _ naming: ModuleNaming, _ parameters: [ParameterName: Tensor], inferring: Problem.InferredSize
    ) -> Problem {
        Problem(tensor: naming.qualified(parameter),
                .cannotInfer(module: naming.path, parameter: parameter.text, shape: parameters[parameter]?.shape, inferring: inferring))
    }

    /// The value seen most often; ties go to the value seen first.
    static func mostCommon(_ values: [Int]) -> Int? {
        var counts: [Int: Int] = [:]
        for value in values { counts[value, default: 0] += 1 }
        var best: Int?
        for value in values where best == nil || counts[value, default: 0] > counts[best ?? value, default: 0] {
            best = value
        }
        return best
    }

    /// The dtype most tensors have (ties: the first seen).
    static func dominantDType(_ dtypes: [DType]) -> DType {
        let floating = dtypes.filter(\.isFloatingPoint)
        let pool = floating.isEmpty ? dtypes : floating
        var counts: [DType: Int] = [:]
        for dtype in pool { counts[dtype, default: 0] += 1 }
        var best: DType?
        for dtype in pool where best == nil || counts[dtype, default: 0] > counts[best ?? dtype, default: 0] {
            best = dtype
        }
        return best ?? .float32
    }
}

/// How problems name a module and its tensors.
struct ModuleNaming {
    var module: String

    /// The module's path.
    var path: ModulePath { ModulePath(module) }

    /// The full tensor name of `parameter`.
    func qualified(_ parameter: ParameterName) -> String {
        path.qualify(parameter.text)
    }
}

/// `(4, 8)` style, as PyTorch prints `torch.Size`.
public func shapeText(_ shape: [Int]) -> String {
    shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
}
