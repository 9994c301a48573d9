import Foundation
@testable import TensorFiles
import XCTest

/// `NPZWriter.stream`: an archive written while its first member is still
/// being made is the archive `NPZWriter.write` makes of the same tensors,
/// and every way of getting a member wrong leaves no file.
final class NPZStreamTests: XCTestCase {
    private let output = Tensor(shape: [3, 5, 7], floats: (0 ..< 105).map { Float($0) * 0.25 - 9 })
    private let state = Tensor(shape: [1, 5, 7], doubles: (0 ..< 35).map { Double($0) / 3 })

    /// What is in `folder`, hidden temporary files included.
    private func contents(_ folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    }

    func testStreamedArchiveIsTheWrittenOneByteForByte() throws {
        let folder = try FormatSamples.temporaryDirectory(self)
        let written = folder.appendingPathComponent("written.npz").path
        let streamed = folder.appendingPathComponent("streamed.npz").path
        try NPZWriter.write([NamedTensor(name: "output", tensor: output), NamedTensor(name: "h_n", tensor: state)], to: written)
        let bytes = try output.data()
        let returned = try NPZWriter.stream(to: streamed) { stream in
            try stream.begin("output", dtype: .float32, shape: [3, 5, 7])
            // Uneven pieces, as a forward pass finishes chunks of steps.
            var offset = 0
            for count in [1, 139, 0, 280] {
                try bytes.withUnsafeBytes { try stream.append(UnsafeRawBufferPointer(rebasing: $0[offset ..< offset + count])) }
                offset += count
            }
            XCTAssertEqual(offset, bytes.count)
            try stream.add(NamedTensor(name: "h_n", tensor: state))  // ends "output" first
            return 42
        }
        XCTAssertEqual(returned, 42)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: streamed)), try Data(contentsOf: URL(fileURLWithPath: written)))
        XCTAssertEqual(try contents(folder), ["streamed.npz", "written.npz"])
    }

    /// A member larger than `FileOutput.dataSyncBytes`, in 1 MiB pieces (the
    /// file is fdatasynced on a thread of its own while it grows): the same bytes.
    func testALargeStreamedMemberIsTheWrittenOne() throws {
        let folder = try FormatSamples.temporaryDirectory(self)
        let count = 3 * Int(FileOutput.dataSyncBytes) / 4 + 5
        let large = Tensor(shape: [count], floats: (0 ..< count).map { Float($0 % 1000) - 0.5 })
        let written = folder.appendingPathComponent("written.npz").path
        let streamed = folder.appendingPathComponent("streamed.npz").path
        try NPZWriter.write([NamedTensor(name: "output", tensor: large)], to: written)
        let bytes = try large.data()
        try NPZWriter.stream(to: streamed) { stream in
            try stream.begin("output", dtype: .float32, shape: [count])
            try bytes.withUnsafeBytes { raw in
                for start in stride(from: 0, to: raw.count, by: 1 << 20) {
                    try stream.append(UnsafeRawBufferPointer(rebasing: raw[start ..< min(raw.count, start + (1 << 20))]))
                }
            }
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: streamed)), try Data(contentsOf: URL(fileURLWithPath: written)))
    }

    /// A disk that fails the fdatasyncs made while the file grows (EIO, as
    /// a failing device reports it, where the final fsync would not see the
    /// error again): the stream throws it, naming the file, and leaves no
    /// file. Without the failure the same stream writes its file.
    func testAFailedDataSyncIsReportedAndLeavesNoFile() throws {
        let folder = try FormatSamples.temporaryDirectory(self)
        let path = folder.appendingPathComponent("out.npz").path
        let count = 3 * Int(FileOutput.dataSyncBytes) / 4 + 5
        let bytes = Data(count: count * 4)
        func stream() throws {
            try NPZWriter.stream(to: path) { stream in
                try stream.begin("output", dtype: .float32, shape: [count])
                try bytes.withUnsafeBytes { raw in
                    for start in stride(from: 0, to: raw.count, by: 1 << 20) {
                        try stream.append(UnsafeRawBufferPointer(rebasing: raw[start ..< min(raw.count, start + (1 << 20))]))
                    }
                }
            }
        }
        let failing: @Sendable (Int32) -> Int32 = { _ in
            errno = EIO
            return -1
        }
        XCTAssertThrowsError(try FileOutput.$dataSyncOverride.withValue(failing) { try stream() }) { error in
            XCTAssertEqual((error as? TensorFileError)?.reason, .unwritable(.write(errno: EIO)), "\(error)")
            XCTAssertEqual((error as? TensorFileError)?.file, path)
        }
        XCTAssertEqual(try contents(folder), [])
        try stream()
        XCTAssertEqual(try contents(folder), ["out.npz"])
    }

    func testAMemberWithTooManyOrTooFewBytesLeavesNoFile() throws {
        let folder = try FormatSamples.temporaryDirectory(self)
        let path = folder.appendingPathComponent("out.npz").path
        let bytes = try output.data()
        for extra in [-4, 4] {
            XCTAssertThrowsError(try NPZWriter.stream(to: path) { stream in
                try stream.begin("output", dtype: .float32, shape: [3, 5, 7])
                let sent = Data(count: bytes.count + extra)
                try sent.withUnsafeBytes { try stream.append($0) }
            }, "\(extra) bytes") { error in
                guard case .sizeMismatch(let expected, let actual)? = (error as? TensorFileError)?.reason else {
                    return XCTFail("\(error)")
                }
                let header = try? NPYHeader.encode(dtype: .float32, shape: [3, 5, 7]).count
                XCTAssertEqual(expected, (header ?? 0) + bytes.count)  // the NPY header, then the data
                XCTAssertEqual(actual, (header ?? 0) + bytes.count + extra)
            }
            XCTAssertEqual(try contents(folder), [], "\(extra) bytes")
        }
    }

    func testRefusalsAndTheBodysErrorsLeaveNoFile() throws {
        struct Interrupted: Error {}
        let folder = try FormatSamples.temporaryDirectory(self)
        let path = folder.appendingPathComponent("out.npz").path
        XCTAssertThrowsError(try NPZWriter.stream(to: path) { stream in
            try stream.add(NamedTensor(name: "h_n", tensor: state))
            try stream.add(NamedTensor(name: "h_n", tensor: state))
        }) { XCTAssertEqual(($0 as? TensorFileError)?.reason, .duplicateName("h_n")) }
        XCTAssertThrowsError(try NPZWriter.stream(to: path) { try $0.begin("", dtype: .float32, shape: [1]) }) {
            XCTAssertEqual(($0 as? TensorFileError)?.reason, .badName(.notAllowed(in: .npz)))
        }
        XCTAssertThrowsError(try NPZWriter.stream(to: path) { try $0.begin("x", dtype: .bfloat16, shape: [1]) }) {
            XCTAssertEqual(($0 as? TensorFileError)?.reason, .unsupportedDType(.notStorable(.bfloat16, in: .npz)))
        }
        XCTAssertThrowsError(try NPZWriter.stream(to: path) { try $0.begin("x", dtype: .float64, shape: [Int.max / 4, 4]) }) {
            guard case .badShape? = ($0 as? TensorFileError)?.reason else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try NPZWriter.stream(to: path) { stream in
            try stream.begin("output", dtype: .float32, shape: [3, 5, 7])
            throw Interrupted()
        }) { XCTAssertTrue($0 is Interrupted, "\($0)") }
        XCTAssertEqual(try contents(folder), [])
    }
}
