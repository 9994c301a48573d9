import Foundation
import XCTest
@testable import TensorFiles

/// `FormatSniffer` on a file of every format, written by the library that
/// owns the format (Fixtures/), and on bytes that are no format, or almost one.
final class FormatSnifferTests: XCTestCase {
    private let fixtures = FormatSamples.root.deletingLastPathComponent()

    /// One file per format, as numpy, h5py, safetensors, torch, torch.onnx, Keras 3 and tf.keras wrote it.
    private var samples: [(FileFormat, String)] {
        [
            (.npy, "formats/npy/f32_0d.npy"),
            (.npyDirectory, "formats/npy"),
            (.npz, "formats/npz/deflated.npz"),
            (.hdf5, "formats/hdf5/nested.h5"),
            (.safetensors, "formats/safetensors/all_dtypes.safetensors"),
            (.pytorch, "lstm_2l_pt_zip/weights.pt"),
            (.pytorchLegacy, "gru_bi_pt_legacy/weights_legacy.pt"),
            (.torchScript, "torch_modules/frozen_gru/model.pt"),
            (.pytorch, "torch_modules/module_seq2seq/model.pt"),
            (.pytorchExport, "pt2/rnn_relu.pt2"),
            (.shardedCheckpoint, "sharded/safetensors/model.safetensors.index.json"),
            (.onnx, "onnx/rnn_tanh/model.onnx"),
            (.keras, "keras/gru/model.keras"),
            (.kerasWeights, "keras/gru/model.weights.h5"),
            (.keras2Model, "keras2/gru/model.h5"),
            (.keras2Weights, "keras2/gru/weights.h5"),
        ]
    }

    func testEveryFormatIsRecognisedInAFileItsLibraryWrote() throws {
        XCTAssertEqual(Set(samples.map(\.0)), Set(FileFormat.allCases), "a sample for every format")
        for (format, relative) in samples {
            let path = fixtures.appendingPathComponent(relative).path
            XCTAssertEqual(try FormatSniffer.format(of: path), format, relative)
        }
    }

    func testTensorFileOpensWithTheSniffedFormatAndRefusesModels() throws {
        for (format, relative) in samples {
            let path = fixtures.appendingPathComponent(relative).path
            if format.isTensorContainer {
                XCTAssertEqual(try TensorFile.open(path).format, format, relative)
            } else {
                XCTAssertThrowsError(try TensorFile.open(path), relative) { error in
                    XCTAssertEqual((error as? TensorFileError)?.reason, .notTensorContainer(format), relative)
                }
            }
        }
    }

