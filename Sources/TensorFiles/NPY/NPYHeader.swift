import Foundation

/// The header of a `.npy` file (format versions 1.0, 2.0 and 3.0).
///
/// Layout: the magic `\x93NUMPY`, a major and a minor version byte, the header
/// length (2 bytes little-endian in 1.0, 4 bytes in 2.0/3.0), then a Python
/// dict literal such as `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`
/// padded with spaces and ending in `\n`. The data follows immediately.
public struct NPYHeader: Equatable, Sendable {
    /// The element type.
    public var dtype: DType
    /// Whether the stored bytes are big-endian.
    public var bigEndian: Bool
    /// Whether the array is stored in Fortran (column-major) order.
    public var fortranOrder: Bool
    /// The shape.
    public var shape: [Int]
    /// Byte offset of the data within the file.
    public var dataOffset: Int

    /// The six magic bytes every NPY file starts with.
    public static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    /// The longest header rnnkit accepts (1 MiB; numpy itself refuses more
    /// than 10 000 bytes unless told otherwise, and real headers are < 1 KiB).
    public static let maximumHeaderLength = 1 << 20

    /// The number of bytes from the start of the file to the end of the
    /// header (where the data starts), read from the fixed-size preamble; nil
    /// when `bytes` is too short to hold the preamble or is not NPY. Lets a
    /// reader fetch exactly the header of a compressed member.
    public static func headerEnd(in bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= 10, bytes.starts(with: magic) else { return nil }
        switch bytes[6] {
        case 1: return 10 + (Int(bytes[8]) | Int(bytes[9]) << 8)
        case 2, 3:
            guard bytes.count >= 12 else { return nil }
            return 12 + (Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24)
        default: return nil
        }
    }

    /// Parses the header at the start of `bytes`. `file` names the file in errors.
    public static func parse(_ bytes: UnsafeRawBufferPointer, file: String) throws -> NPYHeader {
        guard bytes.count >= 10 else {
            throw TensorFileError(file: file, offset: 0, .truncated(needed: 10, available: bytes.count))
        }
        guard Array(bytes[0 ..< 6]) == magic else {
            throw TensorFileError(file: file, offset: 0, .badMagic(expected: .npy))
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else {
                throw TensorFileError(file: file, offset: 8, .truncated(needed: 4, available: bytes.count - 8))
            }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw TensorFileError(file: file, offset: 6, .npyHeader(.version(major: major, minor: bytes[7])))
        }
        guard headerLength <= maximumHeaderLength else {
            throw TensorFileError(file: file, offset: 8, .headerTooLong(length: UInt64(headerLength), limit: maximumHeaderLength))
        }
        guard headerLength <= bytes.count - headerStart else {
            throw TensorFileError(
                file: file, offset: headerStart,
                .truncated(needed: headerLength, available: bytes.count - headerStart))
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[headerStart ..< headerStart + headerLength])
        guard let text = String(bytes: headerBytes, encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw TensorFileError(file: file, offset: headerStart, .npyHeader(.notText))
        }
        var header = try parseDict(text, file: file, offset: headerStart)
        header.dataOffset = headerStart + headerLength
        return header
    }

    /// Parses the dict literal. Accepts the keys in any order and both quote styles.
    static func parseDict(_ text: String, file: String, offset: Int) throws -> NPYHeader {
        func fail(_ problem: NPYHeaderProblem.DictProblem) -> TensorFileError {
            TensorFileError(file: file, offset: offset, .npyHeader(.dict(problem, header: text)))
        }
        var scanner = LiteralScanner(text)
        var descr: String?
        var fortran: Bool?
        var shape: [Int]?
        guard scanner.consume("{") else { throw fail(.expectedOpeningBrace) }
        while true {
            if scanner.consume("}") { break }
            guard let key = scanner.string() else { throw fail(.expectedKey) }
            guard scanner.consume(":") else { throw fail(.expectedColon(after: key)) }
            switch key {
            case "descr":
                guard let value = scanner.string() else { throw fail(.descrNotString) }
                descr = value
            case "fortran_order":
                if scanner.consume("True") { fortran = true }
                else if scanner.consume("False") { fortran = false }
                else { throw fail(.fortranOrderNotBool) }
            case "shape":
                guard scanner.consume("(") else { throw fail(.shapeNotTuple) }
                var dims: [Int] = []
                while !scanner.consume(")") {
                    guard let value = scanner.integer() else { throw fail(.badDimension) }
                    guard value >= 0 else { throw fail(.negativeDimension(value)) }
                    dims.append(value)
                    _ = scanner.consume(",")
                }
                shape = dims
            default:
                throw fail(.unknownKey(key))
            }
            if !scanner.consume(",") {
                guard scanner.consume("}") else { throw fail(.expectedCommaOrBrace) }
                break
            }
        }
        guard let descr, let fortran, let shape else { throw fail(.missingKey) }
        let (dtype, bigEndian) = try parseDescr(descr, file: file, offset: offset)
        guard checkedByteCount(shape, dtype) != nil else {
            throw TensorFileError(file: file, offset: offset, .badShape(.overflows(shape, itemSize: dtype.itemSize)))
        }
        return NPYHeader(dtype: dtype, bigEndian: bigEndian, fortranOrder: fortran, shape: shape, dataOffset: 0)
    }

