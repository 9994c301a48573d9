import Foundation
import RNNKit

/// What happened to one fixture in `rnnkit verify`.
enum VerifyOutcome {
    /// It ran; the comparisons say whether it passed.
    case checked(FixtureResult)
    /// It could not be read or run.
    case unreadable(folder: String, message: String)

    var passed: Bool {
        if case .checked(let result) = self { return result.passed }
        return false
    }

    var isUnreadable: Bool {
        if case .unreadable = self { return true }
        return false
    }
}

/// Formats `verify`'s results: a table per fixture, a summary line, or JSON.
enum VerifyReport {
    /// The heading and table of one fixture.
    static func text(_ outcome: VerifyOutcome) -> String {
        switch outcome {
        case .unreadable(let folder, let message):
            return printableText(["\(folder): ERROR", "  \(message)"])
        case .checked(let result):
            var lines = ["\(result.folder): \(result.passed ? "PASS" : "FAIL")"]
            if let description = result.description, !description.isEmpty { lines.append("  \(description)") }
            lines.append("  \(result.summary)")
            let header = ["tensor", "shape", "max abs err", "max rel err", "tolerance", "result"]
            let rows = result.comparisons.map { comparison -> [String] in
                let shape = comparison.actualShape == comparison.expectedShape
                    ? shapeText(comparison.expectedShape)
                    : "\(comparison.actualShape.map(shapeText) ?? "none") ≠ expected \(shapeText(comparison.expectedShape))"
                let tolerance = comparison.tolerance.rtol == 0
                    ? "atol \(number(comparison.tolerance.atol))"
                    : "atol \(number(comparison.tolerance.atol)) + rtol \(number(comparison.tolerance.rtol))"
                let verdict = comparison.passed ? "pass" : "FAIL" + (comparison.mismatches > 0 && comparison.actualShape == comparison.expectedShape ? " (\(comparison.mismatches) elements)" : "")
                return [comparison.name, shape, number(comparison.maxAbsError), number(comparison.maxRelError), tolerance, verdict]
            }
            lines += table([header] + rows).map { "  " + $0 }
            return printableText(lines)
        }
    }

    /// `N fixtures: P passed, F failed, E could not be read`.
    static func summary(_ outcomes: [VerifyOutcome]) -> String {
        let passed = outcomes.filter(\.passed).count
        let unreadable = outcomes.filter(\.isUnreadable).count
        let failed = outcomes.count - passed - unreadable
        return "\(outcomes.count) fixture\(outcomes.count == 1 ? "" : "s"): \(passed) passed, \(failed) failed, \(unreadable) could not be read"
    }

    /// The whole run as JSON.
    static func json(_ outcomes: [VerifyOutcome]) throws -> String {
        let report = JSONReport(
            fixtures: outcomes.map { outcome in
                switch outcome {
                case .unreadable(let folder, let message):
                    return JSONFixture(fixture: folder, status: "error", error: message)
                case .checked(let result):
                    return JSONFixture(
                        fixture: result.folder, status: result.passed ? "pass" : "fail", description: result.description,
                        summary: result.summary,
                        tensors: result.comparisons.map { comparison in
                            JSONTensor(name: comparison.name, shape: comparison.actualShape, expected_shape: comparison.expectedShape,
                                       max_abs_error: comparison.maxAbsError, max_rel_error: comparison.maxRelError,
                                       atol: comparison.tolerance.atol, rtol: comparison.tolerance.rtol,
                                       mismatches: comparison.mismatches, pass: comparison.passed)
                        })
                }
            },
            passed: outcomes.filter(\.passed).count,
            failed: outcomes.filter { !$0.passed && !$0.isUnreadable }.count,
            errors: outcomes.filter(\.isUnreadable).count)
        return try jsonText(report)
    }

    /// Columns padded to their widest cell.
    static func table(_ rows: [[String]]) -> [String] {
        let widths = (0 ..< (rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
    }

    /// `2.4e-07`, `0`, `inf`.
    static func number(_ value: Double) -> String {
        if value == 0 { return "0" }
        if value.isInfinite { return "inf" }
        return String(format: "%.2g", value)
    }

    struct JSONReport: Encodable {
        var fixtures: [JSONFixture]
        var passed: Int
        var failed: Int
        var errors: Int
    }

    struct JSONFixture: Encodable {
        var fixture: String
        var status: String
        var description: String? = nil
        var summary: String? = nil
        var error: String? = nil
        var tensors: [JSONTensor]? = nil
    }

    struct JSONTensor: Encodable {
        var name: String
        var shape: [Int]?
        var expected_shape: [Int]
        var max_abs_error: Double
        var max_rel_error: Double
        var atol: Double
        var rtol: Double
        var mismatches: Int
        var pass: Bool
    }
}
