import Foundation
import RNNKit
import XCTest

/// `import RNNKit` alone is enough to take an error apart: every type a case
/// carries is re-exported, so this file (which imports nothing else of
/// rnnkit) names them, matches them and switches over them. A payload type
/// left out of `Exports.swift` fails to compile here.
final class ErrorPayloadTests: XCTestCase {
    /// What a caller does with a refused output: an exhaustive switch over
    /// `OverwriteRefusal` (a case added to it must be handled here too).
    private func advice(_ refusal: OverwriteRefusal) -> String {
        switch refusal {
        case .isInput, .holdsInput: return "choose another output"
        case .symbolicLink(let destination): return "name \(destination ?? "the file") itself"
        case .fileWhereFolderGoes, .folderWhereFileGoes, .folderHoldsOther, .folderUnlistable: return "remove what is there"
        case .notRegular(let kind):
            let _: FileKind = kind
            return "not a file"
        }
    }

    /// The model's own file and a symbolic link are refused, with the reason as data.
    func testOverwriteRefusalsAreSwitchedOver() throws {
        let folder = try Fixtures.temporaryFolder(self)
        let source = folder.appendingPathComponent("lstm.npz")
        try FileManager.default.copyItem(at: Fixtures.url("lstm_2l/weights.npz"), to: source)
        let model = try RNNModel(contentsOf: source)
        XCTAssertThrowsError(try model.write(to: source, overwrite: true)) { error in
            guard case .refusedOverwrite(let refusal)? = (error as? TensorFileError)?.reason else { return XCTFail("\(error)") }
            XCTAssertEqual(refusal, .isInput)
            XCTAssertEqual(self.advice(refusal), "choose another output")
        }
        let link = folder.appendingPathComponent("link.onnx")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "elsewhere.onnx")
        XCTAssertThrowsError(try model.write(to: link, overwrite: true)) { error in
            guard case .refusedOverwrite(let refusal)? = (error as? TensorFileError)?.reason else { return XCTFail("\(error)") }
            XCTAssertEqual(refusal, .symbolicLink(to: "elsewhere.onnx"))
            XCTAssertEqual(self.advice(refusal), "name elsewhere.onnx itself")
        }
    }

    /// A write into a folder that does not exist: `OutputProblem` says so.
    func testAnUnwritableOutputCarriesItsStep() throws {
        let model = try RNNModel(contentsOf: Fixtures.url("lstm_2l/weights.npz"))
        let url = try Fixtures.temporaryFolder(self).appendingPathComponent("missing/lstm.npz")
        XCTAssertThrowsError(try model.write(to: url)) { error in
            guard case .unwritable(let problem)? = (error as? TensorFileError)?.reason else { return XCTFail("\(error)") }
            let expected: OutputProblem = .noFolder(url.deletingLastPathComponent().path)
            XCTAssertEqual(problem, expected)
        }
    }

    /// Damaged inputs: an NPY header that is no dict, an HDF5 file libhdf5
    /// cannot open; each reason's payload is matched by its type.
    func testReadingProblemsCarryTheirDetails() throws {
        let folder = try Fixtures.temporaryFolder(self)
        let npy = folder.appendingPathComponent("bad.npy")
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let header = Array("[not a dict]".utf8) + [UInt8](repeating: 0x20, count: 3) + [0x0A]
        bytes += [UInt8(header.count), 0] + header
        try Data(bytes).write(to: npy)
        XCTAssertThrowsError(try Tensor(contentsOf: npy)) { error in
            guard case .npyHeader(let problem)? = (error as? TensorFileError)?.reason else { return XCTFail("\(error)") }
            guard case .dict(let dictProblem, _) = problem as NPYHeaderProblem else { return XCTFail("\(problem)") }
            XCTAssertEqual(dictProblem, .expectedOpeningBrace)
        }

        let hdf5 = folder.appendingPathComponent("bad.h5")
        try Data([0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A] + [UInt8](repeating: 0xFF, count: 600)).write(to: hdf5)
        XCTAssertThrowsError(try RNNModel(contentsOf: hdf5)) { error in
            guard case .hdf5(let problem)? = (error as? TensorFileError)?.reason else { return XCTFail("\(error)") }
            guard case .library(let failure, _) = problem as HDF5Problem else { return XCTFail("\(problem)") }
            let _: HDF5LibraryFailure = failure
            XCTAssertTrue("\(error)".hasPrefix(hdf5.path), "\(error)")
        }
    }

    /// A conversion refusal names its module by `ModulePath`.
    func testConversionErrorsNameModulesByPath() {
        let error = ConversionError.missingPeepholes(module: ModulePath("encoder"), layer: 1)
        guard case .missingPeepholes(let module, _) = error else { return XCTFail("\(error)") }
        XCTAssertEqual(module, ModulePath(parsing: "encoder"))
        XCTAssertEqual(error.description, "encoder: the peephole weights of layer 1 are missing")
        let root = ConversionError.lengthsDiffer(file: "m.onnx", module: .root)
        XCTAssertEqual(root.description, "m.onnx: the root module: its layers read different sequence_lens (or only some read one); "
            + "PyTorch's packed sequences give every layer the same lengths")
    }
}
