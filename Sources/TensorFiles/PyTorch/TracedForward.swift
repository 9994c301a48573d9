/// The `forward` of a traced `nn.LSTM` / `GRU` / `RNN` as `torch.jit.trace`
/// writes it into the class body (`code/__torch__/torch/nn/modules/rnn.py`),
/// read as text, never run:
///
/// ```
///   def forward(self: __torch__.torch.nn.modules.rnn.LSTM,
///     input: Tensor) -> Tuple[Tensor, Tuple[Tensor, Tensor]]:
///     bias_hh_l0 = self.bias_hh_l0
///     …
///     max_batch_size = ops.prim.NumToTensor(torch.size(input, 1))
///     _0 = int(max_batch_size)
///     hx = torch.zeros([1, int(max_batch_size), 6], dtype=6, layout=None, device=torch.device("cpu"), pin_memory=False)
///     _1 = [hx, hx0]
///     _2 = [weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0]
///     _3, _4, _5 = torch.lstm(input, _1, _2, True, 1, 0., False, False, False)
///     return (_3, (_4, _5))
/// ```
///
/// Tracing inlines a forward hook or pre-hook registered on the module into
/// this body (`torch.mul(_3, CONSTANTS.c0)` after the call, `torch.mul(input,
/// …)` before it): rnnkit computes only the recurrence, so anything else the
/// body computes — a call other than reading sizes and making the zero
/// state, or a return that is not the call's results in their order — is
/// named (`unrunCode`) and the module refused unless `--assume-pytorch-forward`.
struct TracedForward {
    /// The recurrence call's text after its `(`, and its function (`torch.lstm(`).
    var call: (rest: Substring, function: String)?
    /// What the body computes besides the recurrence, one clause each.
    var beyondRecurrence: [String] = []
    /// The weights the call passes, as attribute names (`weight_ih_l0`), when readable.
    var weights: [String]?
    /// The forward's parameters the call's initial state comes from (`hx` of
    /// `forward(self, input, hx)`, whole or unpacked): the model passes the
    /// module a state, which a run is given for the model's numbers.
    var stateParameters: [String] = []

    /// Calls a traced stock forward makes besides the recurrence: the batch size and the zero state;
    /// for an unbatched input, adding and removing its batch axis; for a packed input, reading
    /// the largest batch and putting a given state into (and the final state out of) the sorted order.
    static let bookkeeping: Set<String> = ["ops.prim.NumToTensor", "torch.size", "int", "torch.zeros", "torch.device",
                                           "torch.unsqueeze", "torch.squeeze", "torch.select", "torch.index_select"]

