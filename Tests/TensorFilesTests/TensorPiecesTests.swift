import Foundation
@testable import TensorFiles
import XCTest

/// `Tensor.forEachPiece` (what every writer streams through) sends exactly
/// the bytes `data()` returns, and a conversion done piece by piece
/// (`convertedWhenWritten`) equals the whole-tensor `converted(to:)` bit for bit.
final class TensorPiecesTests: XCTestCase {
    /// float32 values with every rounding case of float16: random normals,
    /// ties, subnormals, overflow, infinities, NaNs, signed zeros.
    private func awkwardFloats(_ count: Int) -> [Float] {
        var generator = SystemRandomNumberGenerator()
        let specials: [Float] = [0, -0, .infinity, -.infinity, .nan, 65504, 65520, 70000, 1e-8, -6e-8, 5.96e-8,
                                 Float(bitPattern: 0x3F80_1000), Float(bitPattern: 0x3F80_3000), .leastNonzeroMagnitude]
        return (0 ..< count).map { index in
            index % 97 < specials.count ? specials[index % 97] : Float.random(in: -4 ... 4, using: &generator) * Float(1 << (index % 7))
        }
    }

    private func pieces(_ tensor: Tensor, elements: Range<Int>? = nil, pieceBytes: Int = Tensor.writePieceBytes) throws -> (Data, [Int]) {
        var joined = Data()
        var sizes: [Int] = []
        try tensor.forEachPiece(elements: elements, pieceBytes: pieceBytes) { piece in
            joined.append(contentsOf: piece)
            sizes.append(piece.count)
        }
        return (joined, sizes)
    }

    func testAMappedTensorLargerThanAPieceIsSentWholeInBoundedPieces() throws {
        let count = (Tensor.writePieceBytes / 4) * 2 + 12_345
        let tensor = Tensor(shape: [count], floats: awkwardFloats(count))
        let (joined, sizes) = try pieces(tensor)
        XCTAssertEqual(joined, try tensor.data())
        XCTAssertEqual(sizes, [Tensor.writePieceBytes, Tensor.writePieceBytes, 12_345 * 4])
        let (middle, _) = try pieces(tensor, elements: 1000 ..< 300_000, pieceBytes: 4096)
        XCTAssertEqual(middle, try tensor.data()[4000 ..< 1_200_000])
    }

    func testFloat16ConvertedInPiecesMatchesTheWholeConversionBitForBit() throws {
        let count = (Tensor.writePieceBytes / 2) * 3 + 777  // more than three pieces of float16
        let source = Tensor(shape: [count], floats: awkwardFloats(count))
        let whole = try source.converted(to: .float16).data()
        let lazy = try source.convertedWhenWritten(to: .float16)
        XCTAssertFalse(lazy.isLoaded)
        XCTAssertEqual(lazy.dtype, .float16)
        let (joined, sizes) = try pieces(lazy)
        XCTAssertEqual(joined, whole)
        XCTAssertLessThanOrEqual(sizes.max() ?? 0, Tensor.writePieceBytes)
        XCTAssertEqual(try lazy.data(), whole)
        // Odd piece sizes and a range starting mid-piece.
        XCTAssertEqual(try pieces(lazy, pieceBytes: 24).0, whole)
        XCTAssertEqual(try pieces(lazy, elements: 333 ..< count - 5, pieceBytes: 1000).0, whole[666 ..< (count - 5) * 2])
    }

    func testEveryOtherConversionInPiecesMatchesTheWholeConversion() throws {
        let floats = awkwardFloats(5000)
        let sources = [
            Tensor(shape: [50, 100], floats: floats),
            Tensor(shape: [50, 100], doubles: floats.map { Double($0) * 1.000001 }),
            try Tensor(shape: [50, 100], floats: floats).converted(to: .bfloat16),
            try Tensor(shape: [50, 100], floats: floats).converted(to: .float16),
            Tensor(shape: [50, 100], int64s: (0 ..< 5000).map { Int64($0) * 7919 - 20000 }),
        ]
        for source in sources {
            for target in [DType.float16, .bfloat16, .float32, .float64] where target != source.dtype {
                let lazy = try source.convertedWhenWritten(to: target)
                XCTAssertEqual(try pieces(lazy, pieceBytes: 72).0, try source.converted(to: target).data(), "\(source.dtype) → \(target)")
                XCTAssertEqual(try lazy.reshaped([100, 50])?.data(), try source.converted(to: target).data())
            }
        }
        XCTAssertThrowsError(try sources[0].convertedWhenWritten(to: .int32))
    }

    /// The HDF5 writer converts a pending float32 → float16 conversion in
    /// the writing child, a band of rows (≤ 1 MiB) at a time: the dataset
    /// holds the whole conversion's bits.
    func testHDF5WritesAPendingFloat16ConversionByBandsToTheSameValues() throws {
        let folder = try FormatSamples.temporaryDirectory(self)
        let rows = 2100, columns = 1024  // 4.2 MiB of float16: two bands
        let source = Tensor(shape: [rows, columns], floats: awkwardFloats(rows * columns))
        let lazy = try source.convertedWhenWritten(to: .float16)
        XCTAssertNotNil(lazy.conversionSource)
        let path = folder.appendingPathComponent("lazy.h5").path
        try TensorFileWriter.write([NamedTensor(name: "group.w", tensor: lazy)], as: .hdf5, to: path)
        let read = try XCTUnwrap(HDF5Reader.read(path: path).tensors.first { $0.name == "group.w" }?.tensor)
        XCTAssertEqual(read.dtype, .float16)
        XCTAssertEqual(read.shape, [rows, columns])
        XCTAssertEqual(try read.data(), try source.converted(to: .float16).data())
    }

    /// A writer given a pending conversion writes the same file as one given the converted tensor.
    func testWritersStreamPendingConversionsToTheSameBytes() throws {
        let folder = try FormatSamples.temporaryDirectory(self)
        let count = Tensor.writePieceBytes / 2 + 99
        let source = Tensor(shape: [count], floats: awkwardFloats(count))
        for (format, name) in [(FileFormat.safetensors, "t.safetensors"), (.npz, "t.npz"), (.npyDirectory, "folder")] {
            let eager = folder.appendingPathComponent("eager-" + name).path
            let lazy = folder.appendingPathComponent("lazy-" + name).path
            let small = NamedTensor(name: "bias", tensor: Tensor(shape: [3], floats: [1, 2, 3]))
            try TensorFileWriter.write([NamedTensor(name: "w", tensor: try source.converted(to: .float16)), small], as: format, to: eager)
            try TensorFileWriter.write([NamedTensor(name: "w", tensor: try source.convertedWhenWritten(to: .float16)), small], as: format, to: lazy)
            if format == .npyDirectory {
                for member in ["w.npy", "bias.npy"] {
                    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: eager + "/" + member)),
                                   try Data(contentsOf: URL(fileURLWithPath: lazy + "/" + member)), member)
                }
            } else {
                XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: eager)), try Data(contentsOf: URL(fileURLWithPath: lazy)), name)
            }
        }
    }
}
