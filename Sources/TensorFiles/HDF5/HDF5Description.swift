import Foundation

/// What the describing child (`HDF5Isolation.describe`) found in an HDF5
/// file: every object, every dataset's type, shape and storage, every
/// string attribute (single strings and arrays of them). rnnkit decides everything about a file from this
/// description; libhdf5 itself runs only in the child.
struct HDF5Description {
    /// One dataset as libhdf5 describes it.
    struct Dataset {
        /// The dataset's HDF5 path (`encoder/lstm/weight_ih_l0`).
        var path: String
        /// `scalar`, `simple` or `none` (a dataset without a dataspace).
        var extent: String
        /// The dimensions, and the largest each may grow to (nil: unlimited).
        var dims: [UInt64]
        var maxDims: [UInt64?]
        /// `compact`, `contiguous`, `chunked`, `virtual`, `unknown`, or
        /// `unreadable` when the creation properties could not be read.
        var layout: String
        /// How many external raw files hold the data (0: in this file).
        var externalCount: Int
        /// The chunk rank (-1 when unreadable) and dimensions, for chunked data.
        var chunkRank: Int
        var chunk: [UInt64]
        /// How many filters (compression, shuffle, …) the data passes.
        var filterCount: Int
        /// The datatype's class (`float`, `integer`, `enum`, `string`, …), size
        /// in bytes and, for integers, sign.
        var typeClass: String
        var typeSize: Int
        var signed: Bool
        /// For 2-byte floats: 1 = IEEE half, 2 = bfloat16, 0 = another layout.
        var float16Kind: Int
        /// Whether an enum is h5py's boolean (one byte, FALSE = 0, TRUE = 1).
        var isBoolean: Bool
        /// Bytes the file stores for the data (compressed size when filtered).
        var storedBytes: Int
        /// The dataset's single-string attribute `dtype` (Keras 3 tags its
        /// bfloat16 data, stored as 2-byte opaque data, with "bfloat16"), or nil.
        var dtypeAttribute: String?
    }

    /// Why the file could not be described (opened or listed), or nil.
    var failure: HDF5LibraryFailure?
    /// Every object's path as libhdf5 lists it (`.` is the root group).
    var objects: [String] = []
    /// The datasets, in listing order, each described or with the failure
    /// that stopped its description.
    var datasets: [(path: String, result: Result<Dataset, HDF5LibraryFailure>)] = []
    /// The single-string attributes of each object (keys as in `objects`, `/` for the root).
    var attributes: [String: [String: String]] = [:]
    /// The one-dimensional string-array attributes of each object (an empty
    /// array of any type gives `[]`); one-element arrays are in `attributes`.
    var attributeLists: [String: [String: [String]]] = [:]
    /// For an object whose attributes could not all be read: why.
    var attributeFailures: [String: HDF5LibraryFailure] = [:]
    /// The links that are not hard links (soft, external, user-defined), with
    /// their targets; nothing behind them is read.
    var links: [(path: String, kind: String, target: String)] = []

    /// A record the child never sends (`HDF5Problem.malformedRecord`).
    struct MalformedRecord: Error {
        var record: String
    }

    /// Parses the child's records (see `hdf5_probe.h`). A malformed record
    /// (which the child never sends) is an error naming it.
    init(records: String) throws {
        for line in records.split(separator: "\n", omittingEmptySubsequences: true) {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map { Self.unescape($0) }
            guard let tag = fields.first else { continue }
            let values = Array(fields.dropFirst())
            let malformed = MalformedRecord(record: String(line.prefix(200)))
            func need(_ count: Int) throws {
                guard values.count == count else { throw malformed }
            }
            /// The failure in the last three fields.
            func failureFields() throws -> HDF5LibraryFailure {
                guard let failure = Self.libraryFailure(values.suffix(3)) else { throw malformed }
                return failure
            }
            switch tag {
            case "F":
                try need(3)
                failure = try failure ?? failureFields()
            case "O":
                try need(1)
                objects.append(values[0])
            case "D":
                try need(16)
                datasets.append((values[0], .success(try Self.dataset(values))))
            case "d":
                try need(4)
                datasets.append((values[0], .failure(try failureFields())))
            case "A":
                try need(3)
                attributes[values[0], default: [:]][values[1]] = values[2]
            case "L":
                guard values.count >= 2 else { throw malformed }
                attributeLists[values[0], default: [:]][values[1]] = Array(values.dropFirst(2))
            case "K":
                try need(3)
                links.append((path: values[0], kind: values[1], target: values[2]))
            case "a":
                try need(4)
                attributeFailures[values[0]] = try attributeFailures[values[0]] ?? failureFields()
            default:
                throw malformed
            }
        }
        // The child sends the attributes after every dataset.
        for index in datasets.indices {
            guard case .success(var dataset) = datasets[index].result else { continue }
            dataset.dtypeAttribute = attributes[Self.key(dataset.path)]?["dtype"]
            datasets[index].result = .success(dataset)
        }
    }

    /// The failure in a record's fields `operation subject account`, nil
    /// for an operation code the child never sends.
    static func libraryFailure<Fields: Collection<String>>(_ fields: Fields) -> HDF5LibraryFailure? {
        let values = Array(fields)
        guard values.count == 3, let operation = HDF5Operation(code: values[0], subject: values[1]) else { return nil }
        return HDF5LibraryFailure(operation, account: values[2])
    }

    /// Whether `object` (a path from the root, with or without slashes around
    /// it; `/` or empty for the root) is one of the file's objects.
    func contains(object: String) -> Bool {
        let key = Self.key(object)
        return key == "/" || objects.contains(key)
    }

    /// The key `attributes` and `attributeFailures` use for `object`.
    static func key(_ object: String) -> String {
        let trimmed = object.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
        return trimmed.isEmpty || trimmed == "." ? "/" : trimmed
    }

    private static func dataset(_ values: [String]) throws -> Dataset {
        func integer(_ index: Int) throws -> Int {
            guard let value = Int(values[index]) else { throw MalformedRecord(record: values.joined(separator: "\t")) }
            return value
        }
        func dims(_ index: Int) throws -> [UInt64?] {
            guard !values[index].isEmpty else { return [] }
            return try values[index].split(separator: ",").map { text in
                if text == "u" { return nil }
                guard let value = UInt64(text) else { throw MalformedRecord(record: values.joined(separator: "\t")) }
                return value
            }
        }
        return Dataset(
            path: values[0], extent: values[1],
            dims: try dims(3).map { $0 ?? .max }, maxDims: try dims(4),
            layout: values[5], externalCount: try integer(6),
            chunkRank: try integer(7), chunk: try dims(8).map { $0 ?? .max },
            filterCount: try integer(9),
            typeClass: values[10], typeSize: try integer(11), signed: try integer(12) != 0,
            float16Kind: try integer(13), isBoolean: try integer(14) != 0,
            storedBytes: try integer(15))
    }

    /// Decodes the %XX escapes of one field.
    private static func unescape(_ field: Substring) -> String {
        guard field.contains("%") else { return String(field) }
        var bytes: [UInt8] = []
        var utf8 = Array(field.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
               let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
