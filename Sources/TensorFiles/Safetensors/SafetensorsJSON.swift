import Foundation

/// One tensor entry as the JSON header spells it, before validation.
struct SafetensorsRawEntry {
    var dtype: String
    var shape: [Int]
    var dataOffsets: [Int]
}

/// A single-pass scanner for the safetensors JSON header, which has a fixed,
/// flat structure: one object whose values are tensor entries
/// (`{"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}`) or, under
/// `__metadata__`, an object of strings.
///
/// Time is linear in the header and memory proportional to what it holds
/// (Foundation's `JSONDecoder` took 11.7 s and 1 GB for a 90 MB header of
/// 1.5 M entries; the reference implementation parses this structure with a
/// typed deserialiser too). It accepts exactly JSON: strings with every
/// escape (surrogate pairs joined, lone surrogates and invalid UTF-8
/// refused), integers only where the format wants integers, unknown keys of
/// an entry skipped whatever their JSON value (nested at most 64 deep), and
/// nothing but whitespace after the object. A repeated tensor name is
/// refused as the format requires.
struct SafetensorsJSON {
    /// Why the header is not acceptable, and the byte of the JSON text where that was found.
    enum Failure: Error {
        case syntax(SafetensorsHeaderProblem.JSONSyntax, position: Int)
        case duplicate(String, position: Int)
    }

    /// How deep the arrays and objects of a skipped value may nest.
    static let maximumDepth = 64

    private let json: UnsafeRawBufferPointer
    private var index = 0

    init(_ json: UnsafeRawBufferPointer) {
        self.json = json
    }

    /// Scans the header, handing every tensor entry to `tensor` in the order
    /// of the text, and returns the `__metadata__` strings.
    mutating func scan(tensor: (String, SafetensorsRawEntry) throws -> Void) throws -> [String: String] {
        var metadata: [String: String] = [:]
        var names = Set<String>()
        skipWhitespace()
        try expect("{")
        skipWhitespace()
        if !take("}") {
            repeat {
                skipWhitespace()
                let keyAt = index
                let name = try string()
                guard names.insert(name).inserted else {
                    throw Failure.duplicate(name, position: keyAt)
                }
                skipWhitespace()
                try expect(":")
                skipWhitespace()
                if name == "__metadata__" {
                    metadata = try metadataStrings()
                } else {
                    try tensor(name, try entry(name))
                }
                skipWhitespace()
            } while take(",")
            try expect("}")
        }
        skipWhitespace()
        guard index == json.count else { throw fail(.textAfterObject) }
        return metadata
    }

    // MARK: - The structure

    /// A tensor entry: `dtype`, `shape` and `data_offsets`; other keys are skipped.
    private mutating func entry(_ name: String) throws -> SafetensorsRawEntry {
        var dtype: String?
        var shape: [Int]?
        var offsets: [Int]?
        try members(of: .tensor(name)) { scanner, key in
            switch key {
            case "dtype":
                guard dtype == nil else { throw scanner.fail(.repeatedKey("dtype", tensor: name)) }
                dtype = try scanner.string()
            case "shape":
                guard shape == nil else { throw scanner.fail(.repeatedKey("shape", tensor: name)) }
                shape = try scanner.integers()
            case "data_offsets":
                guard offsets == nil else { throw scanner.fail(.repeatedKey("data_offsets", tensor: name)) }
                offsets = try scanner.integers()
            default:
                try scanner.skipValue(depth: 0)
            }
        }
        for (key, value) in [("dtype", dtype as Any?), ("shape", shape), ("data_offsets", offsets)] where value == nil {
            throw fail(.missingKey(key, tensor: name))
        }
        return SafetensorsRawEntry(dtype: dtype!, shape: shape!, dataOffsets: offsets!)
    }

    /// An object whose values are strings (`__metadata__`).
    private mutating func metadataStrings() throws -> [String: String] {
        var result: [String: String] = [:]
        try members(of: .metadata) { scanner, key in
            guard scanner.peek == UInt8(ascii: "\"") else { throw scanner.fail(.metadataNotStrings) }
            result[key] = try scanner.string()
        }
        return result
    }

    /// Scans an object, calling `value` with the scanner at each member's value.
    private mutating func members(of what: SafetensorsHeaderProblem.JSONObject, _ value: (inout SafetensorsJSON, String) throws -> Void) throws {
        guard take("{") else { throw fail(.notAnObject(what)) }
        skipWhitespace()
        if take("}") { return }
        repeat {
            skipWhitespace()
            let key = try string()
            skipWhitespace()
            try expect(":")
            skipWhitespace()
            try value(&self, key)
            skipWhitespace()
        } while take(",")
        try expect("}")
    }

    /// An array of integers (`shape`, `data_offsets`).
    private mutating func integers() throws -> [Int] {
        guard take("[") else { throw fail(.expectedIntegerArray) }
        var values: [Int] = []
        skipWhitespace()
        if take("]") { return values }
        repeat {
            skipWhitespace()
            values.append(try integer())
            skipWhitespace()
        } while take(",")
        try expect("]")
        return values
    }

    // MARK: - JSON tokens

