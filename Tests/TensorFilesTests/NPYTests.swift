import Foundation
import XCTest
@testable import TensorFiles

final class NPYTests: XCTestCase {
    func testHeaderRoundTrip() throws {
        let tensor = Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])
        let bytes = try NPYWriter.encode(tensor)
        let header = try bytes.withUnsafeBytes { try NPYHeader.parse($0, file: "x.npy") }
        XCTAssertEqual(header.dtype, .float32)
        XCTAssertEqual(header.shape, [2, 3])
        XCTAssertFalse(header.fortranOrder)
        XCTAssertEqual(header.dataOffset % 64, 0)
        let back = try NPYReader.tensor(from: bytes, file: "x.npy")
        XCTAssertEqual(try back.floats(), [1, 2, 3, 4, 5, 6])
    }

    func testFortranBigEndian() throws {
        // A 2×3 array stored column-major, big-endian float64: values 0…5 in C order.
        var dict = "{'descr': '>f8', 'fortran_order': True, 'shape': (2, 3), }"
        dict += String(repeating: " ", count: (64 - (10 + dict.utf8.count + 1) % 64) % 64) + "\n"
        var bytes = Data(NPYHeader.magic + [1, 0, UInt8(dict.utf8.count), 0])
        bytes.append(contentsOf: Array(dict.utf8))
        for column in 0 ..< 3 {
            for row in 0 ..< 2 {
                let value = Double(row * 3 + column)
                bytes.append(contentsOf: withUnsafeBytes(of: value.bitPattern.bigEndian) { Array($0) })
            }
        }
        let tensor = try NPYReader.tensor(from: bytes, file: "f.npy")
        XCTAssertEqual(tensor.shape, [2, 3])
        XCTAssertEqual(try tensor.doubles(), [0, 1, 2, 3, 4, 5])
    }

    func testTruncatedHeaderNamesFileAndOffset() throws {
        let bytes = try NPYWriter.encode(Tensor(shape: [4], floats: [1, 2, 3, 4]))
        for cut in [0, 5, 9, 20, bytes.count - 1] {
            XCTAssertThrowsError(try NPYReader.tensor(from: bytes.prefix(cut), file: "cut.npy")) { error in
                let message = "\(error)"
                XCTAssertTrue(message.hasPrefix("cut.npy"), message)
            }
        }
    }
}
