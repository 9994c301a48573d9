import Foundation
import XCTest
@testable import TensorFiles

/// The sample files of Fixtures/formats (written by numpy, h5py and
/// safetensors through scripts/make_format_samples.py) and their sidecar
/// `formats.json`, which holds the values the same script stored.
enum FormatSamples {
    /// Expected dtype, shape and values (C order) of one array.
    struct Expected: Decodable {
        var dtype: String
        var shape: [Int]
        var floats: [Double]?
        var integers: [Int64]?

        enum CodingKeys: String, CodingKey { case dtype, shape, values }

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            dtype = try container.decode(String.self, forKey: .dtype)
            shape = try container.decode([Int].self, forKey: .shape)
            if dtype.hasPrefix("float") || dtype == "bfloat16" {
                floats = try container.decode([Double].self, forKey: .values)
            } else {
                integers = try container.decode([Int64].self, forKey: .values)
            }
        }
    }

    /// What one sample file holds.
    struct Sample: Decodable {
        var format: String
        var tensors: [String: String]
        var other: [String]?
        var metadata: [String: String]?
        var order: [String]?
    }

    struct Manifest: Decodable {
        var values: [String: Expected]
        var files: [String: Sample]
    }

    /// Fixtures/formats.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/formats")

    /// formats.json, decoded.
    static let manifest: Manifest = {
        do {
            let data = try Data(contentsOf: root.appendingPathComponent("formats.json"))
            return try JSONDecoder().decode(Manifest.self, from: data)
        } catch {
            XCTFail("cannot read Fixtures/formats/formats.json: \(error) \(String(describing: (error as? DecodingError).map { "\($0)" }))")
            return Manifest(values: [:], files: [:])
        }
    }()

    /// The samples of one container format, sorted by path (absolute path, description).
    static func samples(_ format: String) -> [(path: String, sample: Sample)] {
        manifest.files.filter { $0.value.format == format }.sorted { $0.key < $1.key }
            .map { (root.appendingPathComponent($0.key).path, $0.value) }
    }

    /// Opens every sample of `format` (at least `minimum` of them), asserts it
    /// is detected as `format` and matches the sidecar; returns the files.
    @discardableResult
    static func checkAllSamples(_ format: FileFormat, minimum: Int, line: UInt = #line) throws -> [TensorFile] {
        let samples = samples(format.rawValue)
        XCTAssertGreaterThanOrEqual(samples.count, minimum, line: line)
        return try samples.map { path, sample in
            let file = try TensorFile.open(path)
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            XCTAssertEqual(file.format, isDirectory.boolValue ? .npyDirectory : format, path, line: line)
            try assertMatches(file, sample, line: line)
            return file
        }
    }

    /// Asserts that `file` holds exactly the sample's tensors with the stored
    /// values, and its other items and metadata.
    static func assertMatches(_ file: TensorFile, _ sample: Sample, line: UInt = #line) throws {
        let names = file.tensors.map(\.name)
        XCTAssertEqual(Set(names), Set(sample.tensors.keys), file.path, line: line)
        XCTAssertEqual(names.count, Set(names).count, "duplicate names in \(file.path)", line: line)
        if let order = sample.order { XCTAssertEqual(names, order, file.path, line: line) }
        for named in file.tensors {
            guard let key = sample.tensors[named.name], let expected = manifest.values[key] else { continue }
            try assertValues(named.tensor, expected, "\(file.path): \(named.name)", line: line)
        }
        XCTAssertEqual(Set(file.otherItems.map(\.name)), Set(sample.other ?? []), file.path, line: line)
        XCTAssertEqual(file.metadata, sample.metadata ?? [:], file.path, line: line)
    }

    /// Asserts dtype, shape and exact values.
    static func assertValues(_ tensor: Tensor, _ expected: Expected, _ what: String, line: UInt = #line) throws {
        XCTAssertEqual(tensor.dtype.rawValue, expected.dtype, what, line: line)
        XCTAssertEqual(tensor.shape, expected.shape, what, line: line)
        if let floats = expected.floats {
            let values = try tensor.doubles()
            XCTAssertEqual(values.count, floats.count, what, line: line)
            for (index, (got, want)) in zip(values, floats).enumerated() where got != want {
                XCTFail("\(what)[\(index)]: \(got) != \(want)", line: line)
                break
            }
        } else if let integers = expected.integers {
            XCTAssertEqual(try tensor.int64s(), integers, what, line: line)
        }
    }

    /// A fresh temporary directory, removed when the test ends; in memory
    /// (/dev/shm) where there is one, since the tests write thousands of
    /// damaged files.
    static func temporaryDirectory(_ test: XCTestCase) throws -> URL {
        let shm = URL(fileURLWithPath: "/dev/shm", isDirectory: true)
        let base = FileManager.default.isWritableFile(atPath: shm.path) ? shm : FileManager.default.temporaryDirectory
        let url = base.appendingPathComponent("rnnkit-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Replaces the file at `path` with `bytes` (plain POSIX calls: quicker
    /// than `Data.write` when done thousands of times).
    static func overwrite(_ path: String, with bytes: Data) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown) }
        defer { close(descriptor) }
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw CocoaError(.fileWriteUnknown) }
    }

    /// Asserts that `body` throws a `TensorFileError` whose message names `file`.
    static func assertFails(_ file: String, _ what: String, line: UInt = #line, _ body: () throws -> Void) {
        do {
            try body()
            XCTFail("\(what): no error", line: line)
        } catch let error as TensorFileError {
            XCTAssertEqual(error.file, file, "\(what): \(error)", line: line)
        } catch {
            XCTFail("\(what): not a TensorFileError: \(error)", line: line)
        }
    }

    /// Opens `path` and reads every tensor's data; `body` gets any error
    /// that is not a `TensorFileError` as a failure. Returns whether reading
    /// succeeded (a damaged byte inside tensor data can go unnoticed).
    @discardableResult
    static func openAndReadAll(_ path: String, _ what: String, line: UInt = #line) -> Bool {
        do {
            let file = try TensorFile.open(path)
            for named in file.tensors { _ = try named.tensor.data() }
            return true
        } catch let error as TensorFileError {
            XCTAssertEqual(error.file, path, "\(what): the error does not name the file: \(error)", line: line)
            return false
        } catch {
            XCTFail("\(what): not a TensorFileError: \(error)", line: line)
            return false
        }
    }
}