    /// An integer in JSON's syntax; fractions and exponents are refused.
    private mutating func integer() throws -> Int {
        let start = index
        let negative = take("-")
        guard let first = peek, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else {
            throw fail(.expectedInteger)
        }
        var value = 0
        while let digit = peek, digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") {
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int(digit - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { index = start; throw fail(.integerTooLarge) }
            value = sum
            index += 1
        }
        if first == UInt8(ascii: "0"), index - start > (negative ? 2 : 1) {
            index = start
            throw fail(.leadingZero)
        }
        if let next = peek, next == UInt8(ascii: ".") || next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
            index = start
            throw fail(.fractionOrExponent)
        }
        return negative ? -value : value
    }

    /// A string; the bytes between the quotes are taken as they are unless
    /// they hold escapes.
    private mutating func string() throws -> String {
        guard take("\"") else { throw fail(.expectedString) }
        let start = index
        while index < json.count {
            let byte = json[index]
            if byte == UInt8(ascii: "\"") {
                let raw = UnsafeRawBufferPointer(rebasing: json[start ..< index])
                index += 1
                guard let text = String(validating: raw, as: UTF8.self) else {
                    index = start
                    throw fail(.invalidUTF8)
                }
                return text
            }
            if byte == UInt8(ascii: "\\") { return try escapedString(from: start) }
            guard byte >= 0x20 else { throw fail(.controlCharacter) }
            index += 1
        }
        throw fail(.unterminatedString)
    }

    /// The rest of a string that holds escapes, decoded into bytes.
    private mutating func escapedString(from start: Int) throws -> String {
        var bytes = [UInt8](UnsafeRawBufferPointer(rebasing: json[start ..< index]))
        while index < json.count {
            let byte = json[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: bytes, as: UTF8.self) else {
                    throw fail(.invalidUTF8)
                }
                return text
            case UInt8(ascii: "\\"):
                guard let escape = peek else { throw fail(.unterminatedString) }
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(escape)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "u"): bytes.append(contentsOf: try unicodeEscape())
                default: index -= 2; throw fail(.invalidEscape)
                }
            case 0 ..< 0x20:
                index -= 1
                throw fail(.controlCharacter)
            default:
                bytes.append(byte)
            }
        }
        throw fail(.unterminatedString)
    }

    /// The UTF-8 bytes of a `\uXXXX` escape (after the `u`), joining a surrogate pair.
    private mutating func unicodeEscape() throws -> [UInt8] {
        var scalar = try hex4()
        if (0xD800 ..< 0xDC00).contains(scalar) {
            guard take("\\"), take("u") else { throw fail(.loneSurrogate) }
            let low = try hex4()
            guard (0xDC00 ..< 0xE000).contains(low) else { throw fail(.loneSurrogate) }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00 ..< 0xE000).contains(scalar) {
            throw fail(.loneSurrogate)
        }
        return Array(String(Character(Unicode.Scalar(scalar)!)).utf8)
    }

    private mutating func hex4() throws -> UInt32 {
        guard index + 4 <= json.count else { throw fail(.unterminatedUnicodeEscape) }
        var value: UInt32 = 0
        for _ in 0 ..< 4 {
            guard let digit = Character(Unicode.Scalar(json[index])).hexDigitValue else {
                throw fail(.invalidUnicodeEscape)
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// Skips any JSON value (an unknown key's), at most 64 arrays or objects deep.
    private mutating func skipValue(depth: Int) throws {
        guard depth < Self.maximumDepth else { throw fail(.nestedTooDeep(limit: Self.maximumDepth)) }
        guard let byte = peek else { throw fail(.unexpectedEnd) }
        switch byte {
        case UInt8(ascii: "\""):
            _ = try string()
        case UInt8(ascii: "{"):
            try members(of: .value) { scanner, _ in try scanner.skipValue(depth: depth + 1) }
        case UInt8(ascii: "["):
            index += 1
            skipWhitespace()
            if take("]") { return }
            repeat {
                skipWhitespace()
                try skipValue(depth: depth + 1)
                skipWhitespace()
            } while take(",")
            try expect("]")
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default:
            try number()
        }
    }

    /// Skips a JSON number of any form.
    private mutating func number() throws {
        _ = take("-")
        func digits(_ scanner: inout SafetensorsJSON) -> Int {
            let start = scanner.index
            while let d = scanner.peek, d >= UInt8(ascii: "0"), d <= UInt8(ascii: "9") { scanner.index += 1 }
            return scanner.index - start
        }
        guard digits(&self) > 0 else { throw fail(.invalidValue) }
        if take("."), digits(&self) == 0 { throw fail(.invalidNumber) }
        if take("e") || take("E") {
            if !take("+") { _ = take("-") }
            if digits(&self) == 0 { throw fail(.invalidNumber) }
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        let text = UnsafeRawBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard index + text.count <= json.count,
              UnsafeRawBufferPointer(rebasing: json[index ..< index + text.count]).elementsEqual(text)
        else { throw fail(.invalidValue) }
        index += text.count
    }

    private var peek: UInt8? { index < json.count ? json[index] : nil }

    private mutating func take(_ byte: Unicode.Scalar) -> Bool {
        guard index < json.count, json[index] == UInt8(byte.value) else { return false }
        index += 1
        return true
    }

    private mutating func expect(_ byte: Unicode.Scalar) throws {
        guard take(byte) else {
            throw fail(.expected(byte, atEnd: index >= json.count))
        }
    }

    private mutating func skipWhitespace() {
        while index < json.count {
            switch json[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private func fail(_ syntax: SafetensorsHeaderProblem.JSONSyntax) -> Failure {
        .syntax(syntax, position: index)
    }
}
