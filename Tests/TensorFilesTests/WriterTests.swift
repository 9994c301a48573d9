import Foundation
import XCTest
@testable import TensorFiles

final class WriterTests: XCTestCase {
    /// Tensors of every dtype, with the values safetensors wrote into the sample.
    private func sampleTensors(bfloat16: Bool) throws -> [NamedTensor] {
        let file = try SafetensorsReader.read(path: FormatSamples.root.appendingPathComponent("safetensors/all_dtypes.safetensors").path)
        return try file.tensors.filter { bfloat16 || $0.tensor.dtype != .bfloat16 }
            .map { NamedTensor(name: $0.name, tensor: try $0.tensor.loaded()) }
    }

    private func assertSameTensors(_ read: [NamedTensor], _ written: [NamedTensor], _ what: String) throws {
        XCTAssertEqual(Set(read.map(\.name)), Set(written.map(\.name)), what)
        for named in written {
            let back = try XCTUnwrap(read.first { $0.name == named.name }?.tensor, "\(what): \(named.name)")
            XCTAssertEqual(back.dtype, named.tensor.dtype, "\(what): \(named.name)")
            XCTAssertEqual(back.shape, named.tensor.shape, "\(what): \(named.name)")
            XCTAssertEqual(try back.data(), try named.tensor.data(), "\(what): \(named.name)")
        }
    }

