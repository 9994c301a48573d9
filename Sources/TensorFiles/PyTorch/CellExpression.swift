/// One expression of a traced forward's code (`torch.mul(_11, torch.tanh(_12))`),
/// parsed from text for `TracedCellForward`: calls, names, literals, tuples and
/// lists. Nothing is evaluated; expressions are expanded (locals replaced by what
/// they were bound to) and compared by their canonical text.
indirect enum CellExpression: Equatable {
    case name(String)
    case literal(String)
    case call(String, [CellExpression])
    case tuple([CellExpression])
    case list([CellExpression])

    /// Nesting deeper than this is not a cell's code.
    static let maximumDepth = 64

    /// The op a called function names: `torch.` and an in-place `_` dropped (`torch.sigmoid_` → `sigmoid`).
    static func op(_ function: String) -> String {
        var name = function.hasPrefix("torch.") ? String(function.dropFirst(6)) : function
        if name.hasSuffix("_"), !name.hasSuffix("__") { name.removeLast() }
        return name
    }

    /// `text` parsed whole, or nil when it is not an expression of this grammar.
    static func parse(_ text: String) -> CellExpression? {
        var parser = Parser(tokens: tokens(text))
        guard let expression = parser.expression(depth: 0), parser.position == parser.tokens.count else { return nil }
        return expression
    }

    /// This expression with every local `locals` binds replaced by its own
    /// expansion, and `item<i>` of a tuple by the element; nil when that takes
    /// more than `budget` nodes or nests deeper than `maximumDepth`.
    func expanded(_ locals: [String: CellExpression], budget: inout Int, depth: Int = 0) -> CellExpression? {
        var expanding: Set<String> = []
        return expanded(locals, budget: &budget, depth: depth, expanding: &expanding)
    }

    private func expanded(_ locals: [String: CellExpression], budget: inout Int, depth: Int, expanding: inout Set<String>) -> CellExpression? {
        budget -= 1
        guard budget >= 0, depth < Self.maximumDepth else { return nil }
        switch self {
        case .name(let name):
            // A name met again inside its own expansion (bound to itself) stays a name.
            guard let bound = locals[name], !expanding.contains(name) else { return self }
            expanding.insert(name)
            defer { expanding.remove(name) }
            return bound.expanded(locals, budget: &budget, depth: depth + 1, expanding: &expanding)
        case .literal:
            return self
        case .call(let function, let arguments):
            var expandedArguments: [CellExpression] = []
            for argument in arguments {
                guard let expanded = argument.expanded(locals, budget: &budget, depth: depth + 1, expanding: &expanding) else { return nil }
                expandedArguments.append(expanded)
            }
            if function.hasPrefix("item"), let index = Int(function.dropFirst(4)), expandedArguments.count == 1 {
                switch expandedArguments[0] {
                case .tuple(let items), .list(let items):
                    return items.indices.contains(index) ? items[index] : nil
                default: break
                }
            }
            return .call(function, expandedArguments)
        case .tuple(let items), .list(let items):
            var expandedItems: [CellExpression] = []
            for item in items {
                guard let expanded = item.expanded(locals, budget: &budget, depth: depth + 1, expanding: &expanding) else { return nil }
                expandedItems.append(expanded)
            }
            if case .tuple = self { return .tuple(expandedItems) }
            return .list(expandedItems)
        }
    }

    /// The text two expressions that compute the same numbers share: in-place
    /// and out-of-place ops alike, the tracer's zero state as `%Z`, an unbatched
    /// input's added and removed batch axis (`unsqueeze`/`squeeze` on axis 0)
    /// dropped, and the two operands of `add` and `mul` in a fixed order
    /// (IEEE addition and multiplication are commutative).
    var canonical: String {
        switch self {
        case .name(let name), .literal(let name):
            return name
        case .tuple(let items):
            return "(" + items.map(\.canonical).joined(separator: ",") + ")"
        case .list(let items):
            return "[" + items.map(\.canonical).joined(separator: ",") + "]"
        case .call(let function, let arguments):
            let op = Self.op(function)
            if op == "zeros" { return "%Z" }
            if ["squeeze", "unsqueeze"].contains(op), arguments.count == 2, arguments[1] == .literal("0") { return arguments[0].canonical }
            var texts = arguments.map(\.canonical)
            if ["add", "mul"].contains(op), texts.count == 2 { texts.sort() }
            return op + "(" + texts.joined(separator: ",") + ")"
        }
    }

    // MARK: Parsing

    private enum Token: Equatable {
        case word(String)    // a name, a number or a string literal
        case symbol(Character)
    }

    private static func tokens(_ text: String) -> [Token] {
        var tokens: [Token] = []
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character == " " {
                index = text.index(after: index)
            } else if "()[],=".contains(character) {
                tokens.append(.symbol(character))
                index = text.index(after: index)
            } else if character == "\"" || character == "'" {
                var end = text.index(after: index)
                while end < text.endIndex, text[end] != character { end = text.index(after: end) }
                end = end < text.endIndex ? text.index(after: end) : end
                tokens.append(.word(String(text[index ..< end])))
                index = end
            } else {
                var end = index
                while end < text.endIndex, !" ()[],=\"'".contains(text[end]) { end = text.index(after: end) }
                tokens.append(.word(String(text[index ..< end])))
                index = end
            }
        }
        return tokens
    }

    private struct Parser {
        let tokens: [Token]
        var position = 0

        mutating func take(_ symbol: Character) -> Bool {
            guard position < tokens.count, tokens[position] == .symbol(symbol) else { return false }
            position += 1
            return true
        }

        /// Items up to `close`, separated by commas (a trailing one allowed); `name=value` kept as a
        /// literal. `comma` tells whether any comma was read.
        mutating func items(until close: Character, depth: Int, comma: inout Bool) -> [CellExpression]? {
            var items: [CellExpression] = []
            while !take(close) {
                if position + 1 < tokens.count, case .word(let name) = tokens[position], tokens[position + 1] == .symbol("=") {
                    position += 2
                    guard let value = expression(depth: depth + 1) else { return nil }
                    items.append(.literal(name + "=" + value.canonical))
                } else {
                    guard let item = expression(depth: depth + 1) else { return nil }
                    items.append(item)
                }
                if take(",") {
                    comma = true
                } else {
                    guard take(close) else { return nil }
                    break
                }
            }
            return items
        }

        mutating func expression(depth: Int) -> CellExpression? {
            guard depth < CellExpression.maximumDepth, position < tokens.count else { return nil }
            let token = tokens[position]
            position += 1
            switch token {
            case .symbol("("):
                var comma = false
                guard let items = items(until: ")", depth: depth, comma: &comma) else { return nil }
                // `(a)` is a itself; `(a,)` and `(a, b)` are tuples.
                return items.count == 1 && !comma ? items[0] : .tuple(items)
            case .symbol("["):
                var comma = false
                return items(until: "]", depth: depth, comma: &comma).map(CellExpression.list)
            case .symbol:
                return nil
            case .word(let word):
                var comma = false
                if take("(") { return items(until: ")", depth: depth, comma: &comma).map { .call(word, $0) } }
                let first = word.first ?? " "
                return first.isLetter || first == "_" ? .name(word) : .literal(word)
            }
        }
    }
}
