import Foundation
import ONNXProto
import RNNLayouts
import TensorFiles

/// The ONNX spelling of the cell options beyond PyTorch's (`CellVariant`):
/// `activations` / `activation_alpha` / `activation_beta`,
/// `linear_before_reset`, the `P` input, `clip`, `input_forget`, `direction`.
///
/// `activation_alpha` / `activation_beta` are consumed in order by the
/// activations that take them (onnxruntime's reading, checked by
/// Fixtures/variants/); rnnkit runs Sigmoid, Tanh, Relu and HardSigmoid, of
/// which only HardSigmoid takes them, so the lists must hold one value per
/// HardSigmoid (or be absent: alpha 0.2, beta 0.5).
enum ONNXVariant {
    /// The activation functions rnnkit runs, by lowercased ONNX name.
    static let known = ["sigmoid", "tanh", "relu", "hardsigmoid"]

    /// The variant an `LSTM` / `GRU` / `RNN` node's attributes describe, and
    /// an RNN's PyTorch nonlinearity (tanh or relu; nil when its activation
    /// is another one, which the variant then holds). `directions` is 1 for
    /// `direction="reverse"` (which the variant records).
    static func read(_ attributes: ONNXAttributes, mode: RNNMode, directions: Int, reverse: Bool,
                     refuse: (NodeRefusal) -> ConversionError) throws -> (CellVariant, Nonlinearity?) {
        var variant = CellVariant()
        if reverse { variant.direction = .reverse }
        if mode == .gru { variant.linearBeforeReset = (attributes.int("linear_before_reset") ?? 0) != 0 }
        if mode == .lstm { variant.inputForget = (attributes.int("input_forget") ?? 0) != 0 }
        if let clip = attributes.float("clip") {
            guard clip.isFinite, clip > 0 else { throw refuse(.clip(clip)) }
            variant.clip = clip
        }
        let slots = mode == .lstm ? 3 : mode == .gru ? 2 : 1
        guard let given = attributes.strings("activations"), !given.isEmpty else {
            return (variant, mode == .rnn ? .tanh : nil)
        }
        guard given.count == slots * directions else {
            throw refuse(.activationCount(given, slots: slots, directions: directions))
        }
        let lowered = given.map { $0.lowercased() }
        if let unknown = given.first(where: { !known.contains($0.lowercased()) }) {
            throw refuse(.unknownActivation(unknown))
        }
        // One alpha and one beta per HardSigmoid, in order; absent lists mean ONNX's defaults.
        let hardSigmoids = lowered.filter { $0 == "hardsigmoid" }.count
        let alphas = attributes.floats("activation_alpha") ?? [], betas = attributes.floats("activation_beta") ?? []
        for (name, list) in [("activation_alpha", alphas), ("activation_beta", betas)] where !list.isEmpty && hardSigmoids > 0 {
            guard list.count == hardSigmoids else {
                throw refuse(.hardSigmoidParameters(name: name, values: list, hardSigmoids: hardSigmoids))
            }
        }
        if let bad = (alphas + betas).first(where: { !$0.isFinite }) {
            throw refuse(.nonFiniteParameter(bad))
        }
        var index = 0
        let functions: [GateActivation] = lowered.map { name in
            switch name {
            case "sigmoid": return .sigmoid
            case "tanh": return .tanh
            case "relu": return .relu
            default:
                defer { index += 1 }
                return .hardSigmoid(alpha: alphas.isEmpty ? 0.2 : alphas[index], beta: betas.isEmpty ? 0.5 : betas[index])
            }
        }
        let perDirection = (0 ..< directions).map { Array(functions[$0 * slots ..< ($0 + 1) * slots]) }
        guard Set(perDirection.map { $0.map(\.text) }).count == 1 else {
            throw refuse(.directionsDiffer(given))
        }
        let cell = perDirection[0]
        switch mode {
        case .lstm: (variant.gate, variant.candidate, variant.output) = (cell[0], cell[1], cell[2])
        case .gru: (variant.gate, variant.candidate) = (cell[0], cell[1])
        case .rnn:
            switch cell[0] {
            case .tanh: return (variant, .tanh)
            case .relu: return (variant, .relu)
            default: variant.candidate = cell[0]
            }
            return (variant, nil)
        }
        return (variant, nil)
    }

    /// The peepholes of direction `direction` of an `LSTM` node's `P`
    /// `(directions, 3·hidden)`; nil when all zero (PyTorch's cell computes the same).
    static func peephole(_ p: Tensor, direction: Int, directions: Int, hidden: Int,
                         refuse: (NodeRefusal) -> ConversionError) throws -> Tensor? {
        guard p.shape == [directions, 3 * hidden], p.dtype.isFloatingPoint else {
            throw refuse(.peepholeShape(dtype: p.dtype, shape: p.shape, directions: directions, width: 3 * hidden))
        }
        let data = try p.data()
        let size = data.count / directions
        let slice = Data(data[data.startIndex + direction * size ..< data.startIndex + (direction + 1) * size])
        let tensor = try Tensor(dtype: p.dtype, shape: [3 * hidden], data: slice)
        return try tensor.doubles().contains(where: { $0 != 0 }) ? tensor : nil
    }

    /// The attributes a node of `architecture` needs for its variant, beyond
    /// `hidden_size` and `direction` (`activations` with alpha/beta, `clip`,
    /// `input_forget`); `linear_before_reset` is written by the caller.
    static func attributes(_ architecture: RNNArchitecture, nonlinearity: Nonlinearity) -> [Onnx_AttributeProto] {
        let v = architecture.variant
        var attributes: [Onnx_AttributeProto] = []
        let cell: [GateActivation]
        switch architecture.mode {
        case .lstm: cell = [v.gate, v.candidate, v.output]
        case .gru: cell = [v.gate, v.candidate]
        case .rnn: cell = [v.candidate == .tanh && nonlinearity == .relu ? .relu : v.candidate]
        }
        let functions = Array(repeating: cell, count: architecture.directions).flatMap { $0 }
        attributes.append(ONNXGraphBuilder.attribute("activations", strings: functions.map(\.onnxName)))
        let hard = functions.filter { $0.alpha != nil }
        if !hard.isEmpty {
            attributes.append(floats("activation_alpha", hard.compactMap(\.alpha)))
            attributes.append(floats("activation_beta", hard.compactMap(\.beta)))
        }
        if let clip = v.clip {
            var attribute = Onnx_AttributeProto()
            attribute.name = "clip"
            attribute.type = .float
            attribute.f = clip
            attributes.append(attribute)
        }
        if v.inputForget { attributes.append(ONNXGraphBuilder.attribute("input_forget", int: 1)) }
        return attributes
    }

    private static func floats(_ name: String, _ values: [Float]) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .floats
        attribute.floats = values
        return attribute
    }
}
