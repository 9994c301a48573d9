import Foundation
import RNNConvert
import TensorFiles

/// A note `inspect` prints below what it found: what a model file's reader
/// recorded or assumed about a module, or why the values were not read for
/// NaN/Inf. The text lives in `message(naming:)`; the CLI names the options
/// by their flags. `inspect --json` encodes each note as `convert --json`
/// does (`kind`, the note's data, `message`).
package enum InspectionNote: Sendable, Equatable, Encodable {
    /// What the file's reader noted about a module (`ModuleNote`).
    case input(ModuleNoteEntry)
    /// The values were not read because the request said not to.
    case valueCheckSkipped
    /// The values were not read because the modules' weights take
    /// `moduleBytes`, more than `limit` (`FileInspection.automaticValueCheckLimit`).
    case valueCheckTooLarge(moduleBytes: Int, limit: Int)

    /// The note, each option named by `name`: a reader's note after its module (`encoder: …`).
    package func message(naming name: (RequestOption) -> String) -> String {
        switch self {
        case .input(let entry):
            return entry.message(naming: name)
        case .valueCheckSkipped:
            return "Values not read (\(name(.skipValueCheck))): NaN/Inf were not looked for."
        case .valueCheckTooLarge(let moduleBytes, let limit):
            return "Values not read: the module weights total \(byteText(moduleBytes)) (over \(byteText(limit))); "
                + "pass \(name(.checkValues)) to look for NaN/Inf."
        }
    }

    /// A reader's note as `convert --json` encodes it (`kind`, its data,
    /// `module`, `message` without the module); the others as `kind`, their
    /// data and `message`.
    package func encode(to encoder: Encoder) throws {
        if case .input(let entry) = self {
            return try entry.encode(to: encoder)
        }
        var container = encoder.container(keyedBy: JSONKey.self)
        func put<T: Encodable>(_ key: String, _ value: T) throws { try container.encode(value, forKey: JSONKey(key)) }
        switch self {
        case .valueCheckSkipped:
            try put("kind", "valueCheckSkipped")
        case .valueCheckTooLarge(let moduleBytes, let limit):
            try put("kind", "valueCheckTooLarge")
            try put("moduleBytes", moduleBytes)
            try put("limit", limit)
        case .input:
            break
        }
        try put("message", message(naming: OptionNaming.of(encoder)))
    }
}

/// A byte count for people: `812 B`, `6.1 KB`, `1.2 GB` (powers of 1024).
package func byteText(_ bytes: Int) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024 && unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f", value) + " " + units[unit]
}
