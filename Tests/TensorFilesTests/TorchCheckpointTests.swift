import Foundation
import ZIPFoundation
import XCTest
@testable import TensorFiles

/// Checkpoints laid out as `torch.save` writes them (built by
/// `TorchCheckpointBuilder`), read through `TensorFile.open` in both formats.
final class TorchCheckpointTests: XCTestCase {
    typealias Builder = TorchCheckpointBuilder

    /// Writes `pickle` + `storages` as a zip and as a legacy file; returns both paths.
    func twins(_ name: String, pickle: (Bool) -> [UInt8], storages: [(key: String, data: Data, itemSize: Int)]) throws -> [String] {
        let zip = Builder.temporaryURL("\(name).pt")
        try Builder.writeZip(to: zip, pickle: pickle(false),
                             storages: Dictionary(uniqueKeysWithValues: storages.map { ($0.key, $0.data) }))
        let legacy = Builder.temporaryURL("\(name)_legacy.pt")
        try Builder.legacy(pickle: pickle(true), storages: storages).write(to: legacy)
        return [zip.path, legacy.path]
    }

    let weights: [Float] = [0.5, -1.25, 2, 3.5, -4, 5.75]  // a 2×3 weight
    let bias: [Float] = [0.125, -0.25]

    var stateDictSpecs: [TorchTensorSpec] {
        [TorchTensorSpec(name: "rnn.weight_ih_l0", key: "0", storageCount: 6, shape: [2, 3], strides: [3, 1]),
         TorchTensorSpec(name: "rnn.bias_ih_l0", key: "1", storageCount: 2, shape: [2], strides: [1])]
    }

    var stateDictStorages: [(key: String, data: Data, itemSize: Int)] {
        [("0", Builder.floats(weights), 4), ("1", Builder.floats(bias), 4)]
    }

    func testStateDictInBothFormats() throws {
        let specs = stateDictSpecs
        let paths = try twins("state", pickle: { Builder.stateDict(specs, legacy: $0) }, storages: stateDictStorages)
        for (path, format) in zip(paths, [FileFormat.pytorch, .pytorchLegacy]) {
            XCTAssertEqual(try FormatSniffer.format(of: path), format)
            let file = try TensorFile.open(path)
            XCTAssertEqual(file.format, format)
            XCTAssertEqual(file.tensors.map(\.name), ["rnn.weight_ih_l0", "rnn.bias_ih_l0"])
            XCTAssertEqual(file.tensors.map(\.tensor.shape), [[2, 3], [2]])
            XCTAssertEqual(try file.tensor(named: "rnn.weight_ih_l0")?.floats(), weights)
            XCTAssertEqual(try file.tensor(named: "rnn.bias_ih_l0")?.floats(), bias)
            XCTAssertTrue(file.otherItems.isEmpty)
        }
    }

    func testInspectionInflatesNoStorage() throws {
        // The storage members are deflated and one is corrupted after the zip
        // was written: opening must still work (nothing is inflated), reading
        // that tensor's values must not.
        let url = Builder.temporaryURL("lazy.pt")
        try Builder.writeZip(to: url, pickle: Builder.stateDict(stateDictSpecs),
                             storages: ["0": Builder.floats(weights), "1": Builder.floats(bias)], compress: true)
        let archive = try ZipArchive(path: url.path)
        let member = try XCTUnwrap(archive.member("archive/data/0"))
        XCTAssertTrue(member.isDeflated)
        var bytes = try Data(contentsOf: url)
        bytes[member.dataOffset + member.compressedSize / 2] ^= 0xFF
        try bytes.write(to: url)
        let file = try TensorFile.open(url.path)
        let weight = try XCTUnwrap(file.tensor(named: "rnn.weight_ih_l0"))
        XCTAssertFalse(weight.isLoaded)
        XCTAssertThrowsError(try weight.data()) { error in
            XCTAssertEqual((error as? TensorFileError)?.tensor, "archive/data/0", "\(error)")
        }
        XCTAssertEqual(try file.tensor(named: "rnn.bias_ih_l0")?.floats(), bias)
    }

