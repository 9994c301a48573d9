import Foundation
import XCTest
@testable import TensorFiles

final class SafetensorsTests: XCTestCase {
    func testLibraryWrittenFilesMatchTheirValuesAndMetadata() throws {
        for file in try FormatSamples.checkAllSamples(.safetensors, minimum: 2) {
            XCTAssertTrue(file.tensors.allSatisfy { $0.tensor.isLoaded }, "tensors are views of the map")
        }
    }

    func testTensorsComeInDataOrder() throws {
        let path = FormatSamples.root.appendingPathComponent("safetensors/all_dtypes.safetensors").path
        let map = try MappedFile(path: path)
        let header = try SafetensorsHeader.parse(map.bytes, file: path)
        XCTAssertEqual(header.entries.map(\.begin), header.entries.map(\.begin).sorted())
        XCTAssertEqual(try SafetensorsReader.read(path: path).tensors.map(\.name), header.entries.map(\.name))
    }

    /// A file with `json` as header and `dataBytes` zero bytes of data.
    private func file(_ json: String, dataBytes: Int, declaredLength: UInt64? = nil) -> Data {
        var bytes = Data()
        var length = (declaredLength ?? UInt64(json.utf8.count)).littleEndian
        bytes.append(Data(bytes: &length, count: 8))
        bytes.append(contentsOf: Array(json.utf8))
        bytes.append(Data(count: dataBytes))
        return bytes
    }

