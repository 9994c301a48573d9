import Foundation
import RNNKit

/// `value` as the JSON every `--json` prints: indented, keys sorted,
/// non-finite numbers as the strings `inf`, `-inf`, `nan`; a note's
/// `message` names the options by their flags.
func jsonText<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    encoder.userInfo[.optionNaming] = OptionNaming { flag($0) }
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
