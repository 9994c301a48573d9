import Foundation
import OutputSafety
@testable import TensorFiles
import XCTest

/// The stored-NPZ writer (rnnkit's own zip writer, CRC-32 by zlib) against
/// Python's zipfile and numpy: CRCs, UTF-8 names, and the ZIP64 end records
/// an archive of more than 65 535 members needs.
final class StoredZipWriterTests: XCTestCase {
    func testNumpyAndZipfileReadWhatTheStoredWriterWrites() throws {
        let folder = try FormatSamples.temporaryDirectory(self)
        let path = folder.appendingPathComponent("many.npz").path
        let count = 70_000
        let tensors = (0 ..< count).map { index in
            NamedTensor(name: index == 0 ? "größe" : "t\(index)", tensor: Tensor(shape: [2], floats: [Float(index), -Float(index) / 8]))
        }
        try NPZWriter.write(tensors, to: path)
        let read = try NPZReader.read(path: path)
        XCTAssertEqual(read.tensors.count, count)
        XCTAssertEqual(read.tensors.first?.name, "größe")
        XCTAssertEqual(try read.tensors[count - 1].tensor.floats(), [Float(count - 1), -Float(count - 1) / 8])
        guard try python(["-c", "import numpy"]).status == 0 else { throw XCTSkip("no python3 with numpy for the cross-check") }
        let (status, printed, complaint) = try python(["-c", """
            import sys, zipfile, numpy as np
            with zipfile.ZipFile(sys.argv[1]) as archive:
                assert archive.testzip() is None, "CRC mismatch"
            data = np.load(sys.argv[1])
            print(len(data.files), data["größe"].tolist(), data["t69999"].tolist())
            """, path])
        XCTAssertEqual(status, 0, complaint)
        XCTAssertEqual(printed, "70000 [0.0, -0.0] [69999.0, -8749.875]\n")
    }

    /// CRC-32s computed on the CRC queue (during the write, or a block
    /// split between the threads) and joined by zlib's crc32_combine equal
    /// zlib's CRC-32 of the whole, for pieces on either side of the hand-over
    /// size, with the helper thread and without one (the writer computing
    /// every job).
    func testChecksumsOnTheHelperThreadEqualZlibsOfTheWhole() throws {
        let folder = try FormatSamples.temporaryDirectory(self)
        var generator = SystemRandomNumberGenerator()
        let bytes = (0 ..< 5_000_003).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
        let whole = bytes.withUnsafeBytes { rk_crc32(0, $0.baseAddress, $0.count) }
        let sizes = [1, 100, ChecksumHelper.handOverBytes - 1, ChecksumHelper.handOverBytes, 1 << 20, 3_000_001, (256 << 10) + 1]
        for helperThread in [true, false] {
            let helper = ChecksumHelper(helperThread: helperThread)
            let name = "pieces-\(helperThread).bin"
            try AtomicOutput.writeFile(to: folder.appendingPathComponent(name).path) { output in
                var crc: UInt32 = 0
                var offset = 0
                var index = 0
                while offset < bytes.count {
                    let count = min(sizes[index % sizes.count], bytes.count - offset)
                    crc = try bytes.withUnsafeBytes { try helper.append(UnsafeRawBufferPointer(rebasing: $0[offset ..< offset + count]), to: output, continuing: crc) }
                    offset += count
                    index += 1
                }
                XCTAssertEqual(crc, whole, "helper thread: \(helperThread)")
            }
            XCTAssertEqual(try Data(contentsOf: folder.appendingPathComponent(name)), Data(bytes))
            for size in [0, 1, 255 << 10, 256 << 10, (256 << 10) + 1, 1 << 20, bytes.count] {
                let expected = bytes.withUnsafeBytes { rk_crc32(0x1234_5678, $0.baseAddress, size) }
                XCTAssertEqual(bytes.withUnsafeBytes { helper.checksum(UnsafeRawBufferPointer(rebasing: $0[0 ..< size]), continuing: 0x1234_5678) },
                               expected, "\(size) bytes, helper thread: \(helperThread)")
            }
        }
    }

    /// A member of several write pieces (its CRC computed on the helper thread) reads back, its CRC checked by zipfile.
    func testAMemberOfManyPiecesHasZipfilesCRC() throws {
        let folder = try FormatSamples.temporaryDirectory(self)
        let path = folder.appendingPathComponent("large.npz").path
        let count = (Tensor.writePieceBytes / 4) * 3 + 4321
        let values = (0 ..< count).map { Float($0 % 1000) * 0.37 - Float($0 % 7) }
        try NPZWriter.write([NamedTensor(name: "a", tensor: Tensor(shape: [count], floats: values)),
                             NamedTensor(name: "b", tensor: Tensor(shape: [3], floats: [1, 2, 3]))], to: path)
        XCTAssertEqual(try NPZReader.read(path: path).tensors.first?.tensor.floats(), values)
        guard try python(["-c", "import numpy"]).status == 0 else { throw XCTSkip("no python3 with numpy for the cross-check") }
        let (status, printed, complaint) = try python(["-c", """
            import sys, zipfile, numpy as np
            with zipfile.ZipFile(sys.argv[1]) as archive:
                assert archive.testzip() is None, "CRC mismatch"
            print(np.load(sys.argv[1])["a"].shape)
            """, path])
        XCTAssertEqual(status, 0, complaint)
        XCTAssertEqual(printed, "(\(count),)\n")
    }

    /// Runs the `python3` on the PATH.
    private func python(_ arguments: [String]) throws -> (status: Int32, printed: String, complaint: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let printed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let complaint = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, printed, complaint)
    }
}
