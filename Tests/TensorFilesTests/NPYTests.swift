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
        XCTAssertEqual(bytes.count, 128 + 16)
        let cases: [(Int, TensorFileError)] = [
            (0, TensorFileError(file: "cut.npy", .empty)),
            (5, TensorFileError(file: "cut.npy", offset: 0, .truncated(needed: 10, available: 5))),
            (9, TensorFileError(file: "cut.npy", offset: 0, .truncated(needed: 10, available: 9))),
            (20, TensorFileError(file: "cut.npy", offset: 10, .truncated(needed: 118, available: 10))),
            (bytes.count - 1, TensorFileError(file: "cut.npy", offset: 128, .truncated(needed: 16, available: 15))),
        ]
        for (cut, expected) in cases {
            XCTAssertThrowsError(try NPYReader.tensor(from: bytes.prefix(cut), file: "cut.npy"), "cut at \(cut)") { error in
                XCTAssertEqual(error as? TensorFileError, expected, "cut at \(cut)")
            }
        }
        // The exact wording of the most common NPY refusal.
        XCTAssertEqual(cases[3].1.description, "cut.npy: at byte 10: truncated: 118 bytes needed, only 10 present")
    }
}

final class NPYSampleTests: XCTestCase {
    func testNumpyWrittenSamplesMatchTheirValues() throws {
        try FormatSamples.checkAllSamples(.npy, minimum: 26)
    }

    func testDirectoryListsFilesInNameOrder() throws {
        let path = FormatSamples.root.appendingPathComponent("npy").path
        let sample = try XCTUnwrap(FormatSamples.manifest.files["npy"])
        XCTAssertEqual(try TensorFile.open(path).tensors.map(\.name), sample.order)
    }

    func testCOrderIsAViewAndOtherLayoutsConvertOnRequest() throws {
        let plain = try NPYReader.read(path: FormatSamples.root.appendingPathComponent("npy/f32_3d.npy").path)
        XCTAssertTrue(plain.tensors[0].tensor.isLoaded)
        for variant in ["f32_3d__fortran", "f64_2d__be", "f64_2d__be_fortran"] {
            let file = try NPYReader.read(path: FormatSamples.root.appendingPathComponent("npy_variants/\(variant).npy").path)
            XCTAssertFalse(file.tensors[0].tensor.isLoaded, variant)
        }
    }

    func testEveryTruncationOfEverySampleFails() throws {
        for (path, _) in FormatSamples.samples("npy") where path.hasSuffix(".npy") {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            for cut in 0 ..< bytes.count {
                FormatSamples.assertFails("cut.npy", "\(path) cut at \(cut)") {
                    _ = try NPYReader.tensor(from: bytes.prefix(cut), file: "cut.npy")
                }
            }
        }
    }

    func testHeaderEndNeedsTheWholePreamble() {
        let v2 = Data(NPYHeader.magic + [2, 0, 0x40, 0, 0, 0])
        for cut in 0 ... v2.count {
            let end = v2.prefix(cut).withUnsafeBytes { NPYHeader.headerEnd(in: $0) }
            XCTAssertEqual(end, cut == v2.count ? 12 + 0x40 : nil, "cut at \(cut)")
        }
    }

    func testHostileHeadersAreRefused() throws {
        func npy(_ dict: String, version: UInt8 = 1, data: Int = 0, length: Int? = nil) -> Data {
            var bytes = Data(NPYHeader.magic + [version, 0])
            let size = length ?? dict.utf8.count
            bytes.append(contentsOf: [UInt8(size & 0xFF), UInt8((size >> 8) & 0xFF)])
            if version > 1 { bytes.append(contentsOf: [UInt8((size >> 16) & 0xFF), UInt8(size >> 24)]) }
            bytes.append(contentsOf: Array(dict.utf8))
            bytes.append(Data(count: data))
            return bytes
        }
        func dict(_ problem: NPYHeaderProblem.DictProblem, _ text: String) -> TensorFileError.Reason {
            .npyHeader(.dict(problem, header: text))
        }
        let negative = "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 4), }\n"
        let structured = "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }\n"
        let missing = "{'descr': '<f4', 'shape': (1,), }\n"
        let unknown = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}\n"
        let cases: [(String, Data, TensorFileError.Reason)] = [
            ("huge shape", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }\n"),
             .badShape(.overflows([4611686018427387904, 4], itemSize: 4))),
            ("shape beyond the data", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }\n", data: 16),
             .truncated(needed: 4_000_000_000_000, available: 16)),
            ("negative dimension", npy(negative), dict(.negativeDimension(-1), negative)),
            ("header length past the end", npy("{'descr': '<f4'}", length: 60000), .truncated(needed: 60000, available: 16)),
            ("header over the limit", npy("{}", version: 2, length: (1 << 20) + 1), .headerTooLong(length: (1 << 20) + 1, limit: 1 << 20)),
            ("complex dtype", npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }\n", data: 8), .unsupportedDType(.unknown("<c8", in: .npy))),
            ("structured dtype", npy(structured, data: 4), dict(.descrNotString, structured)),
            ("object dtype", npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }\n", data: 8), .unsupportedDType(.unknown("|O", in: .npy))),
            ("missing key", npy(missing, data: 4), dict(.missingKey, missing)),
            ("unknown key", npy(unknown, data: 4), dict(.unknownKey("x"), unknown)),
            ("trailing bytes", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", data: 8), .sizeMismatch(expected: 4, actual: 8)),
            ("version 4", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", version: 4, data: 4),
             .npyHeader(.version(major: 4, minor: 0))),
            ("not a dict", npy("[1, 2]\n", data: 4), dict(.expectedOpeningBrace, "[1, 2]\n")),
        ]
        for (what, bytes, reason) in cases {
            FormatSamples.assertFails("hostile.npy", what) { _ = try NPYReader.tensor(from: bytes, file: "hostile.npy") }
            XCTAssertThrowsError(try NPYReader.tensor(from: bytes, file: "hostile.npy"), what) { error in
                XCTAssertEqual((error as? TensorFileError)?.reason, reason, what)
            }
        }
        // The header's text in the message: trimmed, control characters shown as '?'.
        XCTAssertEqual(TensorFileError(file: "h.npy", offset: 10, dict(.unknownKey("x"), "{'x': 1,\u{7}}\n")).description,
                       "h.npy: at byte 10: bad header: unknown key 'x' in {'x': 1,?}")
    }
}
