/// Refuses zips whose directory holds 64-bit numbers that ZIPFoundation
/// 0.9.20 would convert to `off_t` or add without overflow checks, which
/// traps (a crash, found by fuzzing) instead of throwing.
///
/// This is not a zip reader: it looks only at the fields ZIPFoundation turns
/// into file offsets and sizes — the ZIP64 end-of-central-directory record
/// and the ZIP64 extra fields of central-directory entries — finding them
/// the way ZIPFoundation does, and requires each 8-byte value to be below
/// 2^60 (far beyond any real archive). Everything else, including every
/// other kind of damage, is left to ZIPFoundation, which reports it.
enum ZipDirectoryGuard {
    /// Largest 64-bit offset, size or count accepted.
    static let limit: UInt64 = 1 << 60

    static let endSignature: UInt64 = 0x0605_4B50
    static let zip64LocatorSignature: UInt64 = 0x0706_4B50
    static let zip64RecordSignature: UInt64 = 0x0606_4B50
    static let entrySignature: UInt64 = 0x0201_4B50

    /// Throws when a 64-bit directory field of the zip in `map` is absurd.
    static func check(_ map: MappedFile) throws {
        let bytes = map.bytes
        func value(_ offset: Int, _ width: Int) -> UInt64? {
            guard offset >= 0, width <= bytes.count, offset <= bytes.count - width else { return nil }
            var result: UInt64 = 0
            for index in stride(from: width - 1, through: 0, by: -1) { result = result << 8 | UInt64(bytes[offset + index]) }
            return result
        }
        func refuse(_ what: String, _ number: UInt64, at offset: Int) -> TensorFileError {
            TensorFileError(file: map.path, offset: offset, .archive("damaged zip directory: \(what) is \(number), beyond any real archive"))
        }
        // The end record nearest the end of the file, at least 22 bytes before it.
        var end = bytes.count - 22
        while end >= 0, value(end, 4) != endSignature { end -= 1 }
        guard end >= 0, var entries = value(end + 10, 2), var directory = value(end + 16, 4) else { return }
        // ZIP64: a locator right before the end record and the record right before the locator.
        let record = end - 20 - 56
        if value(end - 20, 4) == zip64LocatorSignature, value(record, 4) == zip64RecordSignature,
           let count = value(record + 32, 8), let size = value(record + 40, 8), let offset = value(record + 48, 8) {
            for (field, number) in [("the entry count", count), ("the directory size", size), ("the directory offset", offset)]
            where number >= limit {
                throw refuse("\(field) in the ZIP64 end record", number, at: record)
            }
            entries = count
            directory = offset
        }
        // Central-directory entries, as ZIPFoundation iterates them: stop at the first that does not parse.
        var position = Int(directory)
        while entries > 0, value(position, 4) == entrySignature,
              let name = value(position + 28, 2), let extra = value(position + 30, 2), let comment = value(position + 32, 2) {
            let extraStart = position + 46 + Int(name)
            guard extraStart + Int(extra) <= bytes.count else { return }
            try checkExtraField(from: extraStart, length: Int(extra), value: value, refuse: refuse)
            position = extraStart + Int(extra) + Int(comment)
            entries -= 1
        }
    }

    /// Checks every 8-byte value of the ZIP64 extended-information blocks (id 1) of one extra field.
    static func checkExtraField(
        from start: Int, length: Int, value: (Int, Int) -> UInt64?, refuse: (String, UInt64, Int) -> TensorFileError
    ) throws {
        var offset = start
        while offset + 4 <= start + length, let id = value(offset, 2), let size = value(offset + 2, 2) {
            let next = offset + 4 + Int(size)
            guard next <= start + length else { return }
            if id == 1 {
                for word in stride(from: offset + 4, through: next - 8, by: 8) {
                    if let number = value(word, 8), number >= limit { throw refuse("a ZIP64 size or offset", number, word) }
                }
            }
            offset = next
        }
    }
}
