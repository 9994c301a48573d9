import Foundation

/// An n-dimensional array: a dtype, a shape and its bytes.
///
/// Bytes are always little-endian and C-ordered (row-major). Readers that find
/// big-endian, Fortran-ordered or strided data convert it when the bytes are
/// requested, so the rest of rnnkit sees one layout. A tensor read from a file
/// does not hold its data until `data()` (or a typed accessor) is called: for
/// mapped formats the data is a view of the map, for others it is loaded on
/// demand.
public struct Tensor: Sendable {
    /// The element type.
    public let dtype: DType
    /// The dimensions, outermost first. `[]` is a scalar.
    public let shape: [Int]
    let storage: Storage

    enum Storage: Sendable {
        case loaded(Data)
        case deferred(@Sendable () throws -> Data)
        /// `source` converted to this tensor's dtype when the bytes are asked
        /// for: `data()` converts it whole, writers piece by piece
        /// (`Tensor.forEachPiece`, Writing/TensorPieces.swift).
        indirect case converted(from: Tensor)
    }

    /// Number of elements (product of `shape`; 1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }

    /// Number of bytes the data occupies.
    public var byteCount: Int { elementCount * dtype.itemSize }

    /// Creates a tensor over bytes already in memory.
    ///
    /// - Throws: `TensorFileError` (file `"(memory)"`) when the shape is invalid
    ///   or `data.count` is not `shape × itemsize`.
    public init(dtype: DType, shape: [Int], data: Data) throws {
        guard let expected = checkedByteCount(shape, dtype) else {
            throw TensorFileError(file: "(memory)", .badShape(.refused(shape, itemSize: dtype.itemSize)))
        }
        guard expected == data.count else {
            throw TensorFileError(file: "(memory)", .sizeMismatch(expected: expected, actual: data.count))
        }
        self.dtype = dtype
        self.shape = shape
        self.storage = .loaded(data)
    }

    /// Creates a tensor whose bytes are produced by `loader` when first needed.
    ///
    /// The caller guarantees that `shape × itemsize` does not overflow; the
    /// loader's result is checked against it when called.
    public init(dtype: DType, shape: [Int], loader: @escaping @Sendable () throws -> Data) {
        self.dtype = dtype
        self.shape = shape
        self.storage = .deferred(loader)
    }

    /// A float32 tensor from values in C order.
    public init(shape: [Int], floats: [Float]) {
        precondition(shape.reduce(1, *) == floats.count, "shape \(shape) does not hold \(floats.count) values")
        self.dtype = .float32
        self.shape = shape
        self.storage = .loaded(floats.withUnsafeBytes { Data($0) })
    }

    /// A float64 tensor from values in C order.
    public init(shape: [Int], doubles: [Double]) {
        precondition(shape.reduce(1, *) == doubles.count, "shape \(shape) does not hold \(doubles.count) values")
        self.dtype = .float64
        self.shape = shape
        self.storage = .loaded(doubles.withUnsafeBytes { Data($0) })
    }

    /// An int64 tensor from values in C order.
    public init(shape: [Int], int64s: [Int64]) {
        precondition(shape.reduce(1, *) == int64s.count, "shape \(shape) does not hold \(int64s.count) values")
        self.dtype = .int64
        self.shape = shape
        self.storage = .loaded(int64s.withUnsafeBytes { Data($0) })
    }

    /// Whether the bytes are already in memory (or mapped).
    public var isLoaded: Bool {
        if case .loaded = storage { return true }
        return false
    }

    /// The raw bytes: little-endian, C order, `byteCount` long.
    public func data() throws -> Data {
        switch storage {
        case .loaded(let data):
            return data
        case .deferred(let loader):
            let data = try loader()
            guard data.count == byteCount else {
                throw TensorFileError(file: "(memory)", .sizeMismatch(expected: byteCount, actual: data.count))
            }
            return data
        case .converted(let source):
            return try source.converted(to: dtype).data()
        }
    }

    /// The same tensor with its bytes loaded.
    public func loaded() throws -> Tensor {
        try Tensor(dtype: dtype, shape: shape, data: data())
    }

