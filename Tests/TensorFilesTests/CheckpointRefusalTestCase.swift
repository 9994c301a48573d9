import Foundation
import XCTest
import Pickle
import ZIPFoundation
@testable import TensorFiles

/// What the checkpoint refusal tests share: a 6-float weight, files written
/// as a zip and a legacy checkpoint, and the check that opening one fails
/// with a `TensorFileError` naming the file and the reason.
class CheckpointRefusalTestCase: XCTestCase {
    typealias Builder = TorchCheckpointBuilder

    let weightSpec = TorchTensorSpec(name: "w", storageCount: 6, shape: [2, 3], strides: [3, 1])
    let weightBytes = Builder.floats([1, 2, 3, 4, 5, 6])

    /// Writes `pickle` as a zip and a legacy checkpoint, with one 6-float storage "0".
    func files(_ name: String, zipPickle: [UInt8], legacyPickle: [UInt8]? = nil) throws -> [String] {
        let zip = Builder.temporaryURL("\(name).pt")
        try Builder.writeZip(to: zip, pickle: zipPickle, storages: ["0": weightBytes])
        let legacy = Builder.temporaryURL("\(name)_legacy.pt")
        try Builder.legacy(pickle: legacyPickle ?? zipPickle, storages: [("0", weightBytes, 4)]).write(to: legacy)
        return [zip.path, legacy.path]
    }

    /// Asserts that opening `path` fails with a `TensorFileError` naming the
    /// file (and `tensor`, when given) whose reason `matches` accepts.
    func assertRefused(_ path: String, tensor: String? = nil, file: StaticString = #filePath, line: UInt = #line,
                       _ matches: (TensorFileError.Reason) -> Bool) {
        do {
            let contents = try TensorFile.open(path)
            for named in contents.tensors { _ = try named.tensor.data() }
            XCTFail("\(path) was accepted", file: file, line: line)
        } catch let error as TensorFileError {
            XCTAssertEqual(error.file, path, file: file, line: line)
            if let tensor { XCTAssertEqual(error.tensor, tensor, "\(error)", file: file, line: line) }
            XCTAssertTrue(matches(error.reason), "unexpected reason: \(error)", file: file, line: line)
        } catch {
            XCTFail("\(path): not a TensorFileError: \(error)", file: file, line: line)
        }
    }

    /// Whether `reason` is the pickle reader refusing `global` (as a global, or a call when `call`).
    func refused(_ reason: TensorFileError.Reason, _ global: String, call: Bool = false) -> Bool {
        guard case .unpickling(let error, _) = reason else { return false }
        switch error.reason {
        case .refusedGlobal(let refused): return !call && refused.description == global
        case .refusedCall(let refused): return call && refused.description == global
        default: return false
        }
    }
}
