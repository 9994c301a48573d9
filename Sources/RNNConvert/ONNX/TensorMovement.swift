import Foundation
import TensorFiles

/// Data-movement operations on tensors of any dtype: they copy elements,
/// never compute with them, so the bytes that come out are the bytes that
/// went in. Used to evaluate the constant subgraphs that feed ONNX weights.
enum TensorMovement {
    /// Axes permuted: output axis `k` is input axis `perm[k]`.
    static func transpose(_ tensor: Tensor, perm: [Int]) throws -> Tensor {
        guard perm.count == tensor.shape.count, Set(perm) == Set(0 ..< tensor.shape.count) else {
            throw ConversionError.graph(.movement(operation: "Transpose perm", shapes: [tensor.shape], values: perm))
        }
        let strides = StridedCopy.rowMajorStrides(tensor.shape)
        let shape = perm.map { tensor.shape[$0] }
        let data = try tensor.data().withUnsafeBytes { raw in
            StridedCopy.gather(raw, itemSize: tensor.dtype.itemSize, shape: shape, strides: perm.map { strides[$0] }, offset: 0)
        }
        return try Tensor(dtype: tensor.dtype, shape: shape, data: data)
    }

    /// One range per axis: `start`, `count` elements, `step` (may be negative).
    struct AxisRange {
        var start: Int
        var count: Int
        var step: Int
    }

    /// The elements selected by one range per axis.
    static func slice(_ tensor: Tensor, _ ranges: [AxisRange]) throws -> Tensor {
        guard ranges.count == tensor.shape.count else {
            throw ConversionError.graph(.movement(operation: "Slice ranges", shapes: [tensor.shape], values: []))
        }
        let strides = StridedCopy.rowMajorStrides(tensor.shape)
        let shape = ranges.map(\.count)
        let offset = zip(ranges, strides).reduce(0) { $0 + ($1.0.count > 0 ? $1.0.start * $1.1 : 0) }
        let data = try tensor.data().withUnsafeBytes { raw in
            StridedCopy.gather(raw, itemSize: tensor.dtype.itemSize, shape: shape,
                               strides: zip(ranges, strides).map { $0.step * $1 }, offset: offset)
        }
        return try Tensor(dtype: tensor.dtype, shape: shape, data: data)
    }

    /// Numpy-style clamped range for `start:end:step` on an axis of `size`.
    static func range(start: Int, end: Int, step: Int, size: Int) -> AxisRange {
        func clamp(_ value: Int, _ low: Int, _ high: Int) -> Int { min(max(value, low), high) }
        var first = start < 0 ? start + size : start
        var last = end < 0 ? end + size : end
        if step > 0 {
            first = clamp(first, 0, size)
            last = clamp(last, 0, size)
            return AxisRange(start: first, count: max(0, (last - first + step - 1) / step), step: step)
        }
        first = clamp(first, -1, size - 1)
        last = clamp(last, -1, size - 1)
        return AxisRange(start: first, count: max(0, (first - last - step - 1) / -step), step: step)
    }

    /// Tensors joined along `axis`; all other dimensions must agree.
    static func concat(_ tensors: [Tensor], axis: Int) throws -> Tensor {
        guard let first = tensors.first else { throw ConversionError.graph(.movement(operation: "Concat", shapes: [], values: [])) }
        let rank = first.shape.count
        guard axis >= 0, axis < rank, tensors.allSatisfy({
            $0.dtype == first.dtype && $0.shape.count == rank
                && zip($0.shape, first.shape).enumerated().allSatisfy { $0.offset == axis || $0.element.0 == $0.element.1 }
        }) else {
            throw ConversionError.graph(.movement(operation: "Concat along axis", shapes: tensors.map(\.shape), values: [axis]))
        }
        let outer = first.shape[..<axis].reduce(1, *)
        let blocks = try tensors.map { tensor -> (Data, Int) in
            (try tensor.data(), tensor.shape[axis...].reduce(1, *) * tensor.dtype.itemSize)
        }
        var data = Data(capacity: blocks.reduce(0) { $0 + $1.0.count })
        for index in 0 ..< outer {
            for (bytes, size) in blocks {
                let start = bytes.startIndex + index * size
                data.append(bytes[start ..< start + size])
            }
        }
        var shape = first.shape
        shape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
        return try Tensor(dtype: first.dtype, shape: shape, data: data)
    }

    /// `data` indexed along `axis` by `indices` (numpy `take`): the output
    /// shape is `shape[..<axis] + indices.shape + shape[axis+1...]`.
    static func gather(_ tensor: Tensor, indices: Tensor, axis: Int) throws -> Tensor {
        let rank = tensor.shape.count
        guard axis >= 0, axis < rank else { throw ConversionError.graph(.movement(operation: "Gather axis", shapes: [tensor.shape], values: [axis])) }
        let size = tensor.shape[axis]
        let picks = try indices.int64s().map { Int($0) < 0 ? Int($0) + size : Int($0) }
        guard picks.allSatisfy({ $0 >= 0 && $0 < size }) else {
            throw ConversionError.graph(.movement(operation: "Gather indices", shapes: [tensor.shape], values: picks))
        }
        let outer = tensor.shape[..<axis].reduce(1, *)
        let inner = tensor.shape[(axis + 1)...].reduce(1, *) * tensor.dtype.itemSize
        let bytes = try tensor.data()
        var data = Data(capacity: outer * picks.count * inner)
        for index in 0 ..< outer {
            for pick in picks {
                let start = bytes.startIndex + (index * size + pick) * inner
                data.append(bytes[start ..< start + inner])
            }
        }
        let shape = Array(tensor.shape[..<axis]) + indices.shape + Array(tensor.shape[(axis + 1)...])
        return try Tensor(dtype: tensor.dtype, shape: shape, data: data)
    }

    /// The same bytes with another shape.
    static func reshape(_ tensor: Tensor, _ shape: [Int]) throws -> Tensor {
        guard let reshaped = tensor.reshaped(shape) else {
            throw ConversionError.graph(.movement(operation: "Reshape to", shapes: [tensor.shape], values: shape))
        }
        return reshaped
    }
}