    /// The same data seen with another shape of the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor? {
        guard checkedElementCount(newShape) == elementCount else { return nil }
        switch storage {
        case .loaded(let data): return try? Tensor(dtype: dtype, shape: newShape, data: data)
        case .deferred(let loader): return Tensor(dtype: dtype, shape: newShape, loader: loader)
        case .converted(let source): return source.reshaped(newShape).map { Tensor(converting: $0, to: dtype) }
        }
    }

    /// The values as `Float`, converting from any dtype (float64 rounds).
    public func floats() throws -> [Float] {
        let bytes = try data()
        let count = elementCount
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.withUnsafeBytes { raw in
                switch dtype {
                case .float32:
                    for i in 0 ..< count { buffer[i] = raw.loadUnaligned(fromByteOffset: i * 4, as: Float.self) }
                case .float64:
                    for i in 0 ..< count { buffer[i] = Float(raw.loadUnaligned(fromByteOffset: i * 8, as: Double.self)) }
                case .float16:
                    for i in 0 ..< count {
                        buffer[i] = HalfPrecision.float(fromHalf: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
                    }
                case .bfloat16:
                    for i in 0 ..< count {
                        buffer[i] = HalfPrecision.float(fromBFloat16: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
                    }
                default:
                    let integers = Self.integers(raw, dtype, count)
                    for i in 0 ..< count { buffer[i] = Float(integers[i]) }
                }
            }
            initialized = count
        }
    }

    /// The values as `Double`, converting from any dtype (exact for every float type).
    public func doubles() throws -> [Double] {
        let bytes = try data()
        let count = elementCount
        switch dtype {
        case .float64:
            return [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
                bytes.withUnsafeBytes { raw in
                    for i in 0 ..< count { buffer[i] = raw.loadUnaligned(fromByteOffset: i * 8, as: Double.self) }
                }
                initialized = count
            }
        case .float32, .float16, .bfloat16:
            return try floats().map(Double.init)
        default:
            return bytes.withUnsafeBytes { raw in Self.integers(raw, dtype, count).map(Double.init) }
        }
    }

    /// The values as `Int64`. Integer and bool dtypes only.
    public func int64s() throws -> [Int64] {
        guard dtype.isInteger || dtype == .bool else {
            throw TensorFileError(file: "(memory)", .unsupportedDType(.notInteger(dtype)))
        }
        let bytes = try data()
        return bytes.withUnsafeBytes { raw in Self.integers(raw, dtype, elementCount) }
    }

    private static func integers(_ raw: UnsafeRawBufferPointer, _ dtype: DType, _ count: Int) -> [Int64] {
        (0 ..< count).map { i -> Int64 in
            switch dtype {
            case .int8: return Int64(raw.loadUnaligned(fromByteOffset: i, as: Int8.self))
            case .uint8, .bool: return Int64(raw.loadUnaligned(fromByteOffset: i, as: UInt8.self))
            case .int16: return Int64(raw.loadUnaligned(fromByteOffset: i * 2, as: Int16.self))
            case .int32: return Int64(raw.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))
            case .int64: return raw.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)
            default: return 0
            }
        }
    }

    private init(converting source: Tensor, to target: DType) {
        self.dtype = target
        self.shape = source.shape
        self.storage = .converted(from: source)
    }

    /// `converted(to:)` done when the bytes are needed instead of now: the
    /// same bytes, but writers convert and write it piece by piece, so that a
    /// large tensor is never converted whole in memory. Each `data()` call
    /// converts again: for tensors written once.
    public func convertedWhenWritten(to target: DType) throws -> Tensor {
        if target == dtype { return self }
        guard target.isFloatingPoint, dtype.isFloatingPoint || dtype.isInteger || dtype == .bool else {
            throw TensorFileError(file: "(memory)", .unsupportedDType(.notConvertible(from: dtype, to: target)))
        }
        return Tensor(converting: self, to: target)
    }

    /// The tensor converted to another floating-point dtype (round to nearest
    /// even when narrowing). Converting to the same dtype returns `self`.
    public func converted(to target: DType) throws -> Tensor {
        if target == dtype { return self }
        guard target.isFloatingPoint else {
            throw TensorFileError(file: "(memory)", .unsupportedDType(.notConvertible(from: dtype, to: target)))
        }
        switch target {
        case .float64:
            return Tensor(shape: shape, doubles: try doubles())
        case .float32:
            return Tensor(shape: shape, floats: try floats())
        case .float16:
            let bits = try floats().map(HalfPrecision.half(fromFloat:))
            return try Tensor(dtype: .float16, shape: shape, data: bits.withUnsafeBytes { Data($0) })
        case .bfloat16:
            let bits = try floats().map(HalfPrecision.bfloat16(fromFloat:))
            return try Tensor(dtype: .bfloat16, shape: shape, data: bits.withUnsafeBytes { Data($0) })
        default:
            throw TensorFileError(file: "(memory)", .unsupportedDType(.notConvertible(from: dtype, to: target)))
        }
    }
}

/// A tensor with the name it has in its file.
public struct NamedTensor: Sendable {
    /// The name, with nested groups joined by `.` (`encoder.lstm.weight_ih_l0`).
    public var name: String
    /// The tensor.
    public var tensor: Tensor

    /// Creates a named tensor.
    public init(name: String, tensor: Tensor) {
        self.name = name
        self.tensor = tensor
    }
}
