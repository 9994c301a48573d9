import Foundation

/// Reads `.npz` files (`numpy.savez`, `numpy.savez_compressed`): a zip archive
/// of `.npy` members, stored or deflated, ZIP64 or not.
///
/// A member `NAME.npy` becomes the tensor `NAME`. Opening reads only each
/// member's NPY header (for a deflated member, only as much as must be
/// inflated to reach the end of its header). A stored, C-ordered member is a
/// zero-copy view of the mapped file; a deflated member is inflated when its
/// data is first requested, once, straight into the tensor's buffer, which
/// the tensor then keeps.
/// Members that are not NPY arrays are listed in `otherItems`, under the
/// tensor name they would have.
public enum NPZReader {
    /// Reads the archive at `path`.
    public static func read(path: String) throws -> TensorFile {
        let archive = try ZipArchive(path: path)
        var tensors: [NamedTensor] = []
        var others: [(name: String, summary: String)] = []
        var seen = Set<String>()
        for member in archive.members {
            let name = member.path.hasSuffix(".npy") ? String(member.path.dropLast(4)) : member.path
            let found: NPYHeader?
            do {
                found = try header(of: member, in: archive, name: name)
            } catch var error as TensorFileError {
                error.tensor = name  // the zip layer names the member path
                throw error
            }
            guard let header = found else {
                // Named as the tensor it would be, so that a module missing it says so.
                let what = "not an NPY array (\(member.size) bytes)"
                others.append(name == member.path ? (name, what) : (name, "\(member.path): \(what)"))
                continue
            }
            guard seen.insert(name).inserted else {
                throw TensorFileError(file: path, tensor: name, .duplicateName(name))
            }
            tensors.append(NamedTensor(name: name, tensor: try tensor(member, header, in: archive, name: name)))
        }
        return TensorFile(path: path, format: .npz, tensors: tensors, otherItems: others)
    }

    /// The NPY header of `member`, or nil when the member is not an NPY array.
    static func header(of member: ZipMember, in archive: ZipArchive, name: String) throws -> NPYHeader? {
        var head = try archive.prefix(of: member, count: 4096)
        guard head.starts(with: NPYHeader.magic) else { return nil }
        if let end = head.withUnsafeBytes({ NPYHeader.headerEnd(in: $0) }),
           end > head.count, end <= NPYHeader.maximumHeaderLength + 12 {
            head = try archive.prefix(of: member, count: end)
        }
        return try parse(head, member, archive, name)
    }

    /// Parses the header in `head`, rewriting errors to name the archive and member.
    private static func parse(_ head: Data, _ member: ZipMember, _ archive: ZipArchive, _ name: String) throws -> NPYHeader {
        do {
            return try head.withUnsafeBytes { try NPYHeader.parse($0, file: archive.map.path) }
        } catch var error as TensorFileError {
            error.tensor = name
            // Offsets inside a deflated member mean nothing in the file.
            error.offset = member.isDeflated ? nil : error.offset.map { $0 + member.dataOffset }
            if case .truncated = error.reason, head.count == member.size {
                error.reason = .npyHeader(.memberEndsInHeader(memberSize: member.size))
            }
            throw error
        }
    }

    /// The tensor of `member`, after checking its size against the header.
    static func tensor(_ member: ZipMember, _ header: NPYHeader, in archive: ZipArchive, name: String) throws -> Tensor {
        let file = archive.map.path
        guard let size = checkedByteCount(header.shape, header.dtype) else {
            throw TensorFileError(file: file, tensor: name, .badShape(.overflows(header.shape, itemSize: nil)))
        }
        let present = member.size - header.dataOffset
        guard present == size else {
            let offset = member.isDeflated ? nil : member.dataOffset + header.dataOffset
            if present < size {
                throw TensorFileError(file: file, tensor: name, offset: offset, .truncated(needed: size, available: present))
            }
            throw TensorFileError(file: file, tensor: name, offset: offset, .sizeMismatch(expected: size, actual: present))
        }
        if !member.isDeflated {
            let payload = try archive.map.data(member.dataOffset + header.dataOffset, size, tensor: name)
            return NPYReader.tensor(header: header, payload: payload)
        }
        // Inflated once per process, without the header, into the buffer the
        // tensor keeps (a C-ordered little-endian member is not copied again);
        // every later `data()` of this tensor, or of a copy, gets those bytes.
        let once = LoadOnce {
            let payload: Data
            do {
                payload = try archive.contents(of: member, from: header.dataOffset)
            } catch var error as TensorFileError {
                error.tensor = name
                throw error
            }
            return NPYReader.cOrderBytes(header: header, payload: payload)
        }
        return Tensor(dtype: header.dtype, shape: header.shape) { try once.data() }
    }
}

/// Runs a loader at most once (until it succeeds) and keeps its result.
final class LoadOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Data?
    private let load: () throws -> Data

    init(_ load: @escaping () throws -> Data) {
        self.load = load
    }

    /// The loader's result, from the first successful call on.
    func data() throws -> Data {
        lock.lock()
        defer { lock.unlock() }
        if let result { return result }
        let loaded = try load()
        result = loaded
        return loaded
    }
}
