/// Text from files (tensor names, attribute values, paths) made safe to print
/// for a human: control characters are written as escapes, so a name holding
/// a newline cannot forge an extra `rnnkit: error:` line and one holding ESC
/// sequences cannot drive the terminal. `--json` output escapes through JSON
/// instead.
///
/// C0 controls, DEL and C1 controls become `\n`, `\r`, `\t` or `\u{XX}`;
/// a backslash stays as it is (the output is for reading, not parsing).
func escapingControlCharacters(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: isControl) else { return text }
    var result = ""
    result.reserveCapacity(text.utf8.count + 8)
    for scalar in text.unicodeScalars {
        guard isControl(scalar) else {
            result.unicodeScalars.append(scalar)
            continue
        }
        switch scalar {
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        default: result += "\\u{" + String(scalar.value, radix: 16) + "}"
        }
    }
    return result
}

/// Lines joined for printing, each escaped first: the only line breaks left
/// are the ones between `lines`. Ends with a newline.
func printableText(_ lines: [String]) -> String {
    lines.map(escapingControlCharacters).joined(separator: "\n") + "\n"
}

private func isControl(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value < 0x20 || (0x7F ... 0x9F).contains(scalar.value)
}
