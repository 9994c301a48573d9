import Foundation
import RNNLayouts
import TensorFiles
import XCTest
@testable import RNNConvert

/// PyTorch names → `.keras` / `.weights.h5` → PyTorch names: the same bytes
/// for every weight; LSTM and SimpleRNN biases come back merged
/// (`bias_ih` = `bias_ih + bias_hh`, `bias_hh` = 0).
final class KerasRoundTripTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = try ModuleFactory.temporaryFolder()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// Writes `module` as `file` (`.keras` or `.weights.h5`) and reads it back.
    private func roundTrip(_ module: RNNModule, _ file: String, _ options: KerasExportOptions = KerasExportOptions()) throws -> ModelSource {
        let target = path(file)
        if file.hasSuffix(".keras") {
            try KerasExporter.writeModel(module, options: options, to: target)
        } else {
            try KerasExporter.writeWeights(module, options: options, to: target)
        }
        return try ModelSource.open(target)
    }

    /// Every tensor of `module` against what came back: weights bit for bit,
    /// merged biases as their float sum, GRU biases bit for bit.
    private func assertSurvives(_ module: RNNModule, _ back: ModelSource, as name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let mode = module.architecture.mode
        let got = Dictionary(back.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        XCTAssertEqual(Set(got.keys), Set(module.parameters.keys.map { name.isEmpty ? $0.text : "\(name).\($0.text)" }), file: file, line: line)
        for (parameter, tensor) in module.parameters {
            let full = name.isEmpty ? parameter.text : "\(name).\(parameter.text)"
            let returned = try XCTUnwrap(got[full], full, file: file, line: line)
            XCTAssertEqual(returned.shape, tensor.shape, full, file: file, line: line)
            XCTAssertEqual(returned.dtype, tensor.dtype, full, file: file, line: line)
            switch (parameter.role, mode) {
            case (.biasIH, .lstm), (.biasIH, .rnn):
                let partner = try XCTUnwrap(module.tensor(ParameterName(.biasHH, layer: parameter.layer, reverse: parameter.reverse)))
                let sum = zip(try tensor.floats(), try partner.floats()).map { $0 + $1 }
                XCTAssertEqual(try returned.floats(), sum, "\(full) = bias_ih + bias_hh", file: file, line: line)
            case (.biasHH, .lstm), (.biasHH, .rnn):
                XCTAssertEqual(try returned.data(), Data(count: tensor.byteCount), "\(full) comes back as zeros", file: file, line: line)
            default:
                XCTAssertEqual(try returned.data(), try tensor.data(), "\(full) bytes", file: file, line: line)
            }
        }
    }

    func testEveryLayerArchitectureRoundTripsThroughBothFiles() throws {
        for mode in RNNMode.allCases {
            for (layers, bidirectional, bias) in [(1, false, true), (2, true, true), (3, false, false), (2, true, false)] {
                let architecture = RNNArchitecture(mode: mode, inputSize: 5, hiddenSize: 4, numLayers: layers,
                                                   bidirectional: bidirectional, bias: bias)
                let module = ModuleFactory.module(architecture, name: "")
                for file in ["m.keras", "m.weights.h5"] {
                    let back = try roundTrip(module, file, KerasExportOptions(nonlinearity: mode == .rnn ? .relu : .tanh))
                    XCTAssertEqual(back.format, file == "m.keras" ? .keras : .kerasWeights)
                    try assertSurvives(module, back, as: "")
                    XCTAssertEqual(Inspector.inspect(back.tensors).modules.first?.architecture, architecture, "\(architecture) \(file)")
                    try FileManager.default.removeItem(atPath: path(file))
                }
            }
        }
    }

    /// Reading back what it read, rnnkit gives the same bytes again: after one
    /// trip every bias_hh is zero, so nothing is merged any more.
    func testSecondRoundTripIsBitExact() throws {
        let module = ModuleFactory.module(RNNArchitecture(mode: .lstm, inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true), name: "")
        let once = try Inspector.inspect(roundTrip(module, "once.keras").tensors).selectModule(named: nil)
        let twice = try roundTrip(once, "twice.keras")
        for named in twice.tensors {
            let parameter = try XCTUnwrap(ParameterName.split(named.name)?.parameter)
            XCTAssertEqual(try named.tensor.data(), try once.tensor(parameter)?.data(), named.name)
        }
    }

    func testModuleNameKindAndActivationComeBackFromTheArchive() throws {
        let module = ModuleFactory.module(RNNArchitecture(mode: .rnn, inputSize: 3, hiddenSize: 2, numLayers: 2), name: "encoder.rnn")
        let back = try roundTrip(module, "named.keras", KerasExportOptions(nonlinearity: .relu))
        try assertSurvives(module, back, as: "encoder.rnn")
        XCTAssertEqual(back.hints["encoder.rnn"]?.nonlinearity, .relu)
        XCTAssertEqual(back.hints["encoder.rnn"]?.batchFirst, true)

        let cell = ModuleFactory.module(RNNArchitecture(mode: .gru, kind: .cell, inputSize: 3, hiddenSize: 5), name: "decoder.cell")
        let cellBack = try roundTrip(cell, "cell.keras")
        try assertSurvives(cell, cellBack, as: "decoder.cell")
        XCTAssertEqual(Inspector.inspect(cellBack.tensors).modules.first?.architecture.kind, .cell)

        // A weights file records neither: the module is the root, a cell a one-layer GRU.
        let weights = try roundTrip(cell, "cell.weights.h5")
        XCTAssertEqual(weights.tensors.first?.name, "weight_ih_l0")
        XCTAssertNil(weights.hints[""]?.nonlinearity)
    }

    func testDtypes() throws {
        // float64 stays float64; float16 and bfloat16 widen to float32 exactly; --dtype float16 narrows.
        let double = ModuleFactory.module(RNNArchitecture(mode: .gru, inputSize: 3, hiddenSize: 2, dtype: .float64), name: "")
        try assertSurvives(double, try roundTrip(double, "f64.keras"), as: "")
        for dtype in [DType.float16, .bfloat16] {
            let narrow = ModuleFactory.module(RNNArchitecture(mode: .gru, inputSize: 3, hiddenSize: 2, dtype: dtype), name: "")
            let back = try roundTrip(narrow, "\(dtype.rawValue).keras")
            for named in back.tensors {
                let parameter = try XCTUnwrap(ParameterName.split(named.name)?.parameter)
                XCTAssertEqual(named.tensor.dtype, .float32)
                XCTAssertEqual(try named.tensor.data(), try narrow.tensor(parameter)?.converted(to: .float32).data(), named.name)
            }
        }
        let single = ModuleFactory.module(RNNArchitecture(mode: .gru, inputSize: 3, hiddenSize: 2), name: "")
        let half = try roundTrip(single, "half.keras", KerasExportOptions(dtype: .float16))
        XCTAssertTrue(half.tensors.allSatisfy { $0.tensor.dtype == .float16 })
        // float16 weights, float32 policy: Keras widens them on loading and computes in float32,
        // so the module reads back with nothing computed below float32.
        XCTAssertTrue(half.hints.values.allSatisfy { $0.reducedPrecision == nil }, "\(half.hints)")
        let archive = try ZipArchive(path: path("half.keras"))
        let config = String(decoding: try archive.contents(of: try XCTUnwrap(archive.member("config.json"))), as: UTF8.self)
        XCTAssertFalse(config.contains("float16"), config)
        XCTAssertTrue(config.contains("\"name\":\"float32\""), config)
    }

    func testRefusalsLeaveNoFile() throws {
        let projected = ModuleFactory.module(RNNArchitecture(mode: .lstm, inputSize: 3, hiddenSize: 4, projSize: 2))
        for file in ["p.keras", "p.weights.h5"] {
            XCTAssertThrowsError(try roundTrip(projected, file)) { error in
                guard case .targetCannotHold(_, let target, .projection(projSize: 2))? = error as? ConversionError else {
                    return XCTFail("\(error)")
                }
                XCTAssertEqual(target, file.hasSuffix(".keras") ? .keras : .kerasWeights)
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: path(file)))
        }
        let gru = ModuleFactory.module(RNNArchitecture(mode: .gru, inputSize: 3, hiddenSize: 2))
        XCTAssertThrowsError(try roundTrip(gru, "relu.keras", KerasExportOptions(nonlinearity: .relu))) { error in
            XCTAssertEqual((error as? ModuleValidationError)?.problems, [.nonlinearityNotApplicable(.relu, mode: .gru)], "\(error)")
        }
        XCTAssertThrowsError(try roundTrip(gru, "bf16.keras", KerasExportOptions(dtype: .bfloat16))) { error in
            XCTAssertEqual(error as? ConversionError,
                           .dtypeNotWritable(file: nil, target: .keras, dtype: .bfloat16, tensor: nil, choices: [.float32, .float16, .float64]))
        }
        var incomplete = gru
        incomplete.parameters[ParameterName(.weightHH, layer: 0)] = nil
        XCTAssertThrowsError(try roundTrip(incomplete, "missing.keras")) { error in
            guard case .missingTensor("encoder.rnn.weight_hh_l0", [6, 2], _, _)? = (error as? ModuleValidationError)?.problems.first else {
                return XCTFail("\(error)")
            }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [], "no file, no temporary left")
    }
}
