import Foundation

/// Where a checkpoint's storage bytes come from (zip members, or regions of a
/// legacy file).
protocol TorchStorageSource: AnyObject, Sendable {
    /// How many bytes storage `key` holds, known without reading them; nil
    /// when the file has no such storage.
    func availableBytes(of key: String) throws -> Int?
    /// Bytes `range` of storage `key` (read on first use), or a `.truncated`
    /// error when the storage turns out shorter.
    func bytes(of key: String, in range: Range<Int>) throws -> Data
}

/// Turns tensor records into lazy `Tensor`s after checking every view
/// against the storage it reads.
enum TorchStorageViews {
    /// A non-contiguous view is copied out at most this many times the size
    /// of its storage…
    static let maximumExpansion = 4
    /// …or this many bytes, whichever is larger.
    static let minimumExpansionLimit = 1 << 20

    /// The tensor `record` describes. Checks, without reading data, that the
    /// storage exists, holds the bytes its persistent id declares, and that
    /// every element the view addresses lies inside it.
    static func tensor(
        _ record: TorchTensorRecord, name: String, file: String, source: TorchStorageSource
    ) throws -> Tensor {
        let storage = record.storage
        func fail(_ problem: TorchStorageProblem) -> TensorFileError {
            TensorFileError(file: file, tensor: name, .torchStorage(problem))
        }
        guard let available = try source.availableBytes(of: storage.key) else {
            throw fail(.missing(storage: storage.key))
        }
        let (storageEnd, overflow) = storage.viewOffset.addingReportingOverflow(storage.byteCount)
        guard !overflow, storageEnd <= available else {
            throw fail(.short(storage: storage.key, declared: storage.byteCount, from: storage.viewOffset, available: available))
        }
        guard let byteCount = checkedByteCount(record.shape, record.dtype) else {
            throw fail(.shapeOverflows(record.shape))
        }
        let itemSize = record.dtype.itemSize
        if byteCount == 0 {
            return Tensor(dtype: record.dtype, shape: record.shape) { Data() }
        }
        let view = TorchStorageProblem.View(offset: record.offset, shape: record.shape, strides: record.strides)
        guard let range = StridedCopy.addressedRange(shape: record.shape, strides: record.strides, offset: record.offset),
              range.lowerBound >= 0
        else { throw fail(.viewOverflows(view)) }
        let (elementCount, countOverflow) = range.upperBound.addingReportingOverflow(1)
        let (elementEnd, productOverflow) = elementCount.multipliedReportingOverflow(by: itemSize)
        let endOverflow = countOverflow || productOverflow
        guard !endOverflow, elementEnd <= storage.byteCount else {
            throw fail(.viewPastStorage(storage: storage.key, storageBytes: storage.byteCount, view: view, dtype: record.dtype,
                                        needed: endOverflow ? nil : elementEnd))
        }
        let contiguous = isRowMajor(shape: record.shape, strides: record.strides)
        let start = storage.viewOffset + record.offset * itemSize
        if contiguous {
            let range = start ..< start + byteCount
            return Tensor(dtype: record.dtype, shape: record.shape) { [source] in
                try source.bytes(of: storage.key, in: range)
            }
        }
        // A strided view is materialised: one whose strides repeat elements
        // (stride 0, as `expand` makes) could claim gigabytes over a few bytes.
        let limit = max(storage.byteCount.multipliedClamped(by: maximumExpansion), minimumExpansionLimit)
        guard byteCount <= limit else {
            throw fail(.overExpanded(view: view, bytes: byteCount, storageBytes: storage.byteCount,
                                     maximumExpansion: maximumExpansion, minimumLimit: minimumExpansionLimit))
        }
        let region = storage.viewOffset ..< storageEnd
        return Tensor(dtype: record.dtype, shape: record.shape) { [source] in
            let bytes = try source.bytes(of: storage.key, in: region)
            return bytes.withUnsafeBytes { raw in
                StridedCopy.gather(raw, itemSize: itemSize, shape: record.shape, strides: record.strides,
                                   offset: record.offset)
            }
        }
    }

    /// Whether the strides are C order for the shape (dimensions of size 1
    /// may have any stride).
    static func isRowMajor(shape: [Int], strides: [Int]) -> Bool {
        var expected = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) where shape[axis] != 1 {
            if strides[axis] != expected { return false }
            expected *= shape[axis]
        }
        return true
    }
}
