import Foundation
import XCTest
@testable import TensorFiles

final class HDF5Tests: XCTestCase {
    private let nested = FormatSamples.root.appendingPathComponent("hdf5/nested.h5").path

    func testH5pyWrittenFilesMatchTheirValues() throws {
        try FormatSamples.checkAllSamples(.hdf5, minimum: 3)
    }

    func testDataIsReadOnlyOnRequest() throws {
        let file = try HDF5Reader.read(path: nested)
        XCTAssertFalse(file.tensors.contains { $0.tensor.isLoaded })
        XCTAssertEqual(file.otherItems.first { $0.name == "notes.text" }?.summary, "string dataset of shape [2]")
    }

    func testStringAttributesOfAGroup() throws {
        XCTAssertEqual(try HDF5Reader.stringAttributes(path: nested, object: "encoder"), ["note": "a group attribute"])
        XCTAssertThrowsError(try HDF5Reader.stringAttributes(path: nested, object: "no/such/group")) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains(self.nested) && message.contains("no/such/group"), message)
        }
    }

    func testConcurrentReadsAreSerialisedAndCorrect() throws {
        let file = try HDF5Reader.read(path: FormatSamples.root.appendingPathComponent("hdf5/chunked.h5").path)
        let expected = try file.tensors.map { try $0.tensor.data() }
        let results = UnsafeMutableBufferPointer<Bool>.allocate(capacity: 64)
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 64) { index in
            let position = index % file.tensors.count
            results[index] = (try? file.tensors[position].tensor.data()) == expected[position]
        }
        XCTAssertTrue(results.allSatisfy { $0 })
    }

    func testEmptyTruncatedAndRandomFilesAreErrors() throws {
        let directory = try FormatSamples.temporaryDirectory(self)
        let target = directory.appendingPathComponent("bad.h5").path
        let bytes = try Data(contentsOf: URL(fileURLWithPath: nested))
        var cuts = Array(0 ..< 64) + Array(stride(from: 64, to: bytes.count, by: 61))
        cuts.append(bytes.count - 1)
        for cut in cuts {
            try FormatSamples.overwrite(target, with: bytes.prefix(cut))
            XCTAssertFalse(FormatSamples.openAndReadAll(target, "cut at \(cut)"), "cut at \(cut) was read")
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0 ..< 20 {
            var random = Data(ContainerSniffer.hdf5Signature)
            random.append(contentsOf: (0 ..< 2048).map { _ in UInt8.random(in: 0 ... 255, using: &generator) })
            try FormatSamples.overwrite(target, with: random)
            XCTAssertFalse(FormatSamples.openAndReadAll(target, "random bytes"))
        }
        try FormatSamples.overwrite(target, with: Data())
        XCTAssertThrowsError(try HDF5Reader.read(path: target)) { error in
            XCTAssertEqual((error as? TensorFileError)?.reason, .empty)
        }
    }

    func testLibhdf5ErrorsBecomeOneMessage() throws {
        let target = try FormatSamples.temporaryDirectory(self).appendingPathComponent("short.h5").path
        try FormatSamples.overwrite(target, with: try Data(contentsOf: URL(fileURLWithPath: nested)).prefix(3000))
        XCTAssertThrowsError(try HDF5Reader.read(path: target)) { error in
            guard let error = error as? TensorFileError, case .hdf5(let message) = error.reason else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(error.file, target)
            XCTAssertTrue(message.contains("truncated"), message)
            XCTAssertFalse(message.contains("\n"), message)
        }
    }

    func testFilesThatBrokeLibhdf5AreRefused() throws {
        let damaged = FormatSamples.root.appendingPathComponent("damaged")
        let cases = [
            ("chunk_rank.h5", "2-d chunks for a 0-d dataset"),
            ("compact_size.h5", "needs 96 bytes in the file but 0 are stored"),
        ]
        for (name, message) in cases {
            let path = damaged.appendingPathComponent(name).path
            XCTAssertFalse(FormatSamples.openAndReadAll(path, name), name)
            XCTAssertThrowsError(try TensorFile.open(path).tensors.forEach { _ = try $0.tensor.data() }) { error in
                XCTAssertTrue("\(error)".contains(message), "\(name): \(error)")
            }
        }
    }

    func testAChunkedDatasetClaimingFarMoreThanItStoresIsRefusedBeforeAllocating() throws {
        let path = FormatSamples.root.appendingPathComponent("hdf5/unwritten.h5").path
        let file = try HDF5Reader.read(path: path)
        XCTAssertEqual(file.tensors.first?.tensor.shape, [4096, 4096])
        XCTAssertThrowsError(try file.tensors[0].tensor.data()) { error in
            XCTAssertEqual((error as? TensorFileError)?.tensor, "big")
            XCTAssertTrue("\(error)".contains("only 0 are stored"), "\(error)")
        }
    }

    func testFlippedBytesAreErrorsOrReadable() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: nested))
        let target = try FormatSamples.temporaryDirectory(self).appendingPathComponent("flipped.h5").path
        // The superblock and root group, every byte; the rest sampled.
        for position in Array(0 ..< 800) + Array(stride(from: 800, to: bytes.count, by: 37)) {
            var damaged = bytes
            damaged[position] ^= 0xFF
            try FormatSamples.overwrite(target, with: damaged)
            FormatSamples.openAndReadAll(target, "byte \(position) flipped")
        }
    }
}