    func testStoredStoragesAreViewsOfTheFile() throws {
        let url = Builder.temporaryURL("stored.pt")
        try Builder.writeZip(to: url, pickle: Builder.stateDict(stateDictSpecs),
                             storages: ["0": Builder.floats(weights), "1": Builder.floats(bias)])
        let file = try TensorFile.open(url.path)
        XCTAssertEqual(try file.tensor(named: "rnn.weight_ih_l0")?.floats(), weights)
        // Changing the file's bytes under the map changes what the tensor reads.
        let member = try XCTUnwrap(try ZipArchive(path: url.path).member("archive/data/1"))
        let handle = try FileHandle(forWritingTo: url)
        try handle.seek(toOffset: UInt64(member.dataOffset))
        try handle.write(contentsOf: Builder.floats([7, 8]))
        try handle.close()
        XCTAssertEqual(try file.tensor(named: "rnn.bias_ih_l0")?.floats(), [7, 8])
    }

    func testNonContiguousViewsAndSharedStorage() throws {
        // One storage of 12 floats seen four ways: as 4×3, transposed (3×4,
        // stride (1, 3)), as columns 1…2 (offset 1), and as a slice from element 7.
        let base = (0 ..< 12).map(Float.init)
        let specs = [
            TorchTensorSpec(name: "base", storageCount: 12, shape: [4, 3], strides: [3, 1]),
            TorchTensorSpec(name: "transposed", storageCount: 12, shape: [3, 4], strides: [1, 3]),
            TorchTensorSpec(name: "columns", storageCount: 12, offset: 1, shape: [4, 2], strides: [3, 1]),
            TorchTensorSpec(name: "tail", storageCount: 12, offset: 7, shape: [5], strides: [1]),
            TorchTensorSpec(name: "broadcast", storageCount: 12, offset: 3, shape: [2, 3], strides: [0, 1]),
        ]
        for path in try twins("views", pickle: { Builder.stateDict(specs, legacy: $0) }, storages: [("0", Builder.floats(base), 4)]) {
            let file = try TensorFile.open(path)
            XCTAssertEqual(try file.tensor(named: "base")?.floats(), base)
            let transposed: [Float] = (0 ..< 3).flatMap { (column: Int) -> [Float] in
                (0 ..< 4).map { (row: Int) -> Float in base[row * 3 + column] }
            }
            XCTAssertEqual(try file.tensor(named: "transposed")?.floats(), transposed)
            let columns: [Float] = (0 ..< 4).flatMap { (row: Int) -> [Float] in [base[row * 3 + 1], base[row * 3 + 2]] }
            XCTAssertEqual(try file.tensor(named: "columns")?.floats(), columns)
            XCTAssertEqual(try file.tensor(named: "tail")?.floats(), Array(base[7 ..< 12]))
            let row: [Float] = Array(base[3 ..< 6])
            XCTAssertEqual(try file.tensor(named: "broadcast")?.floats(), row + row)
        }
    }

    func testStorageClassesGiveDtypes() throws {
        let types: [(String, DType)] = [
            ("HalfStorage", .float16), ("BFloat16Storage", .bfloat16), ("FloatStorage", .float32),
            ("DoubleStorage", .float64), ("LongStorage", .int64), ("IntStorage", .int32),
            ("ByteStorage", .uint8), ("BoolStorage", .bool),
        ]
        let specs = types.enumerated().map { index, type in
            TorchTensorSpec(name: type.1.rawValue, storageType: type.0, key: String(index), storageCount: 2,
                            shape: [2], strides: [1])
        }
        let storages = types.enumerated().map { index, type in
            (key: String(index), data: Data(repeating: 1, count: 2 * type.1.itemSize), itemSize: type.1.itemSize)
        }
        for path in try twins("dtypes", pickle: { Builder.stateDict(specs, legacy: $0) }, storages: storages) {
            let file = try TensorFile.open(path)
            XCTAssertEqual(file.tensors.map(\.tensor.dtype), types.map(\.1))
            for (named, type) in zip(file.tensors, types) {
                XCTAssertEqual(try named.tensor.data(), Data(repeating: 1, count: 2 * type.1.itemSize))
            }
        }
    }

