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
