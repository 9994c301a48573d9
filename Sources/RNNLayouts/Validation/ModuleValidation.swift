import TensorFiles

/// The one check of a recurrent module, shared by `inspect`, the engine and
/// the exporters: every tensor against the architecture (missing, misshaped,
/// non-float, mixed-dtype, unexpected), the sizes and cell options against the
/// mode, and an asked nonlinearity against the mode and the file's activation.
public enum ModuleValidation {
    /// Every problem of `module`, in a stable order: sizes, then each expected
    /// tensor, tensors with no place, dtypes, the cell variant and its
    /// peepholes, and last `nonlinearity` (nil: none asked).
    public static func problems(of module: RNNModule, nonlinearity: Nonlinearity? = nil) -> [ModuleProblem] {
        sizeProblems(module.architecture)
            + tensorProblems(module)
            + dtypeProblems(module)
            + variantProblems(module)
            + (nonlinearity.map { nonlinearityProblems($0, module.architecture) } ?? [])
    }

    /// Throws `ModuleValidationError` listing every problem of `module`, if any.
    public static func check(_ module: RNNModule, nonlinearity: Nonlinearity? = nil) throws {
        let problems = problems(of: module, nonlinearity: nonlinearity)
        guard problems.isEmpty else { throw ModuleValidationError(module: module.path, problems: problems) }
    }

    /// `hidden_size` and `proj_size` against each other and the mode.
    static func sizeProblems(_ architecture: RNNArchitecture) -> [ModuleProblem] {
        var problems: [ModuleProblem] = []
        if architecture.hiddenSize < 1 { problems.append(.hiddenSizeTooSmall(architecture.hiddenSize)) }
        if architecture.projSize > 0 && architecture.mode != .lstm {
            problems.append(.projectionNotLSTM(projSize: architecture.projSize, mode: architecture.mode))
        }
        if architecture.projSize > 0 && architecture.projSize >= architecture.hiddenSize {
            problems.append(.projectionTooLarge(projSize: architecture.projSize, hiddenSize: architecture.hiddenSize))
        }
        return problems
    }

    /// Missing and misshaped expected tensors, then those with no place.
    static func tensorProblems(_ module: RNNModule) -> [ModuleProblem] {
        let architecture = module.architecture
        var problems: [ModuleProblem] = []
        let expected = architecture.parameterNames
        for parameter in expected {
            let shape = architecture.expectedShape(of: parameter)
            let reason = architecture.shapeReason(of: parameter)
            let name = module.qualifiedName(of: parameter)
            if let why = module.unreadable[parameter] {
                problems.append(.unreadableTensor(tensor: name, why: why))
                continue
            }
            guard let tensor = module.tensor(parameter) else {
                problems.append(.missingTensor(tensor: name, expected: shape, reason: reason,
                                               evidence: ModuleEvidence.missing(parameter, module)))
                continue
            }
            if tensor.shape != shape {
                problems.append(.misshapedTensor(tensor: name, shape: tensor.shape, expected: shape, reason: reason,
                                                 hint: ModuleEvidence.shapeHint(parameter, tensor.shape, architecture)))
            }
        }
        let expectedSet = Set(expected)
        for parameter in module.unreadable.keys.sorted() where !expectedSet.contains(parameter) {
            problems.append(.unreadableTensor(tensor: module.qualifiedName(of: parameter), why: module.unreadable[parameter] ?? ""))
        }
        for parameter in module.parameters.keys.sorted() where !expectedSet.contains(parameter) {
            problems.append(.unexpectedTensor(tensor: module.qualifiedName(of: parameter),
                                              why: ModuleEvidence.unexpected(parameter, architecture)))
        }
        return problems
    }

    /// Integer weights, and float tensors whose dtype differs from the one
    /// most of the module's tensors have (as inference decides the module's
    /// dtype; a module built in code may carry any `architecture.dtype`).
    static func dtypeProblems(_ module: RNNModule) -> [ModuleProblem] {
        let names = module.parameters.keys.sorted()
        let dominant = ModuleInference.dominantDType(names.compactMap { module.parameters[$0]?.dtype })
        return names.compactMap { parameter in
            guard let dtype = module.parameters[parameter]?.dtype else { return nil }
            let name = module.qualifiedName(of: parameter)
            if !dtype.isFloatingPoint { return .notFloatingPoint(tensor: name, dtype: dtype) }
            guard dtype != dominant, dominant.isFloatingPoint else { return nil }
            return .mixedDType(tensor: name, dtype: dtype, module: module.path, moduleDType: dominant)
        }
    }

