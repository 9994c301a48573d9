#if canImport(Glibc)
import Glibc
#endif
import Foundation
@testable import TensorFiles
import XCTest

/// Publishing races, made deterministic: something appears at the target
/// while `AtomicOutput.write` is writing its temporary file.
final class AtomicOutputTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnnkit-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    private var entries: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted() }

    private func assertThrows(_ expected: TensorFileError, _ body: () throws -> Void, line: UInt = #line) {
        XCTAssertThrowsError(try body(), line: line) { error in
            XCTAssertEqual(error as? TensorFileError, expected, line: line)
        }
    }

    func testAWriterThatLosesTheRaceGetsAlreadyExistsAndReplacesNothing() throws {
        let target = path("o.safetensors")
        assertThrows(TensorFileError(file: target, .outputExists)) {
            try AtomicOutput.write(to: target) { temporary in
                try Data("mine".utf8).write(to: URL(fileURLWithPath: temporary))
                try Data("the other writer's".utf8).write(to: URL(fileURLWithPath: target))
            }
        }
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "the other writer's")
        XCTAssertEqual(entries, ["o.safetensors"])
    }

    func testForceReplacesOnlyWhatOutputTargetAllowsAtPublishingTime() throws {
        // A FIFO appears while the file is written: not replaced, even with force.
        let fifo = path("fifo.h5")
        assertThrows(TensorFileError(file: fifo, .refusedOverwrite(.notRegular(.fifo)))) {
            try AtomicOutput.write(to: fifo, force: true) { temporary in
                try Data("mine".utf8).write(to: URL(fileURLWithPath: temporary))
                XCTAssertEqual(mkfifo(fifo, 0o600), 0)
            }
        }
        // A file that appears is replaced with force.
        let file = path("o.npz")
        try AtomicOutput.write(to: file, force: true) { temporary in
            try Data("mine".utf8).write(to: URL(fileURLWithPath: temporary))
            try Data("old".utf8).write(to: URL(fileURLWithPath: file))
        }
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), "mine")
        // An .npy folder that gains another file while the new one is written stays.
        let npyFolder = path("o_npy")
        try FileManager.default.createDirectory(atPath: npyFolder, withIntermediateDirectories: false)
        try Data("old".utf8).write(to: URL(fileURLWithPath: npyFolder + "/a.npy"))
        assertThrows(TensorFileError(file: npyFolder, .refusedOverwrite(.folderHoldsOther("notes.txt")))) {
            try AtomicOutput.write(to: npyFolder, force: true) { temporary in
                try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: false)
                try Data("new".utf8).write(to: URL(fileURLWithPath: temporary + "/b.npy"))
                try Data("notes".utf8).write(to: URL(fileURLWithPath: npyFolder + "/notes.txt"))
            }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: npyFolder).sorted(), ["a.npy", "notes.txt"])
        // Without the stranger, the folder is swapped and the old one removed.
        try FileManager.default.removeItem(atPath: npyFolder + "/notes.txt")
        try AtomicOutput.write(to: npyFolder, force: true) { temporary in
            try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: false)
            try Data("new".utf8).write(to: URL(fileURLWithPath: temporary + "/b.npy"))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: npyFolder), ["b.npy"])
        XCTAssertEqual(entries, ["fifo.h5", "o.npz", "o_npy"])
    }

    /// A failed write says why in plain words for a full disk and the
    /// file-size limit, else the system's text; the errno is the error's data.
    func testWriteFailuresAreWordedFromTheirErrno() {
        XCTAssertEqual(TensorFileError(file: "o.npz", .unwritable(.write(errno: ENOSPC))).description, "o.npz: cannot write: disk full")
        XCTAssertEqual(TensorFileError(file: "o.npz", .unwritable(.write(errno: EFBIG))).description,
                       "o.npz: cannot write: file too large (the file-size limit, ulimit -f, was reached)")
        XCTAssertEqual(TensorFileError(file: "o.npz", .unwritable(.createFile(errno: EACCES))).description,
                       "o.npz: cannot create a file in its folder: \(String(cString: strerror(EACCES)))")
    }

    func testAMissingFolderIsRefusedBeforeWriting() {
        let target = path("missing/o.npz")
        assertThrows(TensorFileError(file: target, .unwritable(.noFolder(path("missing"))))) {
            try AtomicOutput.checkWritable(target, inputs: [], force: false)
        }
    }
}