    /// `{"epoch": 3, <key>: state_dict, "optimizer": {"state": {}, "param_groups": []}}`.
    func checkpointPickle(under key: String, legacy: Bool) -> [UInt8] {
        let builder = Builder().op(.emptyDict).op(.mark)
        builder.string("epoch").int(3).string(key)
        builder.global("collections", "OrderedDict").op(.emptyTuple).op(.reduce).op(.mark)
        for spec in stateDictSpecs { builder.string(spec.name).tensor(spec, legacy: legacy) }
        builder.op(.setItems)
        builder.string("optimizer").op(.emptyDict).op(.mark).string("state").op(.emptyDict)
            .string("param_groups").op(.emptyList).op(.setItems)
        builder.string("lr").op(.binFloat, withUnsafeBytes(of: (0.001).bitPattern.bigEndian) { Array($0) })
        return builder.op(.setItems).op(.stop).bytes
    }

    func testCheckpointDictFindsTheStateDictAndReportsTheRest() throws {
        for key in ["model", "state_dict", "model_state_dict", "net"] {
            for path in try twins("checkpoint_\(key)", pickle: { self.checkpointPickle(under: key, legacy: $0) },
                                  storages: stateDictStorages) {
                let file = try TensorFile.open(path)
                XCTAssertEqual(file.tensors.map(\.name), ["rnn.weight_ih_l0", "rnn.bias_ih_l0"], key)
                XCTAssertEqual(try file.tensor(named: "rnn.weight_ih_l0")?.floats(), weights)
                XCTAssertEqual(file.otherItems.map(\.name), ["epoch", "optimizer", "lr"])
                XCTAssertEqual(file.otherItems.map(\.summary), ["3", "dict with 2 entries", "0.001"])
            }
        }
    }

    func testScalarTensorsBesideAStateDictAreOtherItems() throws {
        // {"model": sd, "best_loss": tensor(0.25)}: the 0-d tensor is a metric.
        let specs = stateDictSpecs
        let loss = TorchTensorSpec(name: "best_loss", key: "2", storageCount: 1, shape: [], strides: [])
        let pickle: (Bool) -> [UInt8] = { legacy in
            let builder = Builder().op(.emptyDict).op(.mark).string("model").op(.emptyDict).op(.mark)
            for spec in specs { builder.string(spec.name).tensor(spec, legacy: legacy) }
            return builder.op(.setItems).string(loss.name).tensor(loss, legacy: legacy).op(.setItems).op(.stop).bytes
        }
        let storages = stateDictStorages + [("2", Builder.floats([0.25]), 4)]
        for path in try twins("metric", pickle: pickle, storages: storages) {
            let file = try TensorFile.open(path)
            XCTAssertEqual(file.tensors.map(\.name), ["rnn.weight_ih_l0", "rnn.bias_ih_l0"])
            XCTAssertEqual(file.otherItems.map(\.name), ["best_loss"])
            XCTAssertEqual(file.otherItems.map(\.summary), ["tensor float32 []"])
        }
    }

    func testSeveralStateDictsArePrefixedByTheirKeys() throws {
        let specs = stateDictSpecs
        let pickle: (Bool) -> [UInt8] = { legacy in
            let builder = Builder().op(.emptyDict).op(.mark)
            for key in ["model", "ema"] {
                builder.string(key).op(.emptyDict).op(.mark)
                for spec in specs { builder.string(spec.name).tensor(spec, legacy: legacy) }
                builder.op(.setItems)
            }
            return builder.op(.setItems).op(.stop).bytes
        }
        for path in try twins("two", pickle: pickle, storages: stateDictStorages) {
            let file = try TensorFile.open(path)
            XCTAssertEqual(file.tensors.map(\.name), ["model.rnn.weight_ih_l0", "model.rnn.bias_ih_l0",
                                                      "ema.rnn.weight_ih_l0", "ema.rnn.bias_ih_l0"])
        }
    }