    /// The cell variant's options against the mode, and its peephole tensors.
    static func variantProblems(_ module: RNNModule) -> [ModuleProblem] {
        let a = module.architecture, v = a.variant
        var problems: [ModuleProblem] = []
        if (a.mode == .rnn && (v.gate != .sigmoid || v.output != .tanh)) || (a.mode == .gru && v.output != .tanh) {
            problems.append(.activationNotApplicable(mode: a.mode, gate: v.gate, output: v.output))
        }
        if a.mode != .gru, !v.linearBeforeReset { problems.append(.optionNotApplicable(.resetBeforeLinear, mode: a.mode)) }
        if a.mode != .lstm, v.inputForget { problems.append(.optionNotApplicable(.inputForget, mode: a.mode)) }
        if a.mode != .lstm, v.peepholes { problems.append(.optionNotApplicable(.peepholes, mode: a.mode)) }
        if let clip = v.clip, !(clip.isFinite && clip > 0) { problems.append(.invalidClip(clip)) }
        for activation in [v.gate, v.candidate, v.output] {
            if case .hardSigmoid(let alpha, let beta) = activation, !(alpha.isFinite && beta.isFinite) {
                problems.append(.nonFiniteHardSigmoid(alpha: alpha, beta: beta))
            }
        }
        if a.bidirectional, v.direction != .forward { problems.append(.directionOnBidirectional(v.direction)) }
        if !a.bidirectional, v.merge != .concat { problems.append(.mergeWithoutTwoDirections(v.merge)) }
        let slices = a.numLayers * a.directions
        if v.peepholes {
            for index in 0 ..< slices {
                let layer = index / a.directions
                let reverse: Bool? = a.directions == 2 ? index % 2 == 1 : nil
                let expected = 3 * a.hiddenSize
                guard let tensor = module.peepholes[index] else {
                    problems.append(.missingPeepholes(layer: layer, reverse: reverse, expected: expected))
                    continue
                }
                if tensor.shape != [expected] {
                    problems.append(.misshapedPeepholes(layer: layer, reverse: reverse, shape: tensor.shape, expected: expected))
                }
                if !tensor.dtype.isFloatingPoint {
                    problems.append(.peepholesNotFloatingPoint(layer: layer, reverse: reverse, dtype: tensor.dtype))
                }
            }
        }
        if let extra = module.peepholes.slices.keys.sorted().first(where: { !v.peepholes || $0 >= slices || $0 < 0 }) {
            problems.append(.unexpectedPeepholes(slice: extra, mode: a.mode, peepholes: v.peepholes, slices: slices))
        }
        return problems
    }

    /// An asked activation: relu is an Elman RNN's only, and only where the
    /// file records no other activation.
    static func nonlinearityProblems(_ nonlinearity: Nonlinearity, _ architecture: RNNArchitecture) -> [ModuleProblem] {
        guard nonlinearity != .tanh else { return [] }
        if architecture.mode != .rnn { return [.nonlinearityNotApplicable(nonlinearity, mode: architecture.mode)] }
        let recorded = architecture.variant.candidate
        if recorded != .tanh { return [.nonlinearityContradictsActivation(nonlinearity, recorded: recorded)] }
        return []
    }
}

/// A module that does not pass `ModuleValidation`, with every problem found.
public struct ModuleValidationError: BadInputError, Equatable, Sendable {
    /// The module concerned.
    public var module: ModulePath
    /// What is wrong with it, at least one.
    public var problems: [ModuleProblem]

    /// Creates the error.
    public init(module: ModulePath, problems: [ModuleProblem]) {
        self.module = module
        self.problems = problems
    }

    /// `module 'enc' is not valid: problem; problem`.
    public var description: String {
        "module '\(module)' is not valid: " + problems.map(\.description).joined(separator: "; ")
    }
}
