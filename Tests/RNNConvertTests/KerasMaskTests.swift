import Foundation
import RNNLayouts
import TensorFiles
import XCTest
@testable import RNNConvert

/// What `ModelSource` reads of the masks in Keras-saved models
/// (Fixtures/keras/*/mask.json), the list of Keras config keys, and the
/// converter's refusals of what a target cannot record.
final class KerasMaskTests: XCTestCase {
    private func model(_ name: String) -> String { KerasFixtureTests.root.appendingPathComponent("\(name)/model.keras").path }

    func testMasksAreReadFromTheModelsKerasSaved() throws {
        XCTAssertEqual(try ModelSource.open(model("masking_lstm")).hints[""]?.inputMask,
                       InputMask(source: .maskValue(0), layer: "Masking layer 'masking'", zeroOutput: false))
        // Bidirectional sets zero_output_for_mask to its return_sequences.
        let bidirectional = try XCTUnwrap(ModelSource.open(model("masking_bidirectional_gru")).hints[""]?.inputMask)
        XCTAssertEqual(bidirectional.source, .maskValue(-1))
        XCTAssertTrue(bidirectional.zeroOutput)
        XCTAssertEqual(try ModelSource.open(model("embedding_mask_zero_lstm")).hints[""]?.inputMask?.source, .lengths)
        let conv = try XCTUnwrap(ModelSource.open(model("conv1d_lstm")).hints[""]?.inputMask)
        guard case .refused(.unknownLayer(className: "Conv1D", layer: "conv1d", let known)) = conv.source else { return XCTFail("\(conv)") }
        XCTAssertEqual(known, KerasConfigKeys.upstreamLayers.keys.sorted())
        XCTAssertTrue(conv.cause.hasPrefix("the Conv1D layer 'conv1d' lies between the model's input and this module"), conv.cause)
        XCTAssertNil(try ModelSource.open(model("two_modules_by_input_size")).hints.values.first { $0.inputMask != nil })
        // Models without Masking (the older fixtures) carry no mask.
        XCTAssertNil(try ModelSource.open(model("stacked_lstm")).hints[""]?.inputMask)
    }

    func testTheKeyListRefusesUnknownKeysAndNonDefaultValues() throws {
        XCTAssertNil(KerasConfigKeys.unacceptedKey("LSTM", ["units": 4, "stateful": false, "kernel_regularizer": NSNull()]))
        XCTAssertEqual(KerasConfigKeys.unacceptedKey("LSTM", ["stateful": true]), .unsupportedValue(key: "stateful", value: "true", supported: "false"))
        XCTAssertEqual(KerasConfigKeys.unacceptedKey("GRU", ["time_warp": 2]), .unknownConfigKey(key: "time_warp", className: "GRU"))
        XCTAssertNil(KerasConfigKeys.unacceptedKey("Dense", ["anything": 1]), "only recurrent layers' keys are listed")
        XCTAssertEqual(KerasConfigKeys.recurrentLayers["LSTM"]?["stateful"], .mustBe("false"))
        XCTAssertEqual(KerasConfigKeys.upstreamLayers["Masking"], .masking)
        // What `rnnkit keras-keys` prints and check_keras.py reads: each role as its text.
        let encoded = try JSONEncoder().encode(["stateful": KerasConfigKeys.Role.mustBe("false"), "units": .read, "dropout": .noEffect])
        XCTAssertEqual(try JSONDecoder().decode([String: String].self, from: encoded),
                       ["stateful": "must-be false", "units": "read", "dropout": "no-effect"])
    }

    func testConversionRefusesAMaskUnlessDropped() throws {
        let folder = try ModuleFactory.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("w.npz").path
        var request = ConversionRequest(input: model("masking_lstm"), output: output)
        XCTAssertThrowsError(try Converter.convert(request)) { error in
            guard case .maskNotRecorded(let file, .root, let mask, .npz)? = error as? ConversionError else { return XCTFail("\(error)") }
            XCTAssertTrue(file.hasSuffix("masking_lstm/model.keras"), file)
            XCTAssertEqual(mask.layer, "Masking layer 'masking'")
            XCTAssertEqual(mask.source, .maskValue(0))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: output))
        request.dropMask = true
        let notes = try Converter.convert(request).notes
        XCTAssertTrue(notes.contains { if case .maskDropped(module: .root, _) = $0 { return true } else { return false } }, "\(notes)")
        XCTAssertEqual(try TensorFile.open(output).tensors.count, 8)
    }
}
