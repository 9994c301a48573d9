import Foundation
import RNNLayouts
import TensorFiles
import XCTest
@testable import RNNConvert

/// `Converter` into PyTorch-named containers, on the committed fixtures.
final class ContainerConversionTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = try ModuleFactory.temporaryFolder()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")

    private func fixture(_ name: String) throws -> String {
        let data = try Data(contentsOf: Self.fixtures.appendingPathComponent(name).appendingPathComponent("fixture.json"))
        let spec = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return Self.fixtures.appendingPathComponent(name).appendingPathComponent(try XCTUnwrap(spec["weights"] as? String)).path
    }

    private func out(_ name: String) -> String { folder.appendingPathComponent(name).path }

    private func assertSameTensors(_ expected: [NamedTensor], _ path: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let actual = try TensorFile.open(path).tensors
        XCTAssertEqual(Set(actual.map(\.name)), Set(expected.map(\.name)), path, file: file, line: line)
        for want in expected {
            guard let got = actual.first(where: { $0.name == want.name }) else { continue }
            XCTAssertEqual(got.tensor.dtype, want.tensor.dtype, want.name, file: file, line: line)
            XCTAssertEqual(got.tensor.shape, want.tensor.shape, want.name, file: file, line: line)
            XCTAssertEqual(try got.tensor.data(), try want.tensor.data(), "\(path): \(want.name)", file: file, line: line)
        }
    }

    func testEveryContainerToEveryContainerIsBitExact() throws {
        for name in ["lstm_2l_bi", "gru_2l", "gru_2l_h0", "rnn_tanh_f16", "lstm_2l_bi_f64"] {
            let input = try fixture(name)
            let original = try TensorFile.open(input).tensors
            for target in ["\(name).safetensors", "\(name).npz", "\(name).h5", "\(name)_npy"] {
                _ = try Converter.convert(ConversionRequest(input: input, output: out(target)))
                try assertSameTensors(original, out(target))
            }
        }
    }

    func testModuleAndDtypeOptions() throws {
        let input = try fixture("multi_seq2seq_encoder")
        let original = try TensorFile.open(input).tensors
        let modules = Inspector.inspect(original).modules.map(\.name)
        XCTAssertGreaterThan(modules.count, 1)
        let chosen = modules[0]
        let result = try Converter.convert(ConversionRequest(input: input, output: out("one.safetensors"), module: chosen, dtype: .float16))
        XCTAssertEqual(result.target, .safetensors)
        XCTAssertEqual(result.dtypes, [.float16])
        XCTAssertEqual(result.modules, [ModulePath(chosen)])
        XCTAssertGreaterThan(result.bytes, 0)
        let expected = try original.filter { ParameterName.split($0.name)?.module == chosen }
            .map { NamedTensor(name: $0.name, tensor: try $0.tensor.converted(to: .float16)) }
        XCTAssertFalse(expected.isEmpty)
        try assertSameTensors(expected, out("one.safetensors"))
    }

    func testBFloat16OnlyWhereItFits() throws {
        let input = try fixture("lstm_bf16")
        XCTAssertThrowsError(try Converter.convert(ConversionRequest(input: input, output: out("x.npz")))) { error in
            guard case .dtypeNotWritable(out("x.npz"), .npz, .bfloat16, _?, let choices)? = error as? ConversionError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(choices, [.float32, .float16])
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [], "nothing written")
        _ = try Converter.convert(ConversionRequest(input: input, output: out("x.safetensors")))
        try assertSameTensors(try TensorFile.open(input).tensors, out("x.safetensors"))
        _ = try Converter.convert(ConversionRequest(input: input, output: out("x.npz"), dtype: .float32))
        try assertSameTensors(try TensorFile.open(input).tensors.map { NamedTensor(name: $0.name, tensor: try $0.tensor.converted(to: .float32)) }, out("x.npz"))
    }

    /// PyTorch names → ONNX → safetensors → ONNX: the two ONNX files are the same bytes.
    func testONNXAndContainersRoundTrip() throws {
        let input = try fixture("lstm_2l_bi")
        _ = try Converter.convert(ConversionRequest(input: input, output: out("a.onnx")))
        _ = try Converter.convert(ConversionRequest(input: out("a.onnx"), output: out("a.safetensors")))
        try assertSameTensors(try TensorFile.open(input).tensors.filter { ParameterName.split($0.name) != nil }, out("a.safetensors"))
        _ = try Converter.convert(ConversionRequest(input: out("a.safetensors"), output: out("b.onnx")))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out("a.onnx"))), try Data(contentsOf: URL(fileURLWithPath: out("b.onnx"))))
    }

    func testRunOptionsAreRefusedForContainers() throws {
        let input = try fixture("gru_2l")
        XCTAssertThrowsError(try Converter.convert(ConversionRequest(input: input, output: out("x.npz"), batchFirst: true))) { error in
            XCTAssertEqual(error as? ConversionError, .batchFirstNotRecorded(file: input, target: .npz))
        }
    }
}
