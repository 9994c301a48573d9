/// Why the zip layer (NPZ, `.keras`, `.pt`) refused an archive or a member.
/// Each case carries the sizes and counts concerned; the text lives in
/// `description` (`TensorFileError` adds the file, member and offset).
public enum ZipProblem: Equatable, Sendable, CustomStringConvertible {
    /// No end-of-central-directory record in the file's last 64 KiB.
    case noEndRecord
    /// The ZIP64 end record claims more members than the file can hold.
    case tooManyMembers(UInt64)
    /// The central directory (`size` bytes at `offset`) lies outside the `fileSize`-byte file.
    case directoryOutsideFile(size: UInt64, offset: UInt64, fileSize: Int)
    /// Central directory record `index` (1-based) of `count` is missing or damaged.
    case damagedDirectoryRecord(index: Int, count: Int)
    /// Central directory record `index` (1-based) runs past the end of the file.
    case directoryRecordPastEnd(index: Int)
    /// Member `index` (1-based) claims sizes or an offset beyond the `fileSize`-byte file.
    case memberBeyondFile(index: Int, fileSize: Int)
    /// A ZIP64 extra field holds an impossible size or offset.
    case impossibleZip64Value(UInt64)
    /// ZIPFoundation could not read the central directory: its own message.
    case unreadableDirectory(String)
    /// The directory lists `listed` members but only `readable` can be read.
    case unreadableMembers(listed: Int, readable: Int)
    /// No local file header where the directory points.
    case noLocalHeader
    /// The member is encrypted.
    case encrypted
    /// A compression method other than stored (0) and deflated (8).
    case unsupportedMethod(UInt16)
    /// The directory claims sizes no file can have.
    case impossibleSizes
    /// Two members with the same path (readers disagree on which one counts).
    case duplicateMember(String)
    /// A stored member whose compressed and uncompressed sizes differ.
    case storedSizesDiffer(compressed: Int, size: Int)
    /// A deflated member claiming more bytes than deflate can produce from its compressed size.
    case beyondDeflateRatio(size: Int, compressed: Int)
    /// The local header names another member than the directory.
    case localNameDiffers(String)
    /// A deflated member over 64 MiB declaring more than `ratio` times its compressed size.
    case possibleBomb(size: Int, compressed: Int, ratio: Int)
    /// The member inflates to `produced` bytes, not the `declared` size.
    case inflatedSize(produced: Int, declared: Int)
    /// The member inflates to more than the `declared` size.
    case inflatesPastSize(declared: Int)
    /// The inflated bytes do not have the CRC-32 the directory declares.
    case crcMismatch
    /// The deflate stream does not end within the member's `compressed` bytes.
    case deflateTruncated(compressed: Int)
    /// zlib could not allocate its state.
    case inflateOutOfMemory
    /// The deflated data is corrupt.
    case corruptDeflate

    /// The problem, without file, member or offset.
    public var description: String {
        switch self {
        case .noEndRecord:
            return "no end-of-central-directory record in the last 64 KiB: the file is truncated or not a zip archive"
        case .tooManyMembers(let count):
            return "the ZIP64 end record claims \(count) members, more than the file can hold"
        case .directoryOutsideFile(let size, let offset, let fileSize):
            return "the central directory (\(size) bytes at \(offset)) lies outside the \(fileSize)-byte file"
        case .damagedDirectoryRecord(let index, let count):
            return "central directory record \(index) of \(count) is missing or damaged"
        case .directoryRecordPastEnd(let index):
            return "central directory record \(index) runs past the end of the file"
        case .memberBeyondFile(let index, let fileSize):
            return "member \(index) claims sizes or an offset beyond the \(fileSize)-byte file"
        case .impossibleZip64Value(let value):
            return "a ZIP64 field holds an impossible size or offset \(value)"
        case .unreadableDirectory(let why):
            return "cannot read the central directory (\(why))"
        case .unreadableMembers(let listed, let readable):
            return "the central directory lists \(listed) members but only \(readable) are readable"
        case .noLocalHeader:
            return "no local file header where the directory points"
        case .encrypted:
            return "the member is encrypted"
        case .unsupportedMethod(let method):
            return "compression method \(method) is not supported (only stored and deflated)"
        case .impossibleSizes:
            return "the directory claims impossible sizes"
        case .duplicateMember(let path):
            return "member \(path) is listed twice (readers disagree on which copy counts)"
        case .storedSizesDiffer(let compressed, let size):
            return "stored member with different compressed (\(compressed)) and uncompressed (\(size)) sizes"
        case .beyondDeflateRatio(let size, let compressed):
            return "claims \(size) bytes from \(compressed) deflated bytes, more than deflate can produce"
        case .localNameDiffers(let name):
            return "the local header names '\(name)'"
        case .possibleBomb(let size, let compressed, let ratio):
            return "declares \(size) bytes from \(compressed) deflated bytes: rnnkit inflates a member over "
                + "64 MiB only when it is at most \(ratio) times its compressed size (a decompression bomb?)"
        case .inflatedSize(let produced, let declared):
            return "inflates to \(produced) bytes, the directory declares \(declared)"
        case .inflatesPastSize(let declared):
            return "inflates to more than the \(declared) bytes the directory declares"
        case .crcMismatch:
            return "CRC-32 mismatch (the member is corrupt)"
        case .deflateTruncated(let compressed):
            return "the deflate stream does not end within the member's \(compressed) bytes (truncated or corrupt)"
        case .inflateOutOfMemory:
            return "zlib could not allocate its state"
        case .corruptDeflate:
            return "the deflated data is corrupt"
        }
    }
}