    /// Reads the `forward` in `body` (a class body's lines); `functions` are
    /// the recurrence calls (`torch.lstm(`, …).
    init(_ body: [Substring], functions: [String]) {
        guard let (signature, lines) = Self.method(body) else { return }
        let parameters = Set(signature.dropFirst(2))  // beyond self and the input
        var attributes: [String: String] = [:]  // local ← self.attribute
        var values: [String: String] = [:]      // local ← a call-free expression
        var results: [String] = []
        var foreign: [String] = []
        var constants = false
        var returned: String?
        var unpacked: [String: String] = [:]  // local ← the name it was unpacked from (`hx0, hx1, = hx`)
        for raw in lines {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            if line.hasPrefix("return ") {
                returned = String(line.dropFirst(7)).replacingOccurrences(of: " ", with: "")
                continue
            }
            let (target, expression) = Self.assignment(line)
            if let function = functions.first(where: { expression.hasPrefix($0) }) {
                if call == nil {
                    call = (expression.dropFirst(function.count)[...], function)
                    results = target.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                } else {
                    foreign.append("a second \(function)…)")
                }
                continue
            }
            let called = Self.calledFunctions(expression)
            if target.contains(","), called.isEmpty, expression.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
                for name in target.split(separator: ",") { unpacked[name.trimmingCharacters(in: .whitespaces)] = expression }
            }
            for name in called where !Self.bookkeeping.contains(name) && !foreign.contains(name) { foreign.append(name) }
            if line.contains("CONSTANTS.") { constants = true }
            let moved = Self.withoutAxisMoves(expression)
            if expression.hasPrefix("self."), called.isEmpty {
                attributes[target] = String(expression.dropFirst(5))
            } else if Self.calledFunctions(moved).isEmpty, !target.isEmpty {
                values[target] = moved.replacingOccurrences(of: " ", with: "")
            }
        }
        guard let (rest, _) = call else { return }
        if !foreign.isEmpty || constants {
            beyondRecurrence.append("its traced forward computes \(Self.computed(foreign, constants: constants)) besides the recurrence "
                + "(a forward hook or pre-hook traced into it, or code of its own)")
        }
        // A return that rearranges the results (a hook returning h_n as the output); after a foreign call it is that call's.
        if foreign.isEmpty, !constants, let returned, !Self.returnsResults(returned, results, values) {
            beyondRecurrence.append("its traced forward returns \(values[returned] ?? returned), not the recurrence's results in their order")
        }
        if let arguments = TorchScriptArchive.callArguments(rest), arguments.count > 2,
           let list = values[arguments[2]], list.hasPrefix("["), list.hasSuffix("]") {
            let names = list.dropFirst().dropLast().split(separator: ",").map { attributes[String($0)] }
            if names.allSatisfy({ $0 != nil }) { weights = names.compactMap { $0 } }
        }
        // The padded form's state argument (`torch.gru(input, hx, …)`, `torch.lstm(input, [hx0, hx1], …)`).
        if let arguments = TorchScriptArchive.callArguments(rest), arguments.count == 9 {
            let state = values[arguments[1]].map { $0.hasPrefix("[") ? String($0.dropFirst().dropLast()) : $0 } ?? arguments[1]
            for part in state.split(separator: ",").map(String.init) {
                if let source = [part, unpacked[part]].compactMap({ $0 }).first(where: parameters.contains), !stateParameters.contains(source) {
                    stateParameters.append(source)
                }
            }
        }
    }

    /// The `forward` method of a class body: its parameter names (`self`
    /// first) and its lines. The signature runs to the line ending in `:`; the
    /// method to the next line indented by two. Nil when there is none.
    static func method(_ body: [Substring]) -> (parameters: [String], lines: ArraySlice<Substring>)? {
        guard let start = body.firstIndex(where: { $0.hasPrefix("  def forward(") }),
              let signatureEnd = body[start...].firstIndex(where: { $0.hasSuffix(":") }) else { return nil }
        var lines = body[(signatureEnd + 1)...]
        if let next = lines.firstIndex(where: { $0.hasPrefix("  ") && !$0.hasPrefix("    ") }) { lines = lines[..<next] }
        return (parameters(body[start ... signatureEnd].joined(separator: " ")), lines)
    }

    /// The parameter names of a `def forward(self, input: Tensor, hx: …) -> …:` signature.
    static func parameters(_ signature: String) -> [String] {
        guard let open = signature.firstIndex(of: "("), let arrow = signature.range(of: ") ->") ?? signature.range(of: "):", options: .backwards)
        else { return [] }
        var names: [String] = [], depth = 0, current = ""
        for character in signature[signature.index(after: open) ..< arrow.lowerBound] {
            switch character {
            case "[", "(": depth += 1
            case "]", ")": depth -= 1
            case "," where depth == 0:
                names.append(current); current = ""; continue
            default: break
            }
            current.append(character)
        }
        names.append(current)
        return names.map { $0.split(separator: ":").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" }.filter { !$0.isEmpty }
    }

    /// What a forward computes besides the stock code, in words: the calls
    /// (`torch.mul`) and whether it uses constants of the code.
    static func computed(_ foreign: [String], constants: Bool) -> String {
        foreign.isEmpty ? "with constants of the code" : foreign.joined(separator: ", ") + (constants ? " (with constants of the code)" : "")
    }

    /// `expression` with the stock forward's moves of a result replaced by the
    /// result: `torch.squeeze(output, 1)` (an unbatched input's batch axis
    /// removed) and `torch.index_select(_3, 1, _7)` (a packed batch's final
    /// state put back in the input's order) hand on `output` and `_3`.
    static func withoutAxisMoves(_ expression: String) -> String {
        var text = expression
        for _ in 0 ..< 8 {
            let next = text.replacingOccurrences(of: #"torch\.(squeeze|index_select)\((\w+),[^()]*\)"#, with: "$2",
                                                 options: .regularExpression)
            if next == text { break }
            text = next
        }
        return text
    }

    /// `(target, expression)` of `target = expression`; `("", line)` for a line that assigns nothing.
    static func assignment(_ line: String) -> (String, String) {
        guard let equals = line.range(of: " = ") else { return ("", line) }
        let target = line[..<equals.lowerBound]
        guard !target.contains("(") else { return ("", line) }
        return (String(target), String(line[equals.upperBound...]))
    }

    /// The dotted names directly before a `(` in `line` (`torch.mul`, `int`).
    static func calledFunctions(_ line: String) -> [String] {
        var names: [String] = []
        var current = ""
        for character in line {
            if character.isLetter || character.isNumber || character == "_" || character == "." {
                current.append(character)
            } else {
                if character == "(", !current.isEmpty, current.first?.isNumber == false { names.append(current) }
                current = ""
            }
        }
        return names
    }

    /// Whether `returned` (spaces removed), with locals bound to call-free
    /// expressions substituted, only hands on the call's results: each at
    /// most once, in tuples, in any order. A submodule's traced forward returns
    /// what its caller uses, flattened: `(_3, (_4, _5))`, the output alone,
    /// `h` alone (a head on `h_n`), `(_4, _5, _3)`. A result handed on twice
    /// (`(_2, _2)`: `h_n` as the output too) is a rearrangement rnnkit does not compute.
    static func returnsResults(_ returned: String, _ results: [String], _ values: [String: String]) -> Bool {
        // The names the expression hands on, locals bound to tuples of other locals expanded (a few
        // levels: the tracer nests one or two).
        func names(_ text: String, depth: Int) -> [String]? {
            var found: [String] = []
            for token in text.split(whereSeparator: { "(),".contains($0) }).map(String.init) {
                if let value = values[token] {
                    guard depth < 4, let inner = names(value, depth: depth + 1) else { return nil }
                    found += inner
                } else {
                    found.append(token)
                }
            }
            return found
        }
        guard let handed = names(returned, depth: 0) else { return false }
        return !handed.isEmpty && handed.allSatisfy(results.contains) && Set(handed).count == handed.count
    }
}
