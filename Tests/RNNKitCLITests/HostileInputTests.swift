import Foundation
import XCTest

/// The hostile files of issue 12 (`scripts/make_hostile_inputs.py`, in
/// `Fixtures/formats/hostile/`, and FIFOs and symlinks made here) given to
/// the built binary: each must end with exit 2 and one line naming the file
/// and the real reason — never a signal, a hang or a huge allocation.
final class HostileInputTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnnkit-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func hostile(_ name: String) -> String {
        CLI.fixtures.appendingPathComponent("formats/hostile/\(name)").path
    }

    /// Runs `inspect FILE` and `convert FILE OUT`, expecting exit 2, one
    /// stderr line naming `named` (the file) and holding `reason`, and no output file.
    private func assertRefused(_ path: String, named: String? = nil, _ reason: String,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let output = folder.appendingPathComponent("out.safetensors").path
        for arguments in [["inspect", path], ["convert", path, output]] {
            let result = try CLI.run(arguments)
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)", file: file, line: line)
            let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            XCTAssertEqual(lines.count, 1, "\(arguments): not one line: \(result.stderr)", file: file, line: line)
            XCTAssertTrue(result.stderr.hasPrefix("rnnkit: error: \(named ?? path)"), "\(arguments): \(result.stderr)", file: file, line: line)
            XCTAssertTrue(result.stderr.contains(reason), "\(arguments): wanted '\(reason)' in \(result.stderr)", file: file, line: line)
            XCTAssertFalse(FileManager.default.fileExists(atPath: output), file: file, line: line)
        }
    }

    // Item 7: arithmetic on numbers from the file.

    func testZeroSizeNPYWithOverflowingDimensionsIsRefused() throws {
        try assertRefused(hostile("zero_size_huge_big_endian.npy"), "bad shape: [0, 4611686018427387904, 4611686018427387904] × 4 bytes overflows")
        try assertRefused(hostile("zero_size_huge_fortran.npy"), "bad shape: [4611686018427387904, 0, 4611686018427387904] × 4 bytes overflows")
    }

    func testONNXReshapeWhoseDimsOverflowIsRefused() throws {
        try assertRefused(hostile("reshape_overflow.onnx"), "Reshape node 'reshape': shape [1099511627776, 1099511627776, -1] overflows")
    }

    func testONNXConcatWhoseSizesOverflowIsRefused() throws {
        try assertRefused(hostile("concat_overflow.onnx"), "Concat node 'concat': sizes [4611686018427387904, 4611686018427387904, 4611686018427387904] overflow")
    }

    func testONNXRecurrentWeightWithZeroRowsAndHugeHiddenSizeIsRefused() throws {
        try assertRefused(hostile("r_zero_rows_huge_hidden.onnx"), "R has shape (1, 0, 1152921504606846976)")
    }

    // Item 8: allocations bounded by the bytes present.

    func testDoublingConcatsStopAtTheComputedBytesBudget() throws {
        try assertRefused(hostile("doubling_concat.onnx"), "refused as a resource bomb")
    }

    func testStrideZeroPyTorchViewIsNotMaterialised() throws {
        try assertRefused(hostile("stride0_view.pt"), "would materialise 68719476736 bytes from a storage of 4")
    }

    // Items 9 and 14: config.json's size cap and its real reason.

    func testKerasConfigLargerThanTheCapIsRefusedBeforeInflating() throws {
        try assertRefused(hostile("config_bomb.keras"), "config.json is 68157442 bytes inflated; rnnkit reads at most 67108864")
    }

    func testKerasWeightsDecompressionBombIsRefusedBeforeInflating() throws {
        try assertRefused(hostile("weights_bomb.keras"),
                          "declares 71303168 bytes from 69309 deflated bytes: rnnkit inflates a member over 64 MiB only when it is at most 100 times")
    }

    func testKerasConfigNestedTooDeeplySaysSo() throws {
        try assertRefused(hostile("config_too_deep.keras"), "config.json is not valid JSON (Too many nested arrays or dictionaries")
    }

    // Item 3: external data stays in the model's folder.

    /// A copy of `external_weights.onnx` in a fresh folder, whose
    /// `weights.bin` is made by `make`.
    private func externalModel(_ make: (URL) throws -> Void) throws -> String {
        let model = folder.appendingPathComponent("model/model.onnx")
        try FileManager.default.createDirectory(at: model.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: hostile("external_weights.onnx"), toPath: model.path)
        try make(model.deletingLastPathComponent().appendingPathComponent("weights.bin"))
        return model.path
    }

    func testExternalDataThroughASymlinkOutOfTheFolderIsRefused() throws {
        let secret = folder.appendingPathComponent("secret.bin")
        try Data(repeating: 7, count: 16).write(to: secret)
        let path = try externalModel { try FileManager.default.createSymbolicLink(at: $0, withDestinationURL: secret) }
        try assertRefused(path, "location 'weights.bin' leads outside the model's folder")
    }

    func testExternalDataThroughASymlinkedSubfolderIsRefused() throws {
        let outside = folder.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try Data(repeating: 7, count: 16).write(to: outside.appendingPathComponent("weights.bin"))
        let model = try externalModel { _ in }
        let linked = URL(fileURLWithPath: model).deletingLastPathComponent().appendingPathComponent("sub")
        try FileManager.default.createSymbolicLink(at: linked, withDestinationURL: outside)
        // Point the model at sub/eig.bin: a name of the same length as
        // "weights.bin", so the protobuf's length prefixes stay right.
        try FileManager.default.moveItem(at: outside.appendingPathComponent("weights.bin"), to: outside.appendingPathComponent("eig.bin"))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: model))
        bytes.replaceSubrange(bytes.range(of: Data("weights.bin".utf8))!, with: Data("sub/eig.bin".utf8))
        try bytes.write(to: URL(fileURLWithPath: model))
        try assertRefused(model, "location 'sub/eig.bin' leads outside the model's folder")
    }

    func testExternalDataInsideTheFolderIsReadAndShown() throws {
        let path = try externalModel { try Data(count: 16).write(to: $0) }
        let result = try CLI.run(["inspect", path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("weights.bin: external data of 1 initializer, read from beside the model"), result.stdout)
    }

    func testMissingExternalDataNamesTheModelAndTheFile() throws {
        let path = try externalModel { _ in }
        let result = try CLI.run(["inspect", path])
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(result.stderr.hasPrefix("rnnkit: error: \(path): "), result.stderr)
        XCTAssertTrue(result.stderr.contains("stored in 'weights.bin' beside the model, and there is no such file"), result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
    }

    // Item 11: FIFOs and other non-regular files never block.

    private func fifo(_ name: String) throws -> String {
        let path = folder.appendingPathComponent(name).path
        XCTAssertEqual(mkfifo(path, 0o600), 0)
        return path
    }

    /// A valid .npy file (numpy's) to copy into folders.
    private var sampleNPY: URL { CLI.fixtures.appendingPathComponent("formats/npy_variants/f32_2d__fortran.npy") }

    /// A folder `arrays` holding `w.npy` and whatever `make` adds to it.
    private func npyFolder(_ make: (URL) throws -> Void) throws -> URL {
        let arrays = folder.appendingPathComponent("arrays")
        try FileManager.default.createDirectory(at: arrays, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: sampleNPY, to: arrays.appendingPathComponent("w.npy"))
        try make(arrays)
        return arrays
    }

    func testAnNPYFolderEntryLinkingOutOfTheFolderIsRefused() throws {
        // A real .npy outside the folder: without the check it would be read
        // (and converted) as the tensor 'v'.
        let secret = folder.appendingPathComponent("secret.npy")
        try FileManager.default.copyItem(at: sampleNPY, to: secret)
        let arrays = try npyFolder { try FileManager.default.createSymbolicLink(at: $0.appendingPathComponent("v.npy"), withDestinationURL: secret) }
        try assertRefused(arrays.path, named: arrays.appendingPathComponent("v.npy").path,
                          "is a symbolic link out of its folder (to \(secret.resolvingSymlinksInPath().path))")
    }

    func testAnNPYFolderEntryThroughALinkedSubfolderIsRefused() throws {
        let outside = folder.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: sampleNPY, to: outside.appendingPathComponent("v.npy"))
        let arrays = try npyFolder { arrays in
            try FileManager.default.createSymbolicLink(at: arrays.appendingPathComponent("sub"), withDestinationURL: outside)
            try FileManager.default.createSymbolicLink(atPath: arrays.appendingPathComponent("v.npy").path, withDestinationPath: "sub/v.npy")
        }
        try assertRefused(arrays.path, named: arrays.appendingPathComponent("v.npy").path, "is a symbolic link out of its folder")
    }

    func testAnNPYFolderEntryLinkingInsideTheFolderIsRead() throws {
        let arrays = try npyFolder { arrays in
            let data = arrays.appendingPathComponent("data")
            try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: arrays.appendingPathComponent("w.npy"), to: data.appendingPathComponent("v.npy"))
            try FileManager.default.createSymbolicLink(atPath: arrays.appendingPathComponent("v.npy").path, withDestinationPath: "data/v.npy")
        }
        let output = folder.appendingPathComponent("out.safetensors").path
        let result = try CLI.run(["convert", arrays.path, output])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: output)).count > 0, true)
        let listing = try CLI.run(["inspect", "--json", output])
        XCTAssertTrue(listing.stdout.contains("\"v\""), listing.stdout)
        XCTAssertTrue(listing.stdout.contains("\"w\""), listing.stdout)
    }

    func testFIFOIsRefusedNotWaitedOn() throws {
        let path = try fifo("f.npy")
        try assertRefused(path, "is not a regular file (a FIFO)")
    }

    func testFIFOInsideAnNPYFolderIsRefused() throws {
        let npyFolder = folder.appendingPathComponent("arrays")
        try FileManager.default.createDirectory(at: npyFolder, withIntermediateDirectories: true)
        XCTAssertEqual(mkfifo(npyFolder.appendingPathComponent("w.npy").path, 0o600), 0)
        let result = try CLI.run(["inspect", npyFolder.path])
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(result.stderr.contains("w.npy: is not a regular file (a FIFO)"), result.stderr)
    }

    func testFIFOAsExternalDataIsRefused() throws {
        let path = try externalModel { XCTAssertEqual(mkfifo($0.path, 0o600), 0) }
        try assertRefused(path, named: URL(fileURLWithPath: path).deletingLastPathComponent().path, "weights.bin: tensor 'W': is not a regular file (a FIFO)")
    }

    func testFIFOAsRunInputIsRefused() throws {
        let input = try fifo("x.npy")
        let result = try CLI.run(["run", CLI.fixtures.appendingPathComponent("lstm_1l/weights.pt").path, "--input", input,
                                  "--output", folder.appendingPathComponent("out.npz").path])
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(result.stderr.contains("\(input): is not a regular file (a FIFO)"), result.stderr)
    }

    // Item 13: control characters are escaped where text is printed.

    func testNamesCannotForgeErrorLines() throws {
        try assertRefused(hostile("control_name_truncated.safetensors"), "tensor 'w\\nrnnkit: error: forged line'")
    }

    func testNamesCannotSplitAConvertNote() throws {
        let output = folder.appendingPathComponent("out.safetensors").path
        let result = try CLI.run(["convert", hostile("newline_layer_name.keras"), output])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3, "a summary line, the layer's note and the batch_first note: \(result.stdout)")
        XCTAssertFalse(lines.contains { $0.hasPrefix("note: forged") }, result.stdout)
        XCTAssertTrue(lines[1].hasPrefix("note: the Keras layer 'rnn\\nnote: forged' has return_sequences=False"), result.stdout)
    }

    func testInspectEscapesControlCharactersInNames() throws {
        let result = try CLI.run(["inspect", hostile("control_names.safetensors")])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertFalse(result.stdout.contains("\u{1b}"), "ESC reached the terminal")
        XCTAssertFalse(result.stdout.contains("\nrnnkit: error:"), "a name forged a line")
        XCTAssertTrue(result.stdout.contains("w\\nrnnkit: error: forged line"), result.stdout)
        XCTAssertTrue(result.stdout.contains("\\u{1b}[2J\\u{1b}[31mred"), result.stdout)
        // The table is padded by the escaped width: every row's shape starts in the header's Shape column.
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let header = try XCTUnwrap(lines.first { $0.hasPrefix("  Name ") })
        let column = try XCTUnwrap(header.range(of: "Shape")).lowerBound.utf16Offset(in: header)
        let rows = lines.filter { $0.contains("(2,)") }
        XCTAssertEqual(rows.count, 2, result.stdout)
        for row in rows {
            XCTAssertEqual(try XCTUnwrap(row.range(of: "(2,)")).lowerBound.utf16Offset(in: row), column, result.stdout)
        }
    }
}
