import Foundation
import XCTest
@testable import TensorFiles

/// Checkpoints split by huggingface_hub's save_torch_state_dict
/// (Fixtures/sharded/): the index is read with the shards it names, each
/// tensor from its shard, only beside the index; a shard is known by its
/// name; broken indexes are refused naming what is wrong.
final class ShardedCheckpointTests: XCTestCase {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/sharded")

    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sharded-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    func testTheIndexIsReadWithItsShards() throws {
        for (kind, index) in [("safetensors", "model.safetensors.index.json"), ("bin", "pytorch_model.bin.index.json")] {
            let path = Self.folder.appendingPathComponent("\(kind)/\(index)").path
            XCTAssertEqual(try FormatSniffer.format(of: path), .shardedCheckpoint, kind)
            let file = try TensorFile.open(path)
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
            let map = try XCTUnwrap(json["weight_map"] as? [String: String])
            XCTAssertEqual(Set(file.tensors.map(\.name)), Set(map.keys), kind)
            XCTAssertEqual(file.metadata["sharded.shards"], "3")
            // Each tensor is its shard's.
            for (name, shard) in map {
                let own = try TensorFile.open(Self.folder.appendingPathComponent("\(kind)/\(shard)").path)
                XCTAssertEqual(try file.tensor(named: name)?.floats(), try own.tensor(named: name)?.floats(), "\(kind) \(name)")
            }
        }
    }

    func testShardsAreKnownByTheirNames() {
        XCTAssertEqual(ShardedCheckpoint.shardNumber(of: "/x/model-00001-of-00003.safetensors")?.count, 3)
        XCTAssertEqual(ShardedCheckpoint.shardNumber(of: "pytorch_model-00002-of-00004.bin")?.index, 2)
        XCTAssertNil(ShardedCheckpoint.shardNumber(of: "model-00001-of-00001.safetensors"), "one shard is the whole checkpoint")
        XCTAssertNil(ShardedCheckpoint.shardNumber(of: "model-1-of-3.safetensors"))
        XCTAssertNil(ShardedCheckpoint.shardNumber(of: "model.safetensors"))
        XCTAssertNil(ShardedCheckpoint.shardNumber(of: "model-00004-of-00003.safetensors"))
    }

    /// A copy of the safetensors checkpoint with its index replaced by `index`.
    private func checkpoint(index: String) throws -> String {
        let source = Self.folder.appendingPathComponent("safetensors")
        for name in try FileManager.default.contentsOfDirectory(atPath: source.path) where name.hasSuffix(".safetensors") {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: scratch.appendingPathComponent(name))
        }
        let path = scratch.appendingPathComponent("model.safetensors.index.json")
        try Data(index.utf8).write(to: path)
        return path.path
    }

    private func assertRefused(_ index: String, _ problem: ShardIndexProblem, file: StaticString = #filePath, line: UInt = #line) throws {
        let path = try checkpoint(index: index)
        XCTAssertThrowsError(try TensorFile.open(path), file: file, line: line) { error in
            XCTAssertEqual((error as? TensorFileError)?.reason, .shardIndex(problem), "\(error)", file: file, line: line)
        }
        try FileManager.default.removeItem(at: scratch)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    func testBrokenIndexesAreRefusedByName() throws {
        let shard = "model-00001-of-00003.safetensors"
        try assertRefused(#"{"weight_map": {"lstm.weight_ih_l0": "../\#(shard)"}}"#, .shardOutsideFolder(shard: "../\(shard)"))
        try assertRefused(#"{"weight_map": {"lstm.weight_ih_l0": "/etc/\#(shard)"}}"#, .shardOutsideFolder(shard: "/etc/\(shard)"))
        try assertRefused(#"{"weight_map": {"lstm.weight_ih_l0": "model-00009-of-00009.safetensors"}}"#,
                          .missingShard(shard: "model-00009-of-00009.safetensors"))
        try assertRefused(#"{"weight_map": {"lstm.nothing": "\#(shard)"}}"#, .missingTensor(tensor: "lstm.nothing", shard: shard))
        try assertRefused(#"{"weight_map": {"lstm.weight_ih_l0": 3}}"#, .shardNotAName(tensor: "lstm.weight_ih_l0"))
        try assertRefused(#"{"weight_map": {}}"#, .notAnIndex)
        try assertRefused(#"{"weight_map": [1, 2, "#, .notAnIndex)
        // A shard that is a link out of the folder.
        let outside = scratch.deletingLastPathComponent().appendingPathComponent("outside-\(UUID().uuidString).safetensors")
        try FileManager.default.copyItem(at: Self.folder.appendingPathComponent("safetensors/\(shard)"), to: outside)
        defer { try? FileManager.default.removeItem(at: outside) }
        let path = try checkpoint(index: #"{"weight_map": {"lstm.weight_ih_l0": "linked.safetensors"}}"#)
        try FileManager.default.createSymbolicLink(at: scratch.appendingPathComponent("linked.safetensors"), withDestinationURL: outside)
        XCTAssertThrowsError(try TensorFile.open(path)) { error in
            XCTAssertEqual((error as? TensorFileError)?.reason, .shardIndex(.shardOutsideFolder(shard: "linked.safetensors")), "\(error)")
        }
    }
}
