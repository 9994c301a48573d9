import Foundation

/// The header of a safetensors file, parsed and validated.
///
/// Layout: an 8-byte little-endian header length `N`, `N` bytes of JSON
/// (`{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, …,
/// "__metadata__": {"key": "value"}}`, possibly padded with spaces), then the
/// data section the offsets index. Validation follows the format's rules: the
/// header length is capped, every tensor's offsets lie in the data section,
/// match `shape × itemsize`, and together cover the section without overlaps
/// or holes; names are unique.
public struct SafetensorsHeader: Sendable {
    /// One tensor entry of the header.
    public struct Entry: Sendable, Equatable {
        /// The tensor name.
        public var name: String
        /// The safetensors dtype code (`F32`, `BF16`, …).
        public var code: String
        /// The element type, nil for codes rnnkit knows but does not read (`U32`, `F8_E4M3`, …).
        public var dtype: DType?
        /// The shape.
        public var shape: [Int]
        /// Start of the data, relative to the data section.
        public var begin: Int
        /// End of the data (exclusive), relative to the data section.
        public var end: Int
    }

    /// The tensors, in the order of their data.
    public var entries: [Entry]
    /// The `__metadata__` strings.
    public var metadata: [String: String]
    /// Byte offset of the data section in the file (8 + header length).
    public var dataStart: Int

    /// The largest header accepted (the limit the reference implementation uses).
    public static let maximumHeaderLength = 100_000_000

    /// Item sizes of every dtype code the format defines and rnnkit can
    /// validate, with the rnnkit dtype where one exists.
    static let codes: [String: (itemSize: Int, dtype: DType?)] = [
        "F16": (2, .float16), "BF16": (2, .bfloat16), "F32": (4, .float32), "F64": (8, .float64),
        "I8": (1, .int8), "U8": (1, .uint8), "I16": (2, .int16), "I32": (4, .int32), "I64": (8, .int64),
        "BOOL": (1, .bool),
        "U16": (2, nil), "U32": (4, nil), "U64": (8, nil),
        "F8_E4M3": (1, nil), "F8_E5M2": (1, nil), "F8_E8M0": (1, nil), "C64": (8, nil),
    ]

    /// The safetensors code of an rnnkit dtype.
    static func code(of dtype: DType) -> String {
        codes.first { $0.value.dtype == dtype }?.key ?? dtype.rawValue
    }

    /// Whether `bytes` start like a safetensors file: a plausible header
    /// length that fits in the file, followed by `{`.
    static func looksLikeSafetensors(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 10 else { return false }
        let length = bytes.u64(0)
        return length >= 2 && length <= UInt64(min(maximumHeaderLength, bytes.count - 8)) && bytes[8] == UInt8(ascii: "{")
    }

    /// Parses and validates the header of the file in `bytes`. `file` names it in errors.
    public static func parse(_ bytes: UnsafeRawBufferPointer, file: String) throws -> SafetensorsHeader {
        guard bytes.count >= 8 else {
            throw TensorFileError(file: file, offset: 0, .truncated(needed: 8, available: bytes.count))
        }
        let declared = bytes.u64(0)
        guard declared <= UInt64(maximumHeaderLength) else {
            throw TensorFileError(file: file, offset: 0, .headerTooLong(length: declared, limit: maximumHeaderLength))
        }
        let length = Int(declared)
        guard length <= bytes.count - 8 else {
            throw TensorFileError(file: file, offset: 8, .truncated(needed: length, available: bytes.count - 8))
        }
        let json = UnsafeRawBufferPointer(rebasing: bytes[8 ..< 8 + length])
        guard json.first == UInt8(ascii: "{") else {
            throw TensorFileError(file: file, offset: 8, .safetensorsHeader(.notAnObject))
        }
        let dataStart = 8 + length
        var entries: [Entry] = []
        let metadata: [String: String]
        do {
            var scanner = SafetensorsJSON(json)
            metadata = try scanner.scan { name, value in
                entries.append(try validated(name, value, dataSize: bytes.count - dataStart, dataStart: dataStart, file: file))
            }
        } catch SafetensorsJSON.Failure.duplicate(let name, let position) {
            throw TensorFileError(file: file, tensor: name, offset: 8 + position, .duplicateName(name))
        } catch SafetensorsJSON.Failure.syntax(let syntax, let position) {
            throw TensorFileError(file: file, offset: 8 + position, .safetensorsHeader(.json(syntax, position: position)))
        }
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        try checkCoverage(entries, dataSize: bytes.count - dataStart, dataStart: dataStart, file: file)
        return SafetensorsHeader(entries: entries, metadata: metadata, dataStart: dataStart)
    }

    /// Checks one entry on its own: dtype, shape, offsets in the data section,
    /// offsets matching the shape.
    private static func validated(_ name: String, _ value: SafetensorsRawEntry, dataSize: Int, dataStart: Int, file: String) throws -> Entry {
        func fail(_ reason: TensorFileError.Reason, at offset: Int? = 8) -> TensorFileError {
            TensorFileError(file: file, tensor: name, offset: offset, reason)
        }
        guard let known = codes[value.dtype] else {
            throw fail(.unsupportedDType(.unknown(value.dtype, in: .safetensors)))
        }
        guard let count = checkedElementCount(value.shape),
              case let (bytes, overflow) = count.multipliedReportingOverflow(by: known.itemSize), !overflow
        else { throw fail(.badShape(.refused(value.shape, itemSize: known.itemSize))) }
        guard value.dataOffsets.count == 2 else {
            throw fail(.safetensorsHeader(.offsetsNotAPair(value.dataOffsets)))
        }
        let begin = value.dataOffsets[0], end = value.dataOffsets[1]
        guard begin >= 0, begin <= end else {
            throw fail(.safetensorsHeader(.offsetsNotIncreasing(begin: begin, end: end)))
        }
        guard end <= dataSize else {
            throw fail(.truncated(needed: end - begin, available: max(0, dataSize - begin)), at: dataStart + begin)
        }
        guard end - begin == bytes else {
            throw fail(.sizeMismatch(expected: bytes, actual: end - begin), at: dataStart + begin)
        }
        return Entry(name: name, code: value.dtype, dtype: known.dtype, shape: value.shape, begin: begin, end: end)
    }

    /// Checks that the sorted entries tile the data section exactly.
    private static func checkCoverage(_ entries: [Entry], dataSize: Int, dataStart: Int, file: String) throws {
        var position = 0
        var previous: String?
        for entry in entries {
            if entry.begin < position {
                throw TensorFileError(file: file, tensor: entry.name, offset: dataStart + entry.begin,
                    .safetensorsHeader(.overlap(begin: entry.begin, end: entry.end, previous: previous ?? "")))
            }
            if entry.begin > position {
                throw TensorFileError(file: file, tensor: entry.name, offset: dataStart + position,
                                      .safetensorsHeader(.gap(bytes: entry.begin - position, after: previous)))
            }
            position = entry.end
            previous = entry.name
        }
        if position != dataSize {
            throw TensorFileError(file: file, offset: dataStart + position, .safetensorsHeader(.trailingBytes(dataSize - position)))
        }
    }
}
