import Foundation
import TensorFiles
import XCTest

/// Every container, damaged in every way the hostile-input issue lists, given
/// to the built binary: each must exit 2 (never a signal, never 1) with a
/// message on stderr that names the file.
final class MalformedFileTests: XCTestCase {
    /// One valid sample file of a container and how the binary is pointed at it.
    struct Sample {
        var container: String
        /// Relative to Fixtures/.
        var fixture: String
        /// Bytes at the start whose every prefix is tried (the header).
        var headerBytes: Int
        /// Offsets whose flip (xor 0xff) must make the file unreadable.
        var breakingFlips: [Int]
        /// The arguments reading `path` (and writing into `folder` when the
        /// command converts).
        var command: (_ path: String, _ folder: URL) -> [String] = { path, _ in ["inspect", path] }
    }

    static let samples: [Sample] = [
        Sample(container: "npy", fixture: "formats/npy/f16_2d.npy", headerBytes: 128, breakingFlips: [0, 5, 6, 8, 9, 12]),
        Sample(container: "npz", fixture: "formats/npz/stored.npz", headerBytes: 64, breakingFlips: [0, 1, 2]),
        Sample(container: "safetensors", fixture: "formats/safetensors/no_metadata.safetensors", headerBytes: 120,
               breakingFlips: [0, 1, 7, 8, 0x2d, 0x3d]),
        Sample(container: "hdf5", fixture: "lstm_1l/weights.h5", headerBytes: 96, breakingFlips: [0, 1, 7]),
        Sample(container: "pytorch zip", fixture: "lstm_1l/weights.pt", headerBytes: 64, breakingFlips: [0, 1, 2]),
        Sample(container: "pytorch legacy", fixture: "lstm_1l/weights_legacy.pt", headerBytes: 64, breakingFlips: [0, 1, 2]),
        Sample(container: "onnx", fixture: "onnx/rnn_tanh/model.onnx", headerBytes: 48, breakingFlips: [0],
               command: { path, folder in ["convert", path, folder.appendingPathComponent("out.safetensors").path] }),
    ]

    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnnkit-malformed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// A damaged variant of a sample: its file name and bytes.
    struct Variant {
        var label: String
        var bytes: [UInt8]
    }

    /// Truncations (every prefix of the header, then evenly spaced ones),
    /// breaking flips, random bytes and random bytes behind the right magic.
    static func variants(of sample: Sample, bytes: [UInt8]) -> [Variant] {
        var result = [Variant(label: "empty", bytes: [])]
        var lengths = Array(1 ..< min(sample.headerBytes, bytes.count))
        let steps = 24
        for step in 0 ..< steps {
            lengths.append(sample.headerBytes + (bytes.count - sample.headerBytes) * step / steps)
        }
        for length in Set(lengths).sorted() where length > 0 && length < bytes.count {
            result.append(Variant(label: "truncated at \(length)", bytes: Array(bytes.prefix(length))))
        }
        for offset in sample.breakingFlips {
            var flipped = bytes
            flipped[offset] ^= 0xFF
            result.append(Variant(label: "byte \(offset) flipped", bytes: flipped))
        }
        // xorshift64, seeded by the sample's size: the same bytes on every run.
        var state = UInt64(bytes.count) | 1
        func randomBytes(_ count: Int) -> [UInt8] {
            (0 ..< count).map { _ in
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                return UInt8(truncatingIfNeeded: state)
            }
        }
        result.append(Variant(label: "random bytes", bytes: randomBytes(4096)))
        result.append(Variant(label: "magic then random bytes", bytes: Array(bytes.prefix(8)) + randomBytes(2048)))
        return result
    }