    /// Maps a numpy type string (`<f4`, `>f8`, `|b1`, …) to a dtype and byte order.
    static func parseDescr(_ descr: String, file: String, offset: Int) throws -> (DType, Bool) {
        let characters = Array(descr)
        guard characters.count >= 3, "<>|=".contains(characters[0]) else {
            throw TensorFileError(file: file, offset: offset, .unsupportedDType(.unknown(descr, in: .npy)))
        }
        let bigEndian = characters[0] == ">"
        let code = String(characters[1...])
        let dtype: DType
        switch code {
        case "f2": dtype = .float16
        case "f4": dtype = .float32
        case "f8": dtype = .float64
        case "i1": dtype = .int8
        case "u1": dtype = .uint8
        case "i2": dtype = .int16
        case "i4": dtype = .int32
        case "i8": dtype = .int64
        case "b1": dtype = .bool
        default:
            throw TensorFileError(file: file, offset: offset, .unsupportedDType(.unknown(descr, in: .npy)))
        }
        return (dtype, bigEndian && dtype.itemSize > 1)
    }

    /// The header bytes numpy would write for `dtype` and `shape` (C order,
    /// little-endian), version 1.0 when it fits and 2.0 otherwise, padded so
    /// the data starts on a 64-byte boundary.
    public static func encode(dtype: DType, shape: [Int]) throws -> Data {
        let code: String
        switch dtype {
        case .float16: code = "<f2"
        case .float32: code = "<f4"
        case .float64: code = "<f8"
        case .int8: code = "|i1"
        case .uint8: code = "|u1"
        case .int16: code = "<i2"
        case .int32: code = "<i4"
        case .int64: code = "<i8"
        case .bool: code = "|b1"
        case .bfloat16:
            throw TensorFileError(file: "(npy)", .unsupportedDType(.notStorable(.bfloat16, in: .npy)))
        }
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dict = "{'descr': '\(code)', 'fortran_order': False, 'shape': \(shapeText), }"
        func padded(_ prefix: Int) -> Int {
            let total = prefix + dict.utf8.count + 1
            return dict.utf8.count + (64 - total % 64) % 64 + 1
        }
        var version: UInt8 = 1
        var prefix = 10
        if padded(10) > 65535 { version = 2; prefix = 12 }
        dict += String(repeating: " ", count: padded(prefix) - dict.utf8.count - 1) + "\n"
        var data = Data(magic)
        data.append(version)
        data.append(0)
        let length = dict.utf8.count
        if version == 1 {
            data.append(UInt8(length & 0xFF)); data.append(UInt8(length >> 8))
        } else {
            for shift in stride(from: 0, to: 32, by: 8) { data.append(UInt8((length >> shift) & 0xFF)) }
        }
        data.append(contentsOf: Array(dict.utf8))
        return data
    }
}

/// A tiny scanner for the Python literal in an NPY header.
struct LiteralScanner {
    private let characters: [Character]
    private var index = 0

    init(_ text: String) { characters = Array(text) }

    private mutating func skipSpace() {
        while index < characters.count, characters[index].isWhitespace { index += 1 }
    }

    mutating func consume(_ token: String) -> Bool {
        skipSpace()
        let tokenCharacters = Array(token)
        guard index + tokenCharacters.count <= characters.count,
              Array(characters[index ..< index + tokenCharacters.count]) == tokenCharacters
        else { return false }
        index += tokenCharacters.count
        return true
    }

    mutating func string() -> String? {
        skipSpace()
        guard index < characters.count, characters[index] == "'" || characters[index] == "\"" else { return nil }
        let quote = characters[index]
        var end = index + 1
        while end < characters.count, characters[end] != quote { end += 1 }
        guard end < characters.count else { return nil }
        let value = String(characters[index + 1 ..< end])
        index = end + 1
        return value
    }

    mutating func integer() -> Int? {
        skipSpace()
        var end = index
        if end < characters.count, characters[end] == "-" { end += 1 }
        while end < characters.count, characters[end].isASCII, characters[end].isNumber { end += 1 }
        // Python 2 era files may write long dimensions as `3L`.
        guard end > index, let value = Int(String(characters[index ..< end])) else { return nil }
        index = end
        if index < characters.count, characters[index] == "L" { index += 1 }
        return value
    }
}
