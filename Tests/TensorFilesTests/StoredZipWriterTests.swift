import Foundation
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
        let python = URL(fileURLWithPath: "/usr/bin/python3")
        guard FileManager.default.isExecutableFile(atPath: python.path) else { throw XCTSkip("no python3 for the cross-check") }
        let process = Process()
        process.executableURL = python
        process.arguments = ["-c", """
            import sys, zipfile, numpy as np
            with zipfile.ZipFile(sys.argv[1]) as archive:
                assert archive.testzip() is None, "CRC mismatch"
            data = np.load(sys.argv[1])
            print(len(data.files), data["größe"].tolist(), data["t69999"].tolist())
            """, path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let printed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertEqual(printed, "70000 [0.0, -0.0] [69999.0, -8749.875]\n")
    }
}
