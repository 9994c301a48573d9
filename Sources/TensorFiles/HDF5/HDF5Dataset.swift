import Foundation

/// What rnnkit makes of one HDF5 dataset, from the description a child made
/// (`HDF5Description.Dataset`), and how its data is read.
enum HDF5Dataset {
    /// A dataset seen as a tensor, or as something else with a description.
    enum Kind {
        case tensor(DType, [Int])
        case other(String)
    }

    /// Classifies a dataset from its datatype, dataspace and storage.
    static func kind(of dataset: HDF5Description.Dataset, file: String, name: String) throws -> Kind {
        let shape: [Int]
        switch dataset.extent {
        case "scalar":
            shape = []
        case "simple":
            guard dataset.dims.allSatisfy({ $0 <= UInt64(Int.max) }) else {
                throw TensorFileError(file: file, tensor: name, .badShape(.tooLarge(dataset.dims)))
            }
            shape = dataset.dims.map { Int($0) }
        default:
            return .other("dataset without a dataspace (no data)")
        }
        if let elsewhere = storedElsewhere(dataset) { return .other(elsewhere) }
        try checkChunks(dataset, rank: shape.count, file: file, name: name)
        let (dtype, why) = elementType(dataset)
        guard let dtype else { return .other("\(why) dataset of shape \(shape)") }
        guard checkedByteCount(shape, dtype) != nil else {
            throw TensorFileError(file: file, tensor: name, .badShape(.overflows(shape, itemSize: dtype.itemSize)))
        }
        return .tensor(dtype, shape)
    }

    /// Why a dataset's data lives outside this file (external raw files or
    /// a virtual dataset), or nil. Such data is not read: a file from a
    /// stranger could otherwise make rnnkit read any file on the machine.
    private static func storedElsewhere(_ dataset: HDF5Description.Dataset) -> String? {
        if dataset.layout == "unreadable" { return "dataset with unreadable storage properties" }
        if dataset.layout == "virtual" { return "virtual dataset (data in other files; not read)" }
        if dataset.externalCount > 0 { return "dataset stored in external files (not read)" }
        return nil
    }

    /// Refuses a chunked dataset whose chunk rank differs from its own rank
    /// (libhdf5 1.10 loops forever reading one; later versions refuse it too),
    /// or whose chunks are larger than a fixed-size dimension (libhdf5 never
    /// writes one; reading one made libhdf5 1.10 copy past a buffer).
    private static func checkChunks(_ dataset: HDF5Description.Dataset, rank: Int, file: String, name: String) throws {
        guard dataset.layout == "chunked" else { return }
        guard rank > 0, dataset.chunkRank == rank, dataset.chunk.count == rank, dataset.chunk.allSatisfy({ $0 > 0 }) else {
            throw TensorFileError(file: file, tensor: name, .hdf5(.chunkRank(chunk: dataset.chunkRank, dataset: rank)))
        }
        guard dataset.maxDims.count == rank else { return }
        for axis in 0 ..< rank {
            if let limit = dataset.maxDims[axis], dataset.chunk[axis] > limit {
                throw TensorFileError(file: file, tensor: name, .hdf5(.chunksBeyondMaximum(
                    chunks: dataset.chunk.map { Int(clamping: $0) }, maximum: dataset.maxDims.map { Int(clamping: $0 ?? .max) })))
            }
        }
    }

