import Foundation
import RNNEngine
import RNNLayouts
import TensorFiles
import XCTest
@testable import RNNConvert

/// Cells beyond PyTorch's (Fixtures/variants/): ONNX nodes built with
/// onnx.helper and Keras 3 models, read back with their options and run on
/// every execution path to the outputs onnxruntime and Keras computed;
/// converted to every target `variant.json` lists and run again, or refused.
final class VariantFixtureTests: XCTestCase {
    struct Sidecar: Decodable {
        var description: String
        var format: String
        var model: String
        var input: String
        var expected: String
        var batch_first: Bool
        var convert: [String: String]
        /// A Keras model masking its input: run through `rnnkit run` (VariantCommandTests), not `forward`.
        var masked: Bool?
    }

    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/variants")
    }

    /// Every fixture folder of `format` (`onnx`, `keras`) with its sidecar.
    static func fixtures(_ format: String) throws -> [(URL, Sidecar)] {
        let folder = root.appendingPathComponent(format)
        return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .sorted { $0.path < $1.path }
            .map { ($0, try JSONDecoder().decode(Sidecar.self, from: Data(contentsOf: $0.appendingPathComponent("variant.json")))) }
    }

    /// The one array stored in the `.npy` file at `path`.
    static func singleTensor(_ path: String) throws -> Tensor {
        let file = try TensorFile.open(path)
        XCTAssertEqual(file.tensors.count, 1, path)
        return try file.tensors[0].tensor.loaded()
    }

    static let paths: [ExecutionOptions] = [
        ExecutionOptions(threads: 1, kernels: .reference), ExecutionOptions(threads: 2, kernels: .reference),
        ExecutionOptions(threads: 1, kernels: .avx2), ExecutionOptions(threads: 2, kernels: .automatic),
        ExecutionOptions(threads: 1, kernels: .portable), ExecutionOptions(threads: 2, kernels: .portable),
    ]

    /// The module `path` holds, with the options its file records.
    static func module(_ path: String) throws -> (RNNModule, ModuleHints?) {
        let source = try ModelSource.open(path)
        let inspection = Inspector.inspect(source.tensors)
        XCTAssertEqual(inspection.modules.count, 1, path)
        let module = try XCTUnwrap(inspection.modules.first)
        return (source.recorded(module), source.hints[module.name])
    }

    /// The largest difference between `output` and the expected arrays.
    static func maxError(_ output: RNNOutput, expected: URL) throws -> Float {
        let file = try TensorFile.open(expected.path)
        var worst: Float = 0
        for named in file.tensors {
            let got: Tensor? = switch named.name {
            case "output": output.output
            case "h_n": output.hN
            case "c_n": output.cN
            default: nil
            }
            let result = try XCTUnwrap(got, "\(expected.path): \(named.name)")
            XCTAssertEqual(result.shape, named.tensor.shape, "\(expected.path): \(named.name)")
            let want = try named.tensor.floats(), have = try result.floats()
            guard want.count == have.count else { return .infinity }
            worst = max(worst, zip(want, have).map { abs($0 - $1) }.max() ?? 0)
        }
        return worst
    }

    func runEverywhere(_ format: String) throws {
        let fixtures = try Self.fixtures(format)
        XCTAssertGreaterThanOrEqual(fixtures.count, 8)
        for (folder, sidecar) in fixtures where sidecar.masked != true {
            let (module, hints) = try Self.module(folder.appendingPathComponent(sidecar.model).path)
            XCTAssertFalse(module.architecture.variant.isPyTorch, "\(folder.lastPathComponent): read as PyTorch's cell")
            XCTAssertFalse(module.architecture.variantDifferences.isEmpty, folder.lastPathComponent)
            let input = try Self.singleTensor(folder.appendingPathComponent(sidecar.input).path)
            let expected = folder.appendingPathComponent(sidecar.expected)
            let nonlinearity = hints?.nonlinearity ?? .tanh
            for options in Self.paths {
                let network = try RNNNetwork(module: module, nonlinearity: nonlinearity)
                let output = try network.forward(input: input, lengths: hints?.lengths, batchFirst: sidecar.batch_first, options: options)
                let error = try Self.maxError(output, expected: expected)
                XCTAssertLessThan(error, 2e-5, "\(folder.lastPathComponent) on \(options)")
            }
            let network64 = try RNNNetwork(module: module, nonlinearity: nonlinearity, computeType: .float64)
            let output64 = try network64.forward(input: try input.converted(to: .float64), lengths: hints?.lengths, batchFirst: sidecar.batch_first)
            XCTAssertLessThan(try Self.maxError(output64, expected: expected), 2e-5, "\(folder.lastPathComponent) in float64")
        }
    }

    func testKerasVariantsRunToKerasOnEveryPath() throws {
        try runEverywhere("keras")
    }

    /// `convert` to every target the sidecar names: written and read back to
    /// the same numbers, or refused naming the variant (exit 2, nothing written).
    func checkConversions(_ format: String) throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("variant-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        for (folder, sidecar) in try Self.fixtures(format) {
            let input = try Self.singleTensor(folder.appendingPathComponent(sidecar.input).path)
            let (original, hints) = try Self.module(folder.appendingPathComponent(sidecar.model).path)
            for (target, outcome) in sidecar.convert.sorted(by: { $0.key < $1.key }) {
                let output = work.appendingPathComponent("\(folder.lastPathComponent).\(target == "pytorch" ? "safetensors" : target)")
                let request = ConversionRequest(input: folder.appendingPathComponent(sidecar.model).path, output: output.path)
                let label = "\(folder.lastPathComponent) → \(target)"
                if outcome == "ok" {
                    XCTAssertNoThrow(try Converter.convert(request), label)
                    let (back, backHints) = try Self.module(output.path)
                    XCTAssertEqual(back.architecture.variant, original.architecture.variant, label)
                    // ONNX graphs are time-major; Keras models batch-major.
                    let batchFirst = target == "keras"
                    let feed = batchFirst == sidecar.batch_first ? input : try Self.swapBatchAndTime(input)
                    let result = try RNNNetwork(module: back, nonlinearity: backHints?.nonlinearity ?? hints?.nonlinearity ?? .tanh)
                        .forward(input: feed, batchFirst: batchFirst)
                    let reference = try RNNNetwork(module: original, nonlinearity: hints?.nonlinearity ?? .tanh)
                        .forward(input: input, batchFirst: sidecar.batch_first)
                    let want = try (batchFirst == sidecar.batch_first ? reference.output : Self.swapBatchAndTime(reference.output)).floats()
                    let have = try result.output.floats()
                    XCTAssertEqual(want.count, have.count, label)
                    XCTAssertLessThan(zip(want, have).map { abs($0 - $1) }.max() ?? 1, 1e-5, label)
                } else {
                    XCTAssertThrowsError(try Converter.convert(request), label) { error in
                        Self.checkRefusal(error, outcome: outcome, target: target == "pytorch" ? .safetensors : FileFormat(rawValue: target),
                                          original: original, label: label)
                    }
                    XCTAssertFalse(FileManager.default.fileExists(atPath: output.path), label)
                }
            }
        }
    }

    /// A refusal is the case the sidecar's outcome names, carrying the
    /// original module's variant or the first limitation of its architecture
    /// in `target`: `refused` (PyTorch names refuse the cell), `mask`,
    /// `sequence lengths` (stored for a Keras target), `cannot write Keras`,
    /// `merge` and `go_backwards` (what ONNX cannot hold).
    static func checkRefusal(_ error: Error, outcome: String, target: FileFormat?, original: RNNModule, label: String) {
        let architecture = original.architecture
        var conversion = error as? ConversionError
        if case .inFile(_, let inner)? = conversion { conversion = inner }  // named with the input by Converter
        switch (outcome, conversion) {
        case ("refused", .cellNotPyTorch(_, let module, let refused, let written, _)?):
            XCTAssertEqual(module, original.path, label)
            XCTAssertEqual(refused.variant, architecture.variant, label)
            XCTAssertEqual(written, target, label)
        case ("mask", .maskNotRecorded(_, let module, _, let written)?):
            XCTAssertEqual(module, original.path, label)
            XCTAssertEqual(written, target, label)
        case ("sequence lengths", .storedInputsForKeras(_, _, let module, _, let lengths)?):
            XCTAssertEqual(module, original.path, label)
            XCTAssertTrue(lengths, label)
        case ("cannot write Keras", .targetCannotHold(let module, .keras, let limitation)?),
             ("merge", .targetCannotHold(let module, .onnx, let limitation)?),
             ("go_backwards", .targetCannotHold(let module, .onnx, let limitation)?):
            XCTAssertEqual(module, original.path, label)
            XCTAssertEqual(limitation, target.flatMap { architecture.limitations(in: $0).first }, label)
            switch (outcome, limitation) {
            case ("merge", .directionMerge(let merge)): XCTAssertEqual(merge, architecture.variant.merge, label)
            case ("go_backwards", .goBackwards), ("cannot write Keras", _): break
            default: XCTFail("\(label): \(limitation)")
            }
        default:
            XCTFail("\(label): expected \(outcome), got \(error)")
        }
    }

    func testKerasVariantsConvertOrAreRefused() throws {
        try checkConversions("keras")
    }

    func testONNXVariantsRunToOnnxruntimeOnEveryPath() throws {
        try runEverywhere("onnx")
    }

    func testONNXVariantsConvertOrAreRefused() throws {
        try checkConversions("onnx")
    }

    /// (A, B, F) → (B, A, F).
    static func swapBatchAndTime(_ tensor: Tensor) throws -> Tensor {
        let shape = tensor.shape
        let values = try tensor.floats()
        var swapped = [Float](repeating: 0, count: values.count)
        for a in 0 ..< shape[0] {
            for b in 0 ..< shape[1] {
                for f in 0 ..< shape[2] {
                    swapped[(b * shape[0] + a) * shape[2] + f] = values[(a * shape[1] + b) * shape[2] + f]
                }
            }
        }
        return Tensor(shape: [shape[1], shape[0], shape[2]], floats: swapped)
    }
}