    func testTheBytesDecideNotTheName() throws {
        let folder = try FormatSamples.temporaryDirectory(self)
        let renamed = folder.appendingPathComponent("weights.npz")
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("onnx/rnn_tanh/model.onnx"), to: renamed)
        XCTAssertEqual(try FormatSniffer.format(of: renamed.path), .onnx)
    }

    /// Bytes of no format, and bytes that begin like one: each gets the
    /// error that names the file, never a format it is not.
    func testHostileAndUnknownBytes() throws {
        let folder = try FormatSamples.temporaryDirectory(self)
        func sniff(_ bytes: [UInt8], _ name: String) throws -> Result<FileFormat, TensorFileError> {
            let url = folder.appendingPathComponent(name)
            try Data(bytes).write(to: url)
            do {
                return .success(try FormatSniffer.format(of: url.path))
            } catch let error as TensorFileError {
                XCTAssertEqual(error.file, url.path, name)
                return .failure(error)
            }
        }
        let text = Array("not a model at all".utf8)
        XCTAssertEqual(try sniff(text, "text").failureReason, .unknownFormat(leadingBytes: Array(text.prefix(8))))
        XCTAssertEqual(try sniff([], "empty").failureReason, .empty)
        XCTAssertEqual(try sniff([0x93], "npy_magic_cut").failureReason, .unknownFormat(leadingBytes: [0x93]))
        // A zip signature without a central directory; the HDF5 signature without a superblock.
        XCTAssertNotNil(try sniff([0x50, 0x4B, 0x03, 0x04, 0, 0], "zip_cut").failureReason)
        XCTAssertNotNil(try sniff(FormatSniffer.hdf5Signature + [UInt8](repeating: 0xFF, count: 40), "hdf5_junk").failureReason)
        // safetensors: a header length beyond the file.
        XCTAssertEqual(try sniff([0xFF, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0x7D], "safetensors_long").failureReason,
                       .unknownFormat(leadingBytes: [0xFF, 0, 0, 0, 0, 0, 0, 0]))
        // Protobuf: ir_version and an empty graph is an ONNX model; without the graph, a graph of the
        // wrong wire type, a length past the end, a cut varint or a group are not.
        XCTAssertEqual(try sniff([0x08, 0x07, 0x3A, 0x00], "onnx_minimal").get(), .onnx)
        XCTAssertEqual(try sniff([0x08, 0x07, 0x3A, 0x00, 0xA2, 0x06, 0x01, 0x41], "onnx_unknown_field").get(), .onnx)
        for (name, bytes) in [("onnx_no_graph", [0x08, 0x07, 0x12, 0x01, 0x41]), ("onnx_graph_varint", [0x08, 0x07, 0x38, 0x01]),
                              ("onnx_past_end", [0x08, 0x07, 0x3A, 0x05, 0x00]), ("onnx_cut_varint", [0x08, 0x87]),
                              ("onnx_group", [0x08, 0x07, 0x3A, 0x00, 0x0B]), ("onnx_ir_as_bytes", [0x0A, 0x00, 0x3A, 0x00]),
                              ("varint_11_bytes", [0x08] + [UInt8](repeating: 0xFF, count: 10) + [0x01, 0x3A, 0x00])] as [(String, [UInt8])] {
            XCTAssertEqual(try sniff(bytes, name).failureReason, .unknownFormat(leadingBytes: Array(bytes.prefix(8))), name)
        }
        XCTAssertThrowsError(try FormatSniffer.format(of: folder.appendingPathComponent("absent").path)) { error in
            XCTAssertEqual((error as? TensorFileError)?.reason, .notFound)
        }
    }

    /// The project's damaged and hostile files: each is recognised or refused with a `TensorFileError`.
    func testDamagedAndHostileFilesAreRecognisedOrRefused() throws {
        var checked = 0
        for folder in ["formats/hostile", "formats/damaged", "torch_modules/hostile", "keras2/hostile"] {
            let url = fixtures.appendingPathComponent(folder)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? [] where !name.hasSuffix(".md") {
                do {
                    _ = try FormatSniffer.format(of: url.appendingPathComponent(name).path)
                } catch {
                    XCTAssertTrue(error is TensorFileError, "\(folder)/\(name): \(error)")
                }
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 20)
    }

    func testOutputSuffixesChooseTheFormat() throws {
        let cases: [(String, FileFormat)] = [
            ("model.onnx", .onnx), ("model.keras", .keras), ("model.weights.h5", .kerasWeights), ("M.WEIGHTS.H5", .kerasWeights),
            ("w.safetensors", .safetensors), ("w.npz", .npz), ("model.h5", .hdf5), ("w.HDF5", .hdf5),
            ("weights/", .npyDirectory), ("weights", .npyDirectory), ("out.d/weights", .npyDirectory),
        ]
        for (path, format) in cases {
            XCTAssertEqual(try FileFormat.forOutputPath(path), format, path)
        }
        for (path, suffix) in [("model.pt", "pt"), ("x.npy", "npy"), ("a.b/model.json", "json")] {
            XCTAssertThrowsError(try FileFormat.forOutputPath(path), path) { error in
                XCTAssertEqual(error as? TensorFileError, TensorFileError(file: path, .unknownSuffix(suffix)), path)
            }
        }
    }

    /// The raw values are the names `--json` prints; decoding gives the case back.
    func testRawValuesAreStableAndCodable() throws {
        XCTAssertEqual(FileFormat.allCases.map(\.rawValue), [
            "npy", "npy_directory", "npz", "hdf5", "safetensors", "pytorch", "pytorch_legacy", "torchscript",
            "pytorch_export", "sharded_checkpoint", "onnx", "keras", "keras_weights", "keras2_model", "keras2_weights",
        ])
        let data = try JSONEncoder().encode(FileFormat.allCases)
        XCTAssertEqual(try JSONDecoder().decode([FileFormat].self, from: data), FileFormat.allCases)
        XCTAssertEqual(Set(FileFormat.allCases.map(\.displayName)).count, FileFormat.allCases.count, "display names are distinct")
    }
}

private extension Result where Failure == TensorFileError {
    /// The error's reason, nil on success.
    var failureReason: TensorFileError.Reason? {
        if case .failure(let error) = self { return error.reason }
        return nil
    }
}
