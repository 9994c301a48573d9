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
            XCTAssertEqual(error as? TensorFileError, TensorFileError(file: self.nested, .hdf5(.noSuchObject("no/such/group"))))
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
            var random = Data(FormatSniffer.hdf5Signature)
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
            guard let error = error as? TensorFileError, case .hdf5(.library(let failure, nil)) = error.reason else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(error.file, target)
            XCTAssertEqual(failure.operation, .openFile)
            // libhdf5's own account (foreign text) says why, on one line.
            XCTAssertTrue(failure.account.contains("truncated"), failure.account)
            XCTAssertFalse(failure.account.contains("\n"), failure.account)
            // The exact wording docs/formats.md quotes: what failed, then libhdf5's account.
            XCTAssertEqual(error.description, "\(target): HDF5: cannot open the file: \(failure.account)")
        }
    }

    func testFilesThatBrokeLibhdf5AreRefused() throws {
        let damaged = FormatSamples.root.appendingPathComponent("damaged")
        let cases: [(String, HDF5Problem)] = [
            ("chunk_rank.h5", .chunkRank(chunk: 2, dataset: 0)),
            ("chunk_beyond_dims.h5", .chunksBeyondMaximum(chunks: [3, 15269889], maximum: [3, 4])),
        ]
        for (name, problem) in cases {
            let path = damaged.appendingPathComponent(name).path
            XCTAssertFalse(FormatSamples.openAndReadAll(path, name), name)
            XCTAssertThrowsError(try TensorFile.open(path).tensors.forEach { _ = try $0.tensor.data() }) { error in
                XCTAssertEqual((error as? TensorFileError)?.reason, .hdf5(problem), name)
            }
        }
        let compact = damaged.appendingPathComponent("compact_size.h5").path
        XCTAssertThrowsError(try TensorFile.open(compact).tensors.forEach { _ = try $0.tensor.data() }) { error in
            guard case .hdf5(.storage(_, 96, 0, .exact))? = (error as? TensorFileError)?.reason else { return XCTFail("\(error)") }
        }
    }

    /// Files on which libhdf5 1.10.8 itself aborts or hangs inside one call:
    /// the child reading it dies or runs out of time, and the read is refused
    /// naming the object; this process lives on.
    /// (`object_header_segv.h5` is read by the CLI tests instead: its
    /// out-of-bounds read faults in a child of a small process such as
    /// rnnkit, but may land on mapped memory in a child of a process as large
    /// as this one.)
    func testFilesThatCrashOrHangLibhdf5AreRefusedThroughTheChildren() throws {
        let unfixed = FormatSamples.root.appendingPathComponent("damaged/libhdf5_unfixed")
        let cases: [(String, HDF5Problem.ChildOutcome, String?)] = [
            ("vds_selection_abort.h5", .crashed(signal: SIGABRT), "virtual"),
            ("global_heap_hang.h5", .timedOut(seconds: 2), nil),
        ]
        setenv("RNNKIT_HDF5_TIMEOUT", "2", 1)
        defer { unsetenv("RNNKIT_HDF5_TIMEOUT") }
        for (name, outcome, tensor) in cases {
            let path = unfixed.appendingPathComponent(name).path
            XCTAssertThrowsError(try TensorFile.open(path).tensors.forEach { _ = try $0.tensor.data() }, name) { error in
                guard let error = error as? TensorFileError else { return XCTFail("\(name): \(error)") }
                XCTAssertEqual(error.file, path)
                XCTAssertEqual(error.tensor, tensor, name)
                guard case .hdf5(.childFailed(let found, _, _, _)) = error.reason else { return XCTFail("\(name): \(error)") }
                XCTAssertEqual(found, outcome, name)
            }
        }
        // libhdf5 frees a link table twice after failing to list this file's
        // objects; only the describing child meets that.
        let doubleFree = unfixed.appendingPathComponent("visit_double_free.h5").path
        XCTAssertThrowsError(try TensorFile.open(doubleFree)) { error in
            XCTAssertEqual((error as? TensorFileError)?.file, doubleFree)
            // An error, or a crash, depending on the child's heap.
            switch (error as? TensorFileError)?.reason {
            case .hdf5(.library(let failure, nil))?: XCTAssertEqual(failure.operation, .listObjects)
            case .hdf5(.childFailed(.crashed, "listing the objects", _, _))?: break
            default: XCTFail("\(error)")
            }
        }
        // The attribute reader is guarded the same way.
        XCTAssertThrowsError(try HDF5Reader.stringAttributes(path: unfixed.appendingPathComponent("global_heap_hang.h5").path, object: "/")) { error in
            guard case .hdf5(.childFailed(_, "reading the attribute", "/", "description"))? = (error as? TensorFileError)?.reason else {
                return XCTFail("\(error)")
            }
        }
    }

    /// Data is read by a child and only when requested: a file whose only
    /// damage is one dataset's compressed chunk lists fine, the other dataset
    /// reads, and reading the damaged one returns libhdf5's error from the child.
    func testDataIsReadByAChildAndOnlyWhenRequested() throws {
        let path = FormatSamples.root.appendingPathComponent("damaged/gzip_chunk_corrupt.h5").path
        let file = try HDF5Reader.read(path: path)
        XCTAssertEqual(Set(file.tensors.map(\.name)), ["good", "bad"])
        XCTAssertEqual(try file.tensor(named: "good")?.floats(), (0 ..< 12).map(Float.init))
        XCTAssertThrowsError(try file.tensor(named: "bad")?.data()) { error in
            XCTAssertEqual((error as? TensorFileError)?.tensor, "bad")
            // libhdf5's own account, after what rnnkit was doing.
            guard case .hdf5(.library(let failure, nil))? = (error as? TensorFileError)?.reason else { return XCTFail("\(error)") }
            XCTAssertEqual(failure.operation, .readData)
            XCTAssertTrue(failure.account.hasPrefix("can't read data: inflate() failed"), failure.account)
        }
    }

    func testAChunkedDatasetClaimingFarMoreThanItStoresIsRefusedBeforeAllocating() throws {
        let path = FormatSamples.root.appendingPathComponent("hdf5/unwritten.h5").path
        let file = try HDF5Reader.read(path: path)
        XCTAssertEqual(file.tensors.first?.tensor.shape, [4096, 4096])
        XCTAssertThrowsError(try file.tensors[0].tensor.data()) { error in
            XCTAssertEqual((error as? TensorFileError)?.tensor, "big")
            guard case .hdf5(.storage([4096, 4096], _, 0, .chunked))? = (error as? TensorFileError)?.reason else {
                return XCTFail("\(error)")
            }
        }
    }

    func testFlippedBytesAreErrorsOrReadable() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: nested))
        let target = try FormatSamples.temporaryDirectory(self).appendingPathComponent("flipped.h5").path
        // The superblock and root group, every fourth byte; the rest sampled
        // (each data read forks a child, so every flip costs a few ms; the
        // HDF5 fuzz target flips far more).
        for position in Array(stride(from: 0, to: 800, by: 4)) + Array(stride(from: 800, to: bytes.count, by: 89)) {
            var damaged = bytes
            damaged[position] ^= 0xFF
            try FormatSamples.overwrite(target, with: damaged)
            FormatSamples.openAndReadAll(target, "byte \(position) flipped")
        }
    }

    /// Keras 3 stores a bfloat16 variable as 2-byte opaque data tagged with
    /// the string attribute dtype="bfloat16": read as bfloat16, value for
    /// value (the values are those h5py stored); other opaque data is listed.
    func testOpaqueDatasetsTaggedBFloat16AreBFloat16Tensors() throws {
        let path = FormatSamples.root.appendingPathComponent("hdf5/opaque.h5").path
        let file = try HDF5Reader.read(path: path)
        let sample = try XCTUnwrap(FormatSamples.manifest.files["hdf5/opaque.h5"])
        try FormatSamples.assertMatches(file, sample)
        XCTAssertEqual(file.tensors.map(\.tensor.dtype), [.bfloat16, .bfloat16])
        let others = Dictionary(uniqueKeysWithValues: file.otherItems.map { ($0.name, $0.summary) })
        XCTAssertEqual(others, [
            "tagged_4_bytes": "4-byte opaque (tagged bfloat16, which takes 2 bytes) dataset of shape [6]",
            "untagged_2_bytes": "opaque dataset of shape [2, 4]",
            "tagged_float16": "opaque dataset of shape [2, 4]",
        ])
    }

    /// The child copies opaque data as stored only when it is 2 bytes an
    /// element: asked to copy 4-byte data into a buffer sized for 2, it
    /// refuses instead of writing past the buffer.
    func testTheChildCopiesNoOpaqueDataButTwoByteElements() throws {
        let path = FormatSamples.root.appendingPathComponent("hdf5/opaque.h5").path
        let source = try HDF5Source(opening: path)
        let description = try HDF5Library.locked { try HDF5Isolation.describe(source) }
        let wide = try XCTUnwrap(description.datasets.first { $0.path == "tagged_4_bytes" }?.result.get())
        XCTAssertEqual([wide.typeClass, "\(wide.typeSize)"], ["opaque", "4"])
        XCTAssertThrowsError(try HDF5Library.locked {
            try HDF5Isolation.readData(of: wide, in: source, name: "tagged_4_bytes", dtype: .bfloat16, bytes: 12)
        }) { error in
            guard case .hdf5(.library(let failure, nil))? = (error as? TensorFileError)?.reason else { return XCTFail("\(error)") }
            XCTAssertEqual(failure.operation, .readData)
        }
    }

    /// The bfloat16 weights of a Keras 3 model (Fixtures/keras_precision,
    /// saved by Keras) are read from the `.keras` file's `model.weights.h5`
    /// as stored: the generator drew them from uniform(-0.7, 0.7).
    func testKerasBFloat16WeightsAreRead() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/keras_precision/lstm_bfloat16/model.keras").path
        let archive = try ZipArchive(path: path)
        let image = try archive.contents(of: try XCTUnwrap(archive.member("model.weights.h5")))
        let file = try HDF5Reader.read(image: image, path: "\(path):model.weights.h5")
        XCTAssertEqual(file.otherItems.map(\.name), [])
        XCTAssertEqual(file.tensors.map(\.name), ["layers.lstm.cell.vars.0", "layers.lstm.cell.vars.1", "layers.lstm.cell.vars.2"])
        XCTAssertEqual(file.tensors.map(\.tensor.shape), [[4, 20], [5, 20], [20]])
        for named in file.tensors {
            XCTAssertEqual(named.tensor.dtype, .bfloat16, named.name)
            let values = try named.tensor.floats()
            XCTAssertTrue(values.allSatisfy { $0.isFinite && abs($0) <= 0.7 }, "\(named.name): \(values)")
            XCTAssertGreaterThan(Set(values).count, values.count / 2, named.name)
            // Contiguous and unfiltered: the bytes read are the bytes stored.
            XCTAssertNotNil(image.range(of: try named.tensor.data()), named.name)
        }
    }

    func testDataComeFromTheFileDescribedEvenIfItsPathIsReplaced() throws {
        // Two files with the same layout and other values: the data read
        // after the path was replaced must still be the described file's.
        let folder = try FormatSamples.temporaryDirectory(self)
        let path = folder.appendingPathComponent("w.h5").path, other = folder.appendingPathComponent("other.h5").path
        try HDF5Writer.write([NamedTensor(name: "w", tensor: Tensor(shape: [3], floats: [1, 2, 3]))], to: path)
        try HDF5Writer.write([NamedTensor(name: "w", tensor: Tensor(shape: [3], floats: [7, 8, 9]))], to: other)
        // Moved aside and replaced: the described file still has a name,
        // and its data are read through the descriptor opened first.
        let kept = folder.appendingPathComponent("kept.h5").path
        let file = try HDF5Reader.read(path: path)
        XCTAssertEqual(rename(path, kept), 0)
        try FileManager.default.copyItem(atPath: other, toPath: path)
        XCTAssertEqual(try file.tensor(named: "w")?.floats(), [1, 2, 3])
        // A file read now is the new one.
        XCTAssertEqual(try HDF5Reader.read(path: path).tensor(named: "w")?.floats(), [7, 8, 9])

        // Replaced outright: the described file has no name left, so it
        // cannot be read again; refused, never the new file's values.
        let replaced = try HDF5Reader.read(path: path)
        XCTAssertEqual(rename(kept, path), 0)
        XCTAssertThrowsError(try replaced.tensor(named: "w")?.floats()) { error in
            XCTAssertEqual((error as? TensorFileError)?.reason, .changedWhileReading, "\(error)")
        }
    }
}
