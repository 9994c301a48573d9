import Foundation
import OutputSafety
@testable import TensorFiles
import XCTest

/// The HDF5 child computes the CRC-32 of the file after its user block while
/// it writes it (HDF5Probe/write_checksum.c: each piece of dataset data from
/// the buffer libhdf5 wrote it from, the rest read back after closing), so
/// that a `.keras` archive needs no second read: it must equal zlib's CRC-32
/// of those bytes as they are on disk, whatever the datasets' kinds.
final class HDF5WriteChecksumTests: XCTestCase {
    func testTheChildsChecksumIsZlibsOfTheFileAfterTheUserBlock() throws {
        let folder = try FormatSamples.temporaryDirectory(self)
        for userblock in [512, 4096, 1 << 16] {
            let path = folder.appendingPathComponent("file\(userblock).h5").path
            let writer = try HDF5Writer(creating: path, userblock: userblock)
            try writeMixedDatasets(with: writer)
            try writer.close()
            let known = try XCTUnwrap(writer.checksumAfterUserBlock, "no checksum from the child (user block \(userblock))")
            let file = try Data(contentsOf: URL(fileURLWithPath: path))
            XCTAssertEqual(known.bytes, UInt64(file.count - userblock))
            let crc = file.withUnsafeBytes { rk_crc32(0, $0.baseAddress! + userblock, $0.count - userblock) }
            XCTAssertEqual(known.crc, crc, "user block \(userblock)")
            XCTAssertEqual(try HDF5Reader.read(path: path).tensors.count, 6)
        }
    }

    /// Filled datasets each larger than the one before, as a `.keras` file's
    /// biases and kernels come: the child's band buffer is freed and
    /// allocated anew for each, never while a piece of it waits for its CRC-32.
    func testGrowingBandsAreChecksummedBeforeTheirBufferIsReplaced() throws {
        let folder = try FormatSamples.temporaryDirectory(self)
        for round in 0 ..< 4 {
            let path = folder.appendingPathComponent("growing\(round).h5").path
            let writer = try HDF5Writer(creating: path, userblock: 512)
            for index in 0 ..< 40 {
                let columns = 96 * (index + 1)
                try writer.writeDataset("layers/l\(index)/vars/0", dtype: .float32, shape: [1, columns]) { first, count, buffer in
                    for column in 0 ..< count * columns {
                        buffer.storeBytes(of: Float(index * 1000 + column), toByteOffset: column * 4, as: Float.self)
                    }
                    return true
                }
            }
            try writer.close()
            let known = try XCTUnwrap(writer.checksumAfterUserBlock)
            let file = try Data(contentsOf: URL(fileURLWithPath: path))
            XCTAssertEqual(known.crc, file.withUnsafeBytes { rk_crc32(0, $0.baseAddress! + 512, $0.count - 512) }, "round \(round)")
        }
    }

    /// A file without a user block is no zip member: the child computes nothing.
    func testNoChecksumWithoutAUserBlock() throws {
        let path = try FormatSamples.temporaryDirectory(self).appendingPathComponent("plain.h5").path
        let writer = try HDF5Writer(creating: path)
        try writeMixedDatasets(with: writer)
        try writer.close()
        XCTAssertNil(writer.checksumAfterUserBlock)
    }

    /// Groups and attributes between datasets; a scalar, a small dataset, one
    /// of several 1 MiB pieces from memory, float16 converted band by band,
    /// and filled datasets of several bands (float32 and float16) whose last
    /// band is short.
    private func writeMixedDatasets(with writer: HDF5Writer) throws {
        try writer.createGroup("layers/a/vars")
        try writer.setAttribute("name", "a", on: "layers/a/vars")
        try writer.writeDataset("layers/a/vars/0", Tensor(shape: [], floats: [2.5]))
        try writer.writeDataset("layers/a/vars/1", Tensor(shape: [3], floats: [1, -2, 3]))
        let large = (0 ..< 700 * 1031).map { (index: Int) -> Float in Float(index % 977) * 0.25 - Float(index % 13) }
        try writer.writeDataset("layers/b/vars/0", Tensor(shape: [700, 1031], floats: large))
        try writer.setAttribute("names", strings: ["x", "yy"], on: "layers/b/vars")
        try writer.writeDataset("layers/b/vars/1", Tensor(shape: [700, 1031], floats: large).convertedWhenWritten(to: .float16))
        for (index, dtype) in [(2, DType.float32), (3, .float16)] {
            let columns = 1999
            try writer.writeDataset("layers/c/vars/\(index)", dtype: dtype, shape: [613, columns], bandBytes: 300_000) { first, count, buffer in
                for row in 0 ..< count {
                    for column in 0 ..< columns {
                        let step: Int = (first + row) * 7 + column % 31
                        let value = Float(step) * 0.125
                        if dtype == .float32 {
                            buffer.storeBytes(of: value, toByteOffset: (row * columns + column) * 4, as: Float.self)
                        } else {
                            buffer.storeBytes(of: Float16(value).bitPattern, toByteOffset: (row * columns + column) * 2, as: UInt16.self)
                        }
                    }
                }
                return true
            }
        }
        try writer.setAttribute("end", "yes")
    }
}
