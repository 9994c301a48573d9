import Foundation
import Pickle
import ZIPFoundation

/// One tensor of a synthetic checkpoint: a view of a storage, as
/// `_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())` records it.
struct TorchTensorSpec {
    var name: String
    var storageType = "FloatStorage"
    var key = "0"
    var storageCount: Int
    var offset = 0
    var shape: [Int]
    var strides: [Int]
    /// A legacy storage view `(view key, offset, size)` in storage elements.
    var legacyView: (key: String, offset: Int, count: Int)? = nil
}

/// Writes checkpoints the way `torch.save` lays them out (same opcode
/// sequence for the data pickle, same zip members, same legacy sections), so
/// tests can build valid files and then break them one way at a time.
final class TorchCheckpointBuilder {
    private(set) var bytes: [UInt8] = [PickleOpcode.proto.rawValue, 2]

    @discardableResult
    func op(_ opcode: PickleOpcode, _ operand: [UInt8] = []) -> Self {
        bytes.append(opcode.rawValue)
        bytes += operand
        return self
    }

    @discardableResult
    func global(_ module: String, _ name: String) -> Self { op(.global, Array("\(module)\n\(name)\n".utf8)) }

    @discardableResult
    func string(_ text: String) -> Self {
        op(.binUnicode, withUnsafeBytes(of: UInt32(text.utf8.count).littleEndian) { Array($0) } + Array(text.utf8))
    }

    @discardableResult
    func int(_ value: Int) -> Self {
        op(.binInt, withUnsafeBytes(of: Int32(truncatingIfNeeded: value).littleEndian) { Array($0) })
    }

    @discardableResult
    func ints(_ values: [Int]) -> Self {
        op(.mark)
        values.forEach { int($0) }
        return op(.tuple)
    }

    /// `_rebuild_tensor_v2(...)` for `spec`, with a legacy sixth persistent-id field when asked.
    @discardableResult
    func tensor(_ spec: TorchTensorSpec, legacy: Bool = false) -> Self {
        global("torch._utils", "_rebuild_tensor_v2").tensorArguments(spec, legacy: legacy)
        return op(.reduce)
    }

    /// The argument tuple of `_rebuild_tensor_v2` for `spec`.
    @discardableResult
    func tensorArguments(_ spec: TorchTensorSpec, legacy: Bool = false) -> Self {
        op(.mark)
        op(.mark).string("storage").global("torch", spec.storageType).string(spec.key).string("cpu").int(spec.storageCount)
        if let view = spec.legacyView {
            op(.mark).string(view.key).int(view.offset).int(view.count).op(.tuple)
        } else if legacy {
            op(.none)
        }
        op(.tuple).op(.binPersId)
        int(spec.offset).ints(spec.shape).ints(spec.strides).op(.newFalse)
        global("collections", "OrderedDict").op(.emptyTuple).op(.reduce)
        return op(.tuple)
    }

    /// An `OrderedDict` of the tensors, as a state dict pickles.
    static func stateDict(_ specs: [TorchTensorSpec], legacy: Bool = false) -> [UInt8] {
        let builder = TorchCheckpointBuilder()
        builder.global("collections", "OrderedDict").op(.emptyTuple).op(.reduce).op(.mark)
        for spec in specs { builder.string(spec.name).tensor(spec, legacy: legacy) }
        return builder.op(.setItems).op(.stop).bytes
    }

    /// Writes a zip checkpoint: `archive/data.pkl`, `archive/data/<key>`,
    /// `archive/byteorder`, `archive/version` (nil leaves a member out).
    static func writeZip(
        to url: URL, pickle: [UInt8], storages: [String: Data], folder: String = "archive",
        byteorder: String? = "little", version: String? = "3", compress: Bool = false
    ) throws {
        try? FileManager.default.removeItem(at: url)
        let archive = try Archive(url: url, accessMode: .create)
        func add(_ path: String, _ data: Data) throws {
            try archive.addEntry(with: "\(folder)/\(path)", type: .file, uncompressedSize: Int64(data.count),
                                 compressionMethod: compress ? .deflate : .none) { position, size in
                data.subdata(in: Int(position) ..< Int(position) + size)
            }
        }
        try add("data.pkl", Data(pickle))
        if let byteorder { try add("byteorder", Data(byteorder.utf8)) }
        for (key, data) in storages.sorted(by: { $0.key < $1.key }) { try add("data/\(key)", data) }
        if let version { try add("version", Data("\(version)\n".utf8)) }
    }

    /// A legacy checkpoint: magic, protocol, sys info, `pickle`, the key
    /// list, then each storage as an 8-byte element count and its bytes.
    static func legacy(
        pickle: [UInt8], storages: [(key: String, data: Data, itemSize: Int)], littleEndian: Bool = true,
        protocolVersion: Int = 1001
    ) -> Data {
        var file = Data([0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E])
        file.append(contentsOf: TorchCheckpointBuilder().int(protocolVersion).op(.stop).bytes)
        let sysInfo = TorchCheckpointBuilder().op(.emptyDict).op(.mark)
            .string("protocol_version").int(1001).string("little_endian").op(littleEndian ? .newTrue : .newFalse)
            .op(.setItems).op(.stop)
        file.append(contentsOf: sysInfo.bytes)
        file.append(contentsOf: pickle)
        let keys = TorchCheckpointBuilder().op(.emptyList).op(.mark)
        storages.forEach { keys.string($0.key) }
        file.append(contentsOf: keys.op(.appends).op(.stop).bytes)
        for storage in storages {
            let count = Int64(storage.data.count / storage.itemSize)
            file.append(contentsOf: withUnsafeBytes(of: count.littleEndian) { Array($0) })
            file.append(storage.data)
        }
        return file
    }

    /// The bytes of `values` as float32.
    static func floats(_ values: [Float]) -> Data { values.withUnsafeBytes { Data($0) } }

    /// A fresh path in the temporary folder.
    static func temporaryURL(_ name: String) -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnnkit-torch-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent(name)
    }
}