    func testHeaderRulesAreEnforced() throws {
        let a = #""a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}"#
        /// A JSON syntax problem at the first (or last) `needle` of `json`.
        func syntax(_ problem: SafetensorsHeaderProblem.JSONSyntax, _ json: String, at needle: String, last: Bool = false) -> TensorFileError.Reason {
            let range = last ? json.range(of: needle, options: .backwards)! : json.range(of: needle)!
            return .safetensorsHeader(.json(problem, position: json.utf8.distance(from: json.startIndex, to: range.lowerBound)))
        }
        let fraction = #"{"a": {"dtype": "F32", "shape": [2.5], "data_offsets": [0, 8]}}"#
        let boolean = #"{"a": {"dtype": "F32", "shape": [true], "data_offsets": [0, 4]}}"#
        let noShape = #"{"a": {"dtype": "F32", "data_offsets": [0, 8]}}"#
        let metadata = #"{"__metadata__": {"n": 1}, \#(a)}"#
        let cases: [(String, Data, TensorFileError.Reason)] = [
            ("overlap", file(#"{\#(a), "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#, dataBytes: 8),
             .safetensorsHeader(.overlap(begin: 4, end: 8, previous: "a"))),
            ("gap", file(#"{\#(a), "b": {"dtype": "F32", "shape": [1], "data_offsets": [12, 16]}}"#, dataBytes: 16),
             .safetensorsHeader(.gap(bytes: 4, after: "a"))),
            ("bytes after the last tensor", file("{\(a)}", dataBytes: 12), .safetensorsHeader(.trailingBytes(4))),
            ("offsets past the end", file("{\(a)}", dataBytes: 4), .truncated(needed: 8, available: 4)),
            ("shape disagrees with offsets", file(#"{"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}"#, dataBytes: 8),
             .sizeMismatch(expected: 12, actual: 8)),
            ("duplicate name", file(#"{\#(a), "a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}"#, dataBytes: 16),
             .duplicateName("a")),
            ("escaped duplicate", file(#"{\#(a), "\u0061": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}"#, dataBytes: 16),
             .duplicateName("a")),
            ("unknown dtype", file(#"{"a": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}}"#, dataBytes: 16),
             .unsupportedDType(.unknown("F128", in: .safetensors))),
            ("negative dimension", file(#"{"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}"#, dataBytes: 8),
             .badShape(.negative([-2]))),
            ("overflowing shape", file(#"{"a": {"dtype": "F64", "shape": [4294967296, 4294967296], "data_offsets": [0, 8]}}"#, dataBytes: 8),
             .badShape(.overflows([4294967296, 4294967296], itemSize: 8))),
            ("fractional dimension", file(fraction, dataBytes: 8), syntax(.fractionOrExponent, fraction, at: "2.5")),
            ("boolean dimension", file(boolean, dataBytes: 4), syntax(.expectedInteger, boolean, at: "true")),
            ("three offsets", file(#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4, 8]}}"#, dataBytes: 8),
             .safetensorsHeader(.offsetsNotAPair([0, 4, 8]))),
            ("decreasing offsets", file(#"{"a": {"dtype": "F32", "shape": [0], "data_offsets": [8, 0]}}"#, dataBytes: 8),
             .safetensorsHeader(.offsetsNotIncreasing(begin: 8, end: 0))),
            ("missing shape", file(noShape, dataBytes: 8), syntax(.missingKey("shape", tensor: "a"), noShape, at: "}", last: true)),
            ("non-string metadata", file(metadata, dataBytes: 8), syntax(.metadataNotStrings, metadata, at: "1}")),
            ("not JSON", file("{not json}", dataBytes: 0), syntax(.expectedString, "{not json}", at: "not")),
            ("not an object", file("[1, 2]", dataBytes: 0), .safetensorsHeader(.notAnObject)),
            ("header past the end", file("{}", dataBytes: 0, declaredLength: 1000), .truncated(needed: 1000, available: 2)),
            ("header over 100 MB", file("{}", dataBytes: 0, declaredLength: 100_000_001), .headerTooLong(length: 100_000_001, limit: 100_000_000)),
            ("header length 2^64 - 1", file("{}", dataBytes: 0, declaredLength: .max), .headerTooLong(length: .max, limit: 100_000_000)),
        ]
        for (what, bytes, reason) in cases {
            do {
                _ = try bytes.withUnsafeBytes { try SafetensorsHeader.parse($0, file: "bad.safetensors") }
                XCTFail("\(what): accepted")
            } catch let error as TensorFileError {
                XCTAssertEqual(error.file, "bad.safetensors", what)
                XCTAssertEqual(error.reason, reason, what)
            }
        }
        // The JSON's own offset in the message, and the file's in the error.
        XCTAssertEqual(TensorFileError(file: "bad.safetensors", offset: 9, syntax(.expectedString, "{not json}", at: "not")).description,
                       "bad.safetensors: at byte 9: bad header: invalid JSON at byte 1: expected a string")
    }

    func testKnownButUnsupportedDTypesAreListedAsOtherItems() throws {
        let json = #"{"ids": {"dtype": "U32", "shape": [2], "data_offsets": [0, 8]}, "w": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}"#
        let target = try FormatSamples.temporaryDirectory(self).appendingPathComponent("u32.safetensors")
        try file(json, dataBytes: 12).write(to: target)
        let read = try SafetensorsReader.read(path: target.path)
        XCTAssertEqual(read.tensors.map(\.name), ["w"])
        XCTAssertEqual(read.otherItems.map(\.name), ["ids"])
    }

    func testEveryTruncationFails() throws {
        for (path, _) in FormatSamples.samples("safetensors") {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            for cut in 0 ..< bytes.count {
                FormatSamples.assertFails("cut.safetensors", "\(path) cut at \(cut)") {
                    _ = try bytes.prefix(cut).withUnsafeBytes { try SafetensorsHeader.parse($0, file: "cut.safetensors") }
                }
            }
        }
    }

    func testEveryFlippedHeaderByteIsAnErrorOrReadable() throws {
        let bytes = try Data(contentsOf: FormatSamples.root.appendingPathComponent("safetensors/all_dtypes.safetensors"))
        let target = try FormatSamples.temporaryDirectory(self).appendingPathComponent("flipped.safetensors").path
        let headerEnd = 8 + Int(bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        for position in 0 ..< headerEnd {
            for mask: UInt8 in [0xFF, 0x01] {
                var damaged = bytes
                damaged[position] ^= mask
                try FormatSamples.overwrite(target, with: damaged)
                FormatSamples.openAndReadAll(target, "byte \(position) ^ \(mask)")
            }
        }
    }

    func testSnifferNeedsAPlausibleHeader() throws {
        for (path, _) in FormatSamples.samples("safetensors") {
            XCTAssertEqual(try FormatSniffer.format(of: path), .safetensors)
        }
        let cases: [Data] = [
            file("{}", dataBytes: 0, declaredLength: 500),  // longer than the file
            file("[1]", dataBytes: 0),  // not an object
            Data([2, 0, 0, 0, 0, 0, 0, 0]),  // no header bytes
            file("{}", dataBytes: 0, declaredLength: 200_000_000),
        ]
        for bytes in cases {
            XCTAssertFalse(bytes.withUnsafeBytes { SafetensorsHeader.looksLikeSafetensors($0) }, "\(Array(bytes))")
        }
    }
}
