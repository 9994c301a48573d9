import Foundation
import ONNXProto
import RNNLayouts
import TensorFiles
import XCTest
@testable import RNNConvert

/// Which ONNX recurrent nodes stack into one PyTorch module: only when the
/// nodes between them hand the second PyTorch's next-layer input, every value unchanged.
final class ONNXStackingTests: XCTestCase {
    /// Two RNN nodes `/rnn/RNN` → (`between`) → `/rnn/RNN_1` (hidden 2, `directions`), the
    /// second reading `X2` (and `extra` inputs after B); `between` turns `Y1` into `X2`.
    private func twoLayers(directions: Int = 1, extra: [String] = [],
                           between: (inout ONNXGraphBuilder) throws -> Void) throws -> Onnx_ModelProto {
        var builder = ONNXGraphBuilder(name: "g")
        builder.input("x", .float32, [.free, .free, .fixed(3)], doc: "")
        let direction = [ONNXGraphBuilder.attribute("direction", string: directions == 2 ? "bidirectional" : "forward")]
        func weights(_ name: String, _ shape: [Int]) throws {
            let count = shape.reduce(1, *)
            try builder.initializer(name, Tensor(shape: shape, floats: (0 ..< count).map { Float($0 % 7) / 10 - 0.3 }))
        }
        try weights("W1", [directions, 2, 3])
        try weights("R", [directions, 2, 2])
        try weights("W2", [directions, 2, 2 * directions])
        builder.node("RNN", name: "/rnn/RNN", inputs: ["x", "W1", "R"], outputs: ["Y1"], attributes: direction)
        try between(&builder)
        builder.node("RNN", name: "/rnn/RNN_1", inputs: ["X2", "W2", "R", ""] + extra, outputs: ["Y2"], attributes: direction)
        return builder.model
    }

    private func modules(_ model: Onnx_ModelProto) throws -> [String] {
        try ONNXImporter.read(model, file: "stack.onnx").hints.keys.sorted()
    }

    func testTorchExportersLinksStack() throws {
        let squeezed = try twoLayers { builder in
            _ = try builder.int64s("axes", [1])
            builder.node("Squeeze", name: "s", inputs: ["Y1", "axes"], outputs: ["X2"])
        }
        XCTAssertEqual(try modules(squeezed), ["rnn"])
        // TorchScript: Transpose(0, 2, 1, 3) + Reshape(0, 0, -1); dynamo: a Reshape to the export's sizes.
        for shape in [[0, 0, -1], [5, 3, 4]] {
            let concatenated = try twoLayers(directions: 2) { builder in
                _ = try builder.int64s("shape", shape)
                builder.node("Transpose", name: "t", inputs: ["Y1"], outputs: ["Yt"], attributes: [ONNXGraphBuilder.attribute("perm", ints: [0, 2, 1, 3])])
                builder.node("Reshape", name: "r", inputs: ["Yt", "shape"], outputs: ["X2"])
            }
            XCTAssertEqual(try modules(concatenated), ["rnn"], "\(shape)")
        }
        // A Cast to float64 and back keeps every value.
        let wide = try twoLayers { builder in
            _ = try builder.int64s("axes", [1])
            builder.node("Squeeze", name: "s", inputs: ["Y1", "axes"], outputs: ["Ys"])
            builder.node("Cast", name: "up", inputs: ["Ys"], outputs: ["Yd"], attributes: [ONNXGraphBuilder.attribute("to", int: 11)])
            builder.node("Cast", name: "down", inputs: ["Yd"], outputs: ["X2"], attributes: [ONNXGraphBuilder.attribute("to", int: 1)])
        }
        XCTAssertEqual(try modules(wide), ["rnn"])
    }

    func testAReshapeWithoutTheTransposeIsNotPyTorchsConcatenation() throws {
        // (T, 2, B, H) reshaped straight to (T, B, 2H) interleaves batch and directions.
        for shape in [[5, 3, -1], [0, 0, -1]] {
            let scrambled = try twoLayers(directions: 2) { builder in
                _ = try builder.int64s("shape", shape)
                builder.node("Reshape", name: "r", inputs: ["Y1", "shape"], outputs: ["X2"])
            }
            XCTAssertEqual(try modules(scrambled), ["rnn", "rnn_1"], "\(shape)")
        }
    }

    func testACastThatChangesValuesIsNotAMove() throws {
        for (type, name) in [(6, "int32"), (10, "float16")] {
            let cast = try twoLayers { builder in
                _ = try builder.int64s("axes", [1])
                builder.node("Squeeze", name: "s", inputs: ["Y1", "axes"], outputs: ["Ys"])
                builder.node("Cast", name: "to", inputs: ["Ys"], outputs: ["Yc"], attributes: [ONNXGraphBuilder.attribute("to", int: type)])
                builder.node("Cast", name: "back", inputs: ["Yc"], outputs: ["X2"], attributes: [ONNXGraphBuilder.attribute("to", int: 1)])
            }
            XCTAssertEqual(try modules(cast), ["rnn", "rnn_1"], name)
            // The first module's output is not the graph's: the Cast computes other numbers from it.
            let notes = try XCTUnwrap(ONNXImporter.read(cast, file: "stack.onnx").hints["rnn"]).notes
            XCTAssertTrue(notes.contains { if case .computedAfter(let operators) = $0 { operators.contains { $0.contains("Cast") } } else { false } },
                          "\(name): \(notes)")
        }
    }

    /// A Cast to a float type that keeps every value only moves the output.
    func testAWideningCastAfterTheModuleIsAMove() throws {
        var builder = ONNXGraphBuilder(name: "g")
        builder.input("x", .float32, [.free, .free, .fixed(3)], doc: "")
        try builder.initializer("W", Tensor(shape: [1, 2, 3], floats: [0.1, 0.2, 0.3, -0.1, 0, 0.4]))
        try builder.initializer("R", Tensor(shape: [1, 2, 2], floats: [0.1, -0.2, 0.3, 0.1]))
        builder.node("RNN", name: "/rnn/RNN", inputs: ["x", "W", "R"], outputs: ["Y"])
        builder.node("Cast", name: "wide", inputs: ["Y"], outputs: ["Yd"], attributes: [ONNXGraphBuilder.attribute("to", int: 11)])
        let notes = try XCTUnwrap(ONNXImporter.read(builder.model, file: "cast.onnx").hints.values.first).notes
        XCTAssertFalse(notes.contains { if case .computedAfter = $0 { true } else { false } }, "\(notes)")
    }

    func testLengthsOnTheSecondLayerOnlyAreRefused() throws {
        let model = try twoLayers(extra: ["lens"]) { builder in
            _ = try builder.int64s("axes", [1])
            try builder.initializer("lens", Tensor(dtype: .int32, shape: [2], data: Data([4, 0, 0, 0, 1, 0, 0, 0])))
            builder.node("Squeeze", name: "s", inputs: ["Y1", "axes"], outputs: ["X2"])
        }
        XCTAssertThrowsError(try ONNXImporter.read(model, file: "lens.onnx")) { error in
            XCTAssertEqual(error as? ConversionError, .lengthsDiffer(file: "lens.onnx", module: ModulePath("rnn")))
        }
    }
}

extension ONNXGraphBuilder {
    /// The graph as an IR 8, opset 17 model.
    var model: Onnx_ModelProto {
        var model = Onnx_ModelProto()
        model.irVersion = 8
        var set = Onnx_OperatorSetIdProto()
        set.version = 17
        model.opsetImport = [set]
        model.graph = graph
        return model
    }
}