    func testRoundTripThroughEveryContainer() throws {
        let directory = try FormatSamples.temporaryDirectory(self)
        let cases: [(FileFormat, String)] = [(.npyDirectory, "out"), (.npz, "out.npz"), (.safetensors, "out.safetensors"), (.hdf5, "out.h5")]
        for (format, name) in cases {
            let tensors = try sampleTensors(bfloat16: format == .safetensors)
            let path = directory.appendingPathComponent(name).path
            try TensorFileWriter.write(tensors, as: format, to: path, metadata: ["source": "rnnkit tests"])
            let back = try TensorFile.open(path)
            XCTAssertEqual(back.format, format)
            try assertSameTensors(back.tensors, tensors, "\(format)")
            if format == .npz || format == .safetensors {
                XCTAssertEqual(back.tensors.map(\.name), tensors.map(\.name), "\(format) keeps the order")
            }
            let keepsMetadata = format == .safetensors || format == .hdf5
            XCTAssertEqual(back.metadata, keepsMetadata ? ["source": "rnnkit tests"] : [:], "\(format)")
        }
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: directory.path)),
                       Set(cases.map(\.1)), "no temporary files left")
    }

    func testCompressedNPZAndSingleNPYRoundTrip() throws {
        let directory = try FormatSamples.temporaryDirectory(self)
        let outputs = [
            NamedTensor(name: "output", tensor: Tensor(shape: [5, 2, 3], floats: (0 ..< 30).map { Float($0) / 7 })),
            NamedTensor(name: "h_n", tensor: Tensor(shape: [1, 2, 3], floats: [1, 2, 3, 4, 5, 6])),
            NamedTensor(name: "c_n", tensor: Tensor(shape: [1, 2, 3], doubles: [1, -2, 3, -4, 5, -6])),
        ]
        let npz = directory.appendingPathComponent("run.npz").path
        try NPZWriter.write(outputs, to: npz, compressed: true)
        let archive = try ZipArchive(path: npz)
        XCTAssertTrue(archive.members.allSatisfy(\.isDeflated))
        try assertSameTensors(try NPZReader.read(path: npz).tensors, outputs, "deflated npz")

        let npy = directory.appendingPathComponent("h_n.npy").path
        try TensorFileWriter.write([outputs[1]], as: .npy, to: npy)
        try assertSameTensors(try NPYReader.read(path: npy).tensors, [outputs[1]], "single npy")
    }

    func testHDF5DottedNamesBecomeGroups() throws {
        let path = try FormatSamples.temporaryDirectory(self).appendingPathComponent("nested.h5").path
        let tensors = [
            NamedTensor(name: "encoder.lstm.weight_ih_l0", tensor: Tensor(shape: [4, 2], floats: Array(repeating: 0.5, count: 8))),
            NamedTensor(name: "head.weight", tensor: Tensor(shape: [2], floats: [1, 2])),
        ]
        try TensorFileWriter.write(tensors, as: .hdf5, to: path)
        XCTAssertEqual(try HDF5Reader.stringAttributes(path: path, object: "encoder/lstm"), [:])
        try assertSameTensors(try HDF5Reader.read(path: path).tensors, tensors, "hdf5")
    }

    func testNamesAContainerCannotHoldAreRefusedBeforeWriting() throws {
        let directory = try FormatSamples.temporaryDirectory(self)
        let t = Tensor(shape: [1], floats: [1])
        let cases: [(FileFormat, [String], String, TensorFileError.Reason)] = [
            (.hdf5, ["a", "a.b"], "a", .badName(.alsoAGroup(of: "a.b"))),
            (.hdf5, ["a..b"], "a..b", .badName(.notAllowed(in: .hdf5))),
            (.hdf5, ["a/b"], "a/b", .badName(.notAllowed(in: .hdf5))),
            (.npy, ["../escape"], "../escape", .badName(.notAllowed(in: .npyDirectory))),
            (.npy, [".hidden"], ".hidden", .badName(.notAllowed(in: .npyDirectory))),
            (.npz, ["x", "x"], "x", .duplicateName("x")),
            (.npz, [""], "", .badName(.notAllowed(in: .npz))),
            (.safetensors, ["__metadata__"], "__metadata__", .badName(.notAllowed(in: .safetensors))),
        ]
        for (format, names, culprit, reason) in cases {
            let path = directory.appendingPathComponent("refused").path
            XCTAssertThrowsError(try TensorFileWriter.write(names.map { NamedTensor(name: $0, tensor: t) }, as: format, to: path)) { error in
                XCTAssertEqual(error as? TensorFileError, TensorFileError(file: path, tensor: culprit, reason), "\(format) \(names)")
            }
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [], "\(format) \(names)")
        }
    }

    func testBFloat16IsRefusedWhereTheContainerHasNoSuchType() throws {
        let directory = try FormatSamples.temporaryDirectory(self)
        let tensors = try sampleTensors(bfloat16: true)
        for format in [FileFormat.npy, .npz, .hdf5] {
            let path = directory.appendingPathComponent("bf16").path
            XCTAssertThrowsError(try TensorFileWriter.write(tensors, as: format, to: path)) { error in
                XCTAssertEqual(error as? TensorFileError,
                               TensorFileError(file: path, tensor: "bf16_2d", .unsupportedDType(.notStorable(.bfloat16, in: format))))
            }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [])
        XCTAssertThrowsError(try TensorFileWriter.write(tensors, as: .pytorch, to: directory.appendingPathComponent("x.pt").path)) { error in
            XCTAssertEqual((error as? TensorFileError)?.reason, .notWritten(.pytorch))
        }
        XCTAssertThrowsError(try TensorFileWriter.write(tensors, as: .onnx, to: directory.appendingPathComponent("x.onnx").path)) { error in
            XCTAssertEqual((error as? TensorFileError)?.reason, .notWritten(.onnx))
        }
    }

    func testAFailedWriteKeepsThePreviousFileAndLeavesNoTemporaries() throws {
        struct Broken: Error {}
        let directory = try FormatSamples.temporaryDirectory(self)
        let good = [NamedTensor(name: "w", tensor: Tensor(shape: [2], floats: [1, 2]))]
        let failing = good + [NamedTensor(name: "bad", tensor: Tensor(dtype: .float32, shape: [4]) { throw Broken() })]
        for (format, name) in [(FileFormat.npy, "dir"), (.npz, "a.npz"), (.safetensors, "a.safetensors"), (.hdf5, "a.h5")] {
            let path = directory.appendingPathComponent(name).path
            try TensorFileWriter.write(good, as: format, to: path)
            XCTAssertThrowsError(try TensorFileWriter.write(failing, as: format, to: path), "\(format)")
            try assertSameTensors(try TensorFile.open(path).tensors, good, "\(format) after a failed write")
        }
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: directory.path)),
                       ["dir", "a.npz", "a.safetensors", "a.h5"])
    }

    func testKerasWeightsLayoutWithGroupsAndAttributes() throws {
        let path = try FormatSamples.temporaryDirectory(self).appendingPathComponent("model.weights.h5").path
        let kernel = Tensor(shape: [3, 2], floats: [1, 2, 3, 4, 5, 6])
        try HDF5Writer.write(to: path) { file in
            try file.createGroup("layers/dense/vars")
            try file.setAttribute("name", "dense", on: "layers/dense/vars")
            try file.writeDataset("layers/dense/vars/0", kernel)
            try file.createGroup("vars")
            try file.setAttribute("layer_names", strings: ["dense", "lstm"])
            try file.setAttribute("backend", "jax")
        }
        let back = try HDF5Reader.read(path: path)
        try assertSameTensors(back.tensors, [NamedTensor(name: "layers.dense.vars.0", tensor: kernel)], "keras layout")
        XCTAssertEqual(back.metadata, ["backend": "jax"])
        XCTAssertEqual(try HDF5Reader.stringAttributes(path: path, object: "layers/dense/vars"), ["name": "dense"])
        XCTAssertEqual(try HDF5Reader.stringAttributes(path: path, object: "vars"), [:])
    }

    /// Writes one file per container into $RNNKIT_INTEROP_DIR for
    /// scripts/check_written_formats.py, which reads them with numpy, h5py
    /// and safetensors. Skipped unless the variable is set.
    func testWriteInteropSamples() throws {
        guard let directory = ProcessInfo.processInfo.environment["RNNKIT_INTEROP_DIR"] else {
            throw XCTSkip("set RNNKIT_INTEROP_DIR to write files for scripts/check_written_formats.py")
        }
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        let plain = try sampleTensors(bfloat16: false)
        try TensorFileWriter.write(plain, as: .npy, to: path("npy"))
        try TensorFileWriter.write(plain, as: .npz, to: path("stored.npz"))
        try NPZWriter.write(plain, to: path("deflated.npz"), compressed: true)
        try TensorFileWriter.write(try sampleTensors(bfloat16: true), as: .safetensors, to: path("all.safetensors"),
                                   metadata: ["format": "pt"])
        try TensorFileWriter.write(plain, as: .hdf5, to: path("all.h5"), metadata: ["source": "rnnkit"])
        // What Keras 3 writes for Sequential([Input((3,)), Dense(2)]).save_weights(…).
        try HDF5Writer.write(to: path("model.weights.h5")) { file in
            try file.createGroup("layers/dense/vars")
            try file.setAttribute("name", "dense", on: "layers/dense/vars")
            try file.writeDataset("layers/dense/vars/0", Tensor(shape: [3, 2], floats: [1, 2, 3, 4, 5, 6]))
            try file.writeDataset("layers/dense/vars/1", Tensor(shape: [2], floats: [0.5, -0.5]))
            try file.createGroup("vars")
            try file.setAttribute("name", "sequential", on: "vars")
            try file.setAttribute("layer_names", strings: ["dense", "lstm"])
        }
    }
}
