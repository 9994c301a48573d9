/// A plain-text table with a header, a rule under it, and columns padded to
/// their widest cell (numbers right-aligned), as torchinfo prints them.
struct TextTable {
    /// How a column's cells line up.
    enum Alignment { case left, right }

    var headers: [String]
    var alignments: [Alignment]
    var rows: [[String]] = []
    /// Rows printed after a second rule (totals).
    var footer: [[String]] = []

    init(_ columns: [(String, Alignment)]) {
        headers = columns.map(\.0)
        alignments = columns.map(\.1)
    }

    /// The table as lines, each starting with `indent`.
    func lines(indent: String = "  ") -> [String] {
        // A last column with nothing in it is left out.
        if headers.count > 1, headers.last == "", (rows + footer).allSatisfy({ ($0.last ?? "").isEmpty || $0.count < headers.count }) {
            var trimmed = self
            trimmed.headers.removeLast()
            trimmed.alignments.removeLast()
            trimmed.rows = rows.map { Array($0.prefix(headers.count - 1)) }
            trimmed.footer = footer.map { Array($0.prefix(headers.count - 1)) }
            return trimmed.lines(indent: indent)
        }
        let all = [headers] + rows + footer
        let widths = headers.indices.map { column in
            all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0
        }
        func render(_ cells: [String]) -> String {
            let padded = headers.indices.map { column -> String in
                let cell = cells.indices.contains(column) ? cells[column] : ""
                let fill = String(repeating: " ", count: widths[column] - cell.count)
                return alignments[column] == .right ? fill + cell : cell + fill
            }
            return indent + padded.joined(separator: "  ").trimmingTrailingSpaces()
        }
        let rule = (indent + widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")).trimmingTrailingSpaces()
        var lines = [render(headers), rule] + rows.map(render)
        if !footer.isEmpty { lines += [rule] + footer.map(render) }
        return lines
    }
}

extension String {
    /// The string without trailing spaces.
    func trimmingTrailingSpaces() -> String {
        var result = self
        while result.hasSuffix(" ") { result.removeLast() }
        return result
    }
}

/// `1234567` as `1,234,567`.
func groupedDigits(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var groups: [Substring] = []
    var end = digits.endIndex
    while end > digits.startIndex {
        let start = digits.index(end, offsetBy: -3, limitedBy: digits.startIndex) ?? digits.startIndex
        groups.insert(digits[start ..< end], at: 0)
        end = start
    }
    return (value < 0 ? "-" : "") + groups.joined(separator: ",")
}

/// `text` broken at spaces into lines of at most `width` characters; the
/// first line starts with `first`, the others with `rest` (a hanging indent).
func wrapped(_ text: String, first: String, rest: String, width: Int = 100) -> [String] {
    var lines: [String] = []
    var line = first
    var lineHasWords = false
    for word in text.split(separator: " ", omittingEmptySubsequences: false) {
        if lineHasWords && line.count + 1 + word.count > width {
            lines.append(line)
            line = rest
            lineHasWords = false
        }
        line += (lineHasWords ? " " : "") + word
        lineHasWords = true
    }
    lines.append(line)
    return lines
}