    func testTensorsWithPythonAttributes() throws {
        // `t.foo = 1; torch.save({"w": t})` pickles _rebuild_from_type_v2(_rebuild_tensor_v2,
        // torch.Tensor, (arguments…), {"foo": 1}); the attributes are ignored.
        let spec = stateDictSpecs[0]
        let pickle: (Bool) -> [UInt8] = { legacy in
            Builder().op(.emptyDict).string("w").global("torch._tensor", "_rebuild_from_type_v2").op(.mark)
                .global("torch._utils", "_rebuild_tensor_v2").global("torch", "Tensor").tensorArguments(spec, legacy: legacy)
                .op(.emptyDict).string("foo").int(1).op(.setItem).op(.tuple).op(.reduce).op(.setItem).op(.stop).bytes
        }
        for path in try twins("attributes", pickle: pickle, storages: [("0", Builder.floats(weights), 4)]) {
            XCTAssertEqual(try TensorFile.open(path).tensor(named: "w")?.floats(), weights)
        }
    }

    func testATensorSavedAloneIsNamedAfterTheFile() throws {
        let spec = stateDictSpecs[0]
        let pickle: (Bool) -> [UInt8] = { legacy in Builder().tensor(spec, legacy: legacy).op(.stop).bytes }
        for path in try twins("lonely", pickle: pickle, storages: [("0", Builder.floats(weights), 4)]) {
            let file = try TensorFile.open(path)
            let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            XCTAssertEqual(file.tensors.map(\.name), [stem])
            XCTAssertEqual(try file.tensors.first?.tensor.floats(), weights)
        }
    }

    func testLegacyStorageViews() throws {
        // Old torch wrote views of a storage as ("storage", type, root key, location,
        // root size, (view key, offset, view size)); offsets count storage elements.
        let view = TorchTensorSpec(name: "view", storageCount: 6, offset: 1, shape: [2], strides: [1],
                                   legacyView: ("view0", 2, 3))
        let whole = TorchTensorSpec(name: "whole", storageCount: 6, shape: [6], strides: [1])
        let url = Builder.temporaryURL("views_legacy.pt")
        try Builder.legacy(pickle: Builder.stateDict([view, whole], legacy: true),
                           storages: [("0", Builder.floats(weights), 4)]).write(to: url)
        let file = try TensorFile.open(url.path)
        XCTAssertEqual(try file.tensor(named: "view")?.floats(), Array(weights[3 ..< 5]))
        XCTAssertEqual(try file.tensor(named: "whole")?.floats(), weights)
        var past = view
        past.shape = [3]
        try Builder.legacy(pickle: Builder.stateDict([past], legacy: true),
                           storages: [("0", Builder.floats(weights), 4)]).write(to: url)
        XCTAssertThrowsError(try TensorFile.open(url.path)) { error in
            guard case .torchStorage(.viewPastStorage("0", 12, _, _, _))? = (error as? TensorFileError)?.reason else {
                return XCTFail("\(error)")
            }
        }
    }

    func testADictSavedTwiceIsReportedOnce() throws {
        // {"model": sd, "best": sd} with one dict object: the memo hands back the same dict.
        let specs = stateDictSpecs
        let pickle: (Bool) -> [UInt8] = { legacy in
            let builder = Builder().op(.emptyDict).op(.mark).string("model").op(.emptyDict).op(.binPut, [0]).op(.mark)
            for spec in specs { builder.string(spec.name).tensor(spec, legacy: legacy) }
            return builder.op(.setItems).string("best").op(.binGet, [0]).op(.setItems).op(.stop).bytes
        }
        for path in try twins("shared_dict", pickle: pickle, storages: stateDictStorages) {
            let file = try TensorFile.open(path)
            XCTAssertEqual(file.tensors.map(\.name), ["rnn.weight_ih_l0", "rnn.bias_ih_l0"])
            XCTAssertEqual(file.otherItems.map(\.name), ["best"])
            XCTAssertEqual(file.otherItems.map(\.summary), ["the same dict as 'model'"])
        }
    }

    func testZipWithoutDataPickleIsNotACheckpoint() throws {
        let url = Builder.temporaryURL("plain.zip")
        try? FileManager.default.removeItem(at: url)
        let archive = try Archive(url: url, accessMode: .create)
        try archive.addEntry(with: "x.npy", type: .file, uncompressedSize: Int64(1)) { (_: Int64, _: Int) in Data([0]) }
        XCTAssertEqual(try FormatSniffer.format(of: url.path), .npz)
    }
}
