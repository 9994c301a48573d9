import Foundation
@testable import RNNConvert
import RNNLayouts
import TensorFiles
import XCTest

/// `ModelSource.open` reads every format through the one sniffer: the
/// format it reports is the sniffer's, and a file the sniffer takes for ONNX
/// is refused by the ONNX reader when it is no model rnnkit reads, not as an
/// unknown format.
final class ModelSourceFormatTests: XCTestCase {
    private static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")

    func testEveryFormatOpensAsTheSnifferSaysWithItsModules() throws {
        let samples: [(FileFormat, String, modules: Int)] = [
            (.npyDirectory, "gru_3l/weights", 1), (.npz, "gru_1l/weights.npz", 1), (.hdf5, "gru_2l/weights.h5", 1),
            (.safetensors, "onnx/rnn_tanh/pytorch.safetensors", 1), (.pytorch, "lstm_2l_pt_zip/weights.pt", 1),
            (.pytorchLegacy, "gru_bi_pt_legacy/weights_legacy.pt", 1), (.torchScript, "torch_modules/script_extra_files/model.pt", 1),
            (.onnx, "onnx/rnn_tanh/model.onnx", 1), (.keras, "keras/gru/model.keras", 1), (.kerasWeights, "keras/gru/model.weights.h5", 1),
            (.keras2Model, "keras2/gru/model.h5", 1), (.keras2Weights, "keras2/gru/weights.h5", 1),
        ]
        for (format, relative, modules) in samples {
            let path = Self.fixtures.appendingPathComponent(relative).path
            guard FileManager.default.fileExists(atPath: path) else {
                XCTFail("\(relative) missing")
                continue
            }
            XCTAssertEqual(try FormatSniffer.format(of: path), format, relative)
            let source = try ModelSource.open(path)
            XCTAssertEqual(source.format, format, relative)
            XCTAssertEqual(Inspector.inspect(source.tensors).modules.count, modules, relative)
        }
    }

    func testProtobufThatIsNoONNXModelIsRefusedAsONNX() throws {
        let folder = try ModuleFactory.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        func assertRefused(_ bytes: [UInt8], _ name: String, _ matches: (ModelFileProblem) -> Bool) throws {
            let url = folder.appendingPathComponent(name)
            try Data(bytes).write(to: url)
            XCTAssertEqual(try FormatSniffer.format(of: url.path), .onnx, name)
            XCTAssertThrowsError(try ModelSource.open(url.path), name) { error in
                guard case .modelFile(url.path, nil, let problem)? = error as? ConversionError, matches(problem) else {
                    return XCTFail("\(name): \(error)")
                }
            }
        }
        // ir_version 7 and a graph whose two bytes are a cut varint: does not decode.
        try assertRefused([0x08, 0x07, 0x3A, 0x02, 0xFF, 0xFF], "broken.bin") {
            if case .onnxUndecodable = $0 { true } else { false }
        }
        // ir_version 7 and an empty graph: an ONNX model without a recurrent operator.
        try assertRefused([0x08, 0x07, 0x3A, 0x00], "empty.bin") { $0 == .noRecurrentOperator(operators: []) }
    }
}
