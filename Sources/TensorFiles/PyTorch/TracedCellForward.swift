/// The `forward` of a traced `nn.LSTMCell` / `GRUCell` / `RNNCell`, read as
/// text, never run. The tracer writes a cell's math out op by op (PyTorch's
/// CPU cells are composite), so a traced cell has no recurrence call to find:
///
/// ```
///   _1 = torch.linear(zeros, weight_hh, bias_hh)
///   _2 = torch.linear(input, weight_ih, bias_ih)
///   _3 = torch.unsafe_chunk(torch.add_(_1, _2), 4, 1)
///   _4, _5, _6, _7, = _3
///   …
///   _13 = (torch.mul(_11, torch.tanh(_12)), _12)
///   return _13
/// ```
///
/// A forward hook or pre-hook traced into it is one more op among these
/// (`torch.mul(o0, CONSTANTS.c0)`). So the returned value is expanded into
/// one expression over the input, the state and the weights and compared
/// with the stock cell's equations (`StockCell`); a forward that computes
/// anything else is named (`beyondRecurrence`) and the module refused unless
/// `--assume-pytorch-forward`. An `RNNCell`'s nonlinearity is the one whose
/// equations match.
struct TracedCellForward {
    enum Kind: String { case lstm = "LSTMCell", gru = "GRUCell", rnn = "RNNCell" }

    /// What the forward computes besides the stock cell, one clause (empty when it is the stock cell).
    var beyondRecurrence: [String] = []
    /// `tanh` or `relu` for an `RNNCell` whose forward matches.
    var nonlinearity: String?
    /// The weights the matching equations read (`weight_ih`, `weight_hh`, and the biases when used).
    var weights: [String]?

    /// The ops the stock cells are written with (in-place forms and `torch.` dropped), and the
    /// tracer's bookkeeping around them: the batch size, the zero state, an unbatched input's axis.
    static let stockOps: Set<String> = ["linear", "unsafe_chunk", "sigmoid", "tanh", "relu", "add", "mul", "sub",
                                        "zeros", "size", "ops.prim.NumToTensor", "int", "device", "unsqueeze", "squeeze"]
    /// Expressions larger than this, expanded, are not a stock cell (nor worth reading further).
    static let maximumNodes = 4_096

    init(_ body: [Substring], kind: Kind) {
        guard let (parameters, lines) = TracedForward.method(body) else {
            beyondRecurrence = ["rnnkit cannot read its traced forward"]
            return
        }

        var locals: [String: CellExpression] = [:]
        // The input is the first parameter after self, a given state the second.
        for (index, name) in parameters.dropFirst().prefix(2).enumerated() { locals[name] = .name(index == 0 ? "%X" : "%S") }
        var returned: CellExpression?
        var foreign: [String] = []
        var constants = false
        for raw in lines {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let called = TracedForward.calledFunctions(line)
            for name in called where !Self.stockOps.contains(CellExpression.op(name)) && !foreign.contains(name) { foreign.append(name) }
            if line.contains("CONSTANTS.") {
                constants = true
                for name in called where !foreign.contains(name) { foreign.append(name) }
            }
            if line.hasPrefix("return ") {
                returned = CellExpression.parse(String(line.dropFirst(7)))
                continue
            }
            let (target, text) = TracedForward.assignment(line)
            guard !target.isEmpty else { continue }
            let value: CellExpression? = text.hasPrefix("self.") && !text.contains("(")
                ? .name(text) : CellExpression.parse(text)
            guard let value else { returned = nil; break }
            let targets = target.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            if targets.count == 1, !target.hasSuffix(",") {
                locals[targets[0]] = value
            } else {
                for (index, name) in targets.enumerated() { locals[name] = .call("item\(index)", [value]) }
            }
        }
        var budget = Self.maximumNodes
        let expanded = returned.flatMap { $0.expanded(locals, budget: &budget) }?.canonical
        for candidate in StockCell.variants(kind) where expanded == candidate.expression.canonical {
            nonlinearity = candidate.nonlinearity
            weights = candidate.weights
            return
        }
        if constants || !foreign.isEmpty {
            beyondRecurrence.append("its traced forward computes \(TracedForward.computed(foreign, constants: constants)) besides the cell's equations "
                + "(a forward hook or pre-hook traced into it, or code of its own)")
        } else {
            let shown = expanded.map { $0.count > 160 ? $0.prefix(160) + "…" : Substring($0) } ?? "what rnnkit cannot read"
            beyondRecurrence.append("its traced forward computes otherwise than PyTorch's \(kind.rawValue) (it returns \(shown))")
        }
    }
}