    /// The dtype a datatype is read as, or nil and a description of it.
    /// Unsigned 16- and 32-bit integers are widened (libhdf5 converts them).
    /// Opaque data is bfloat16 only as Keras 3 saves it: 2 bytes, tagged
    /// with the string attribute dtype="bfloat16" (ml_dtypes' bytes, little-endian).
    private static func elementType(_ dataset: HDF5Description.Dataset) -> (DType?, String) {
        let size = dataset.typeSize
        switch dataset.typeClass {
        case "float":
            switch size {
            case 2:
                switch dataset.float16Kind {
                case 1: return (.float16, "")
                case 2: return (.bfloat16, "")
                default: return (nil, "16-bit float (unknown layout)")
                }
            case 4: return (.float32, "")
            case 8: return (.float64, "")
            default: return (nil, "\(size)-byte float")
            }
        case "integer":
            switch (size, dataset.signed) {
            case (1, true): return (.int8, "")
            case (1, false): return (.uint8, "")
            case (2, true): return (.int16, "")
            case (2, false), (4, true): return (.int32, "")
            case (4, false), (8, true): return (.int64, "")
            default: return (nil, "\(size * 8)-bit \(dataset.signed ? "" : "unsigned ")integer")
            }
        case "enum": return dataset.isBoolean ? (.bool, "") : (nil, "enum")
        case "string": return (nil, "string")
        case "compound": return (nil, "compound")
        case "vlen": return (nil, "variable-length")
        case "array": return (nil, "array-typed")
        case "reference": return (nil, "reference")
        case "opaque":
            guard dataset.dtypeAttribute == "bfloat16" else { return (nil, "opaque") }
            return size == 2 ? (.bfloat16, "") : (nil, "\(size)-byte opaque (tagged bfloat16, which takes 2 bytes)")
        case "bitfield": return (nil, "bitfield")
        default: return (nil, "non-numeric")
        }
    }

    /// Reads the whole dataset as little-endian, C-ordered `dtype` elements.
    static func load(_ dataset: HDF5Description.Dataset, from source: HDF5Source, name: String,
                     dtype: DType, shape: [Int]) throws -> Data {
        guard let bytes = checkedByteCount(shape, dtype) else {
            throw TensorFileError(file: source.path, tensor: name, .badShape(.overflows(shape, itemSize: nil)))
        }
        try checkStorage(dataset, bytes: bytes, shape: shape, file: source.path, name: name)
        // libhdf5 reads the data in a child process (see HDF5Isolation).
        return try HDF5Library.locked {
            try HDF5Isolation.readData(of: dataset, in: source, name: name, dtype: dtype, bytes: bytes)
        }
    }

    /// Refuses, before anything is allocated, a dataset whose shape does not
    /// fit the bytes the file stores for it:
    /// - contiguous data must be exactly `elements × file item size` bytes
    ///   (or, up to 1 MiB, not written at all), compact data exactly that;
    ///   libhdf5 1.10 copies past the end of a shorter one;
    /// - chunked data may not need more than the stored bytes, or 1032 ×
    ///   them (deflate's largest ratio) when filtered; datasets up to 1 MiB
    ///   are exempt (fill values, edge padding). A damaged or hostile file
    ///   could otherwise claim gigabytes and make libhdf5 walk millions of
    ///   empty chunks.
    private static func checkStorage(_ dataset: HDF5Description.Dataset, bytes: Int, shape: [Int], file: String, name: String) throws {
        let stored = dataset.storedBytes
        let fileBytes = (checkedElementCount(shape) ?? .max).multipliedReportingOverflow(by: dataset.typeSize).partialValue
        func fail(_ layout: HDF5Problem.StorageLayout) -> TensorFileError {
            TensorFileError(file: file, tensor: name, .hdf5(.storage(shape: shape, needed: fileBytes, stored: stored, layout: layout)))
        }
        switch dataset.layout {
        case "compact":
            guard stored == fileBytes else { throw fail(.exact) }
        case "contiguous":
            guard stored == 0 || stored == fileBytes else { throw fail(.exact) }
            guard stored > 0 || bytes <= 1 << 20 else { throw fail(.unallocated) }
        default:
            guard bytes > 1 << 20 else { return }
            let filtered = dataset.filterCount > 0
            let limit = filtered ? stored.multipliedReportingOverflow(by: 1032).partialValue : stored
            guard fileBytes <= limit else { throw fail(.chunked(compressed: filtered)) }
        }
    }
}