    func testEveryDamagedVariantOfEveryContainerExitsTwoNamingTheFile() throws {
        var cases: [(label: String, arguments: [String], path: String)] = []
        for sample in Self.samples {
            let bytes = try [UInt8](Data(contentsOf: CLI.fixtures.appendingPathComponent(sample.fixture)))
            for (index, variant) in Self.variants(of: sample, bytes: bytes).enumerated() {
                let extensionPart = (sample.fixture as NSString).pathExtension
                let path = folder.appendingPathComponent("\(sample.container.replacingOccurrences(of: " ", with: "_"))-\(index).\(extensionPart)").path
                try Data(variant.bytes).write(to: URL(fileURLWithPath: path))
                cases.append(("\(sample.container) \(variant.label)", sample.command(path, folder), path))
            }
        }
        let results = try CLI.runAll(cases.map(\.arguments))
        for (entry, result) in zip(cases, results) {
            XCTAssertEqual(result.status, 2, "\(entry.label): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(entry.path), "\(entry.label): the message does not name the file: \(result.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("out.safetensors").path))
        XCTAssertGreaterThan(cases.count, 500)
    }

    /// Flips of any header byte: the file may stay readable (a flipped
    /// padding space), but the binary never dies and never blames itself.
    func testAnyFlippedHeaderByteIsReadOrRefusedNamingTheFile() throws {
        var cases: [(label: String, arguments: [String], path: String)] = []
        for sample in Self.samples {
            let bytes = try [UInt8](Data(contentsOf: CLI.fixtures.appendingPathComponent(sample.fixture)))
            for offset in stride(from: 0, to: min(sample.headerBytes, bytes.count), by: 3) {
                var flipped = bytes
                flipped[offset] ^= 0xFF
                let path = folder.appendingPathComponent("flip-\(cases.count)-\((sample.fixture as NSString).lastPathComponent)").path
                try Data(flipped).write(to: URL(fileURLWithPath: path))
                cases.append(("\(sample.container) byte \(offset) flipped", sample.command(path, folder), path))
            }
        }
        for (entry, result) in zip(cases, try CLI.runAll(cases.map(\.arguments))) {
            XCTAssertTrue([0, 2].contains(result.status), "\(entry.label): exit \(result.status): \(result.stderr)")
            if result.status == 2 {
                XCTAssertTrue(result.stderr.contains(entry.path), "\(entry.label): \(result.stderr)")
            }
            try? FileManager.default.removeItem(atPath: folder.appendingPathComponent("out.safetensors").path)
        }
    }

    func testHeadersClaimingHugeShapesAreRefused() throws {
        // NPY: 10^12 × 10^12 overflows; 2^40 elements does not, but is not there.
        for shape in ["(1000000000000, 1000000000000)", "(1099511627776,)", "(-3, 4)"] {
            var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
            while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
            let bytes = NPYHeader.magic + [1, 0, UInt8(header.utf8.count + 1), 0] + Array(header.utf8) + [0x0A] + [UInt8](repeating: 0, count: 48)
            try expectRefusal(bytes, name: "huge.npy", ["inspect"], mentioning: shape.hasPrefix("(-") ? "shape" : "bytes")
        }
        // safetensors: a shape whose byte count overflows, and one past the data.
        for entry in [#"{"w":{"dtype":"F32","shape":[1000000000000,1000000000000],"data_offsets":[0,8]}}"#,
                      #"{"w":{"dtype":"F32","shape":[1099511627776],"data_offsets":[0,4398046511104]}}"#] {
            var header = Array(entry.utf8)
            while header.count % 8 != 0 { header.append(0x20) }
            var length = UInt64(header.count).littleEndian
            let bytes = withUnsafeBytes(of: &length) { Array($0) } + header + [UInt8](repeating: 0, count: 8)
            try expectRefusal(bytes, name: "huge.safetensors", ["inspect"], mentioning: "w")
        }
        // HDF5: a valid file whose 64 MiB chunked dataset was never written;
        // listing it is fine, reading its data is refused before allocating.
        let unwritten = CLI.fixtures.appendingPathComponent("formats/hdf5/unwritten.h5").path
        let out = folder.appendingPathComponent("unwritten.safetensors").path
        let result = try CLI.run(["convert", unwritten, out])
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(result.stderr.contains(unwritten), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    private func expectRefusal(_ bytes: [UInt8], name: String, _ command: [String], mentioning word: String) throws {
        let path = folder.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let result = try CLI.run(command + [path])
        XCTAssertEqual(result.status, 2, "\(name): \(result.stderr)")
        XCTAssertTrue(result.stderr.contains(path) && result.stderr.contains(word), "\(name): \(result.stderr)")
    }

    /// Files on which libhdf5 1.10.8 itself crashes, aborts or hangs: the
    /// child process that meets them first dies, and rnnkit exits 2.
    func testFilesThatBreakLibhdf5ExitTwoNamingTheObject() throws {
        let unfixed = CLI.fixtures.appendingPathComponent("formats/damaged/libhdf5_unfixed")
        for (name, message) in [
            ("object_header_segv.h5", "tensor 'b1_2d': HDF5: the file is damaged: libhdf5 crashed (SIGSEGV) while opening the dataset"),
            ("vds_selection_abort.h5", "tensor 'virtual': HDF5: the file is damaged: libhdf5 crashed (SIGABRT) while opening the dataset"),
        ] {
            let path = unfixed.appendingPathComponent(name).path
            let result = try CLI.run(["inspect", path])
            XCTAssertEqual(result.status, 2, "\(name): \(result.stderr)")
            XCTAssertEqual(result.stderr, "rnnkit: error: \(path): \(message)\n")
        }
        // Found by the HDF5 fuzz target: after failing to list the objects,
        // libhdf5 frees a link table twice. Whether that crashes depends on
        // the heap; it killed rnnkit (SIGABRT, SIGSEGV) while libhdf5 still
        // made metadata calls in-process. Either way it must be exit 2 now.
        let path = unfixed.appendingPathComponent("visit_double_free.h5").path
        for command in [["inspect", path], ["convert", path, folder.appendingPathComponent("out.npz").path]] {
            let result = try CLI.run(command)
            XCTAssertEqual(result.status, 2, result.stderr)
            XCTAssertTrue(result.stderr.hasPrefix("rnnkit: error: \(path): HDF5: "), result.stderr)
            XCTAssertTrue(result.stderr.contains("cannot list the objects in the file")
                || result.stderr.contains("while listing the objects"), result.stderr)
        }
    }

    func testADirectoryWhereAFileIsExpected() throws {
        let empty = folder.appendingPathComponent("empty.h5")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let weights = CLI.fixtures.appendingPathComponent("lstm_1l/weights.h5").path
        let cases: [[String]] = [
            ["inspect", empty.path],
            ["convert", empty.path, folder.appendingPathComponent("out.npz").path],
            ["run", weights, "--input", empty.path, "--output", folder.appendingPathComponent("out.npz").path],
        ]
        for arguments in cases {
            let result = try CLI.run(arguments)
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(empty.path), "\(arguments): \(result.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("out.npz").path))
    }

    /// A file the user may not read. Root reads every file whatever its mode,
    /// so as root the binary runs as `nobody` through setpriv(1).
    func testAFileWithoutReadPermission() throws {
        var prefix: [String] = []
        if getuid() == 0 {
            let setpriv = "/usr/bin/setpriv"
            guard FileManager.default.isExecutableFile(atPath: setpriv) else {
                throw XCTSkip("running as root without setpriv(1): root ignores file permissions, so there is nothing to test")
            }
            prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
        }
        for sample in Self.samples {
            let path = folder.appendingPathComponent("locked-\((sample.fixture as NSString).lastPathComponent)").path
            try FileManager.default.copyItem(atPath: CLI.fixtures.appendingPathComponent(sample.fixture).path, toPath: path)
            try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: path)
            let result = try CLI.run(sample.command(path, folder), wrappedIn: prefix)
            XCTAssertEqual(result.status, 2, "\(sample.container): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(path) && result.stderr.lowercased().contains("permission"),
                          "\(sample.container): \(result.stderr)")
        }
    }
}

extension MalformedFileTests {
    /// Inputs that do not fit the weights are refused before computing, and
    /// no output is written: lengths given as floats (NaN among them), a
    /// length out of range, an input of the wrong feature size.
    func testRunRefusesInputsThatDoNotFitBeforeComputing() throws {
        let fixture = CLI.fixtures.appendingPathComponent("lstm_1l")
        let weights = fixture.appendingPathComponent("weights.h5").path
        let input = fixture.appendingPathComponent("input.npy").path
        let batch = try TensorFile.open(input).tensors[0].tensor.shape[1]
        let nanLengths = folder.appendingPathComponent("nan_lengths.npy").path
        try NPYWriter.encode(Tensor(shape: [batch], floats: [Float](repeating: .nan, count: batch))).write(to: URL(fileURLWithPath: nanLengths))
        let longLengths = folder.appendingPathComponent("long_lengths.npy").path
        try NPYWriter.encode(Tensor(shape: [batch], int64s: [Int64](repeating: 1 << 40, count: batch))).write(to: URL(fileURLWithPath: longLengths))
        let wideInput = folder.appendingPathComponent("wide_input.npy").path
        try NPYWriter.encode(Tensor(shape: [2, batch, 7], floats: [Float](repeating: 0, count: 14 * batch))).write(to: URL(fileURLWithPath: wideInput))
        let output = folder.appendingPathComponent("out.npz").path
        for (arguments, file, expected) in [
            (["--input", input, "--lengths", nanLengths], nanLengths, "integer"),
            (["--input", input, "--lengths", longLengths], longLengths, "1"),
            (["--input", wideInput], wideInput, "4"),
        ] {
            let result = try CLI.run(["run", weights, "--output", output] + arguments)
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(file) && result.stderr.contains(expected), "\(arguments): \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: output))
        }
    }
}