/// PyTorch's cells as equations over the input `%X`, the state (`%Z`: the zero
/// state the tracer makes; `%S`: a state given as the forward's second
/// argument, a `(h, c)` tuple for the LSTM) and the weights — what
/// `at::lstm_cell`, `at::gru_cell` and `at::rnn_tanh_cell` compute.
enum StockCell {
    typealias E = CellExpression

    /// Every stock form of `kind`: with and without biases, from the zero state or a given one; an
    /// `RNNCell` with tanh and with relu.
    static func variants(_ kind: TracedCellForward.Kind) -> [(expression: E, nonlinearity: String?, weights: [String])] {
        var found: [(E, String?, [String])] = []
        for bias in [true, false] {
            let weights = bias ? RecurrentForwardWeights.cellNames : ["weight_ih", "weight_hh"]
            for given in [false, true] {
                switch kind {
                case .lstm:
                    let h: E = given ? .call("item0", [.name("%S")]) : .name("%Z")
                    let c: E = given ? .call("item1", [.name("%S")]) : .name("%Z")
                    found.append((lstm(h: h, c: c, bias: bias), nil, weights))
                case .gru:
                    found.append((gru(h: given ? .name("%S") : .name("%Z"), bias: bias), nil, weights))
                case .rnn:
                    for activation in ["tanh", "relu"] {
                        found.append((rnn(h: given ? .name("%S") : .name("%Z"), bias: bias, activation: activation), activation, weights))
                    }
                }
            }
        }
        return found
    }

    static func linear(_ x: E, _ gate: String, bias: Bool) -> E {
        .call("linear", [x, .name("self.weight_\(gate)")] + (bias ? [.name("self.bias_\(gate)")] : []))
    }

    /// Gate `index` of `count` along the last axis (`torch.unsafe_chunk(gates, count, 1)`).
    static func chunk(_ gates: E, _ index: Int, of count: Int) -> E {
        .call("item\(index)", [.call("unsafe_chunk", [gates, .literal("\(count)"), .literal("1")])])
    }

    static func sigmoid(_ x: E) -> E { .call("sigmoid", [x]) }
    static func tanh(_ x: E) -> E { .call("tanh", [x]) }
    static func add(_ a: E, _ b: E) -> E { .call("add", [a, b]) }
    static func mul(_ a: E, _ b: E) -> E { .call("mul", [a, b]) }

    /// i, f, g, o = chunk(W_hh h + b_hh + W_ih x + b_ih); c' = f c + i g; h' = o tanh(c').
    static func lstm(h: E, c: E, bias: Bool) -> E {
        let gates = add(linear(h, "hh", bias: bias), linear(.name("%X"), "ih", bias: bias))
        let i = sigmoid(chunk(gates, 0, of: 4)), f = sigmoid(chunk(gates, 1, of: 4))
        let g = tanh(chunk(gates, 2, of: 4)), o = sigmoid(chunk(gates, 3, of: 4))
        let cNext = add(mul(f, c), mul(i, g))
        return .tuple([mul(o, tanh(cNext)), cNext])
    }

    /// r = σ(W_hr h + W_ir x), z = σ(W_hz h + W_iz x), n = tanh(W_in x + r (W_hn h + b_hn)), h' = (h − n) z + n.
    static func gru(h: E, bias: Bool) -> E {
        let input = linear(.name("%X"), "ih", bias: bias), hidden = linear(h, "hh", bias: bias)
        let r = sigmoid(add(chunk(hidden, 0, of: 3), chunk(input, 0, of: 3)))
        let z = sigmoid(add(chunk(hidden, 1, of: 3), chunk(input, 1, of: 3)))
        let n = tanh(add(chunk(input, 2, of: 3), mul(chunk(hidden, 2, of: 3), r)))
        return add(mul(.call("sub", [h, n]), z), n)
    }

    /// h' = act(W_hh h + b_hh + W_ih x + b_ih).
    static func rnn(h: E, bias: Bool, activation: String) -> E {
        .call(activation, [add(linear(h, "hh", bias: bias), linear(.name("%X"), "ih", bias: bias))])
    }
}
