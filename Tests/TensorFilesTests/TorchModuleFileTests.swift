import Foundation
import XCTest
import Pickle
@testable import TensorFiles

/// TorchScript archives and `torch.save(model)` files written by real PyTorch
/// (`Fixtures/torch_modules/`, made by `scripts/fixturegen/torch_module_files.py`):
/// the parameters come out under `state_dict()`'s names with torch's values, every
/// module class is listed by the name the file gives it, what the file records
/// (`batch_first`, `nonlinearity`) is read, and the hostile files are refused by name.
final class TorchModuleFileTests: XCTestCase {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/torch_modules")

    func json(_ url: URL) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any], url.path)
    }

    func cases() throws -> [(URL, [String: Any])] {
        let folders = try FileManager.default.contentsOfDirectory(at: Self.folder, includingPropertiesForKeys: nil)
            .filter { FileManager.default.fileExists(atPath: $0.appendingPathComponent("model.json").path) }
            .sorted { $0.path < $1.path }
        return try folders.map { ($0, try json($0.appendingPathComponent("model.json"))) }
    }

    func testParametersAreNamedAndValuedAsStateDict() throws {
        let all = try cases()
        XCTAssertGreaterThanOrEqual(all.count, 9)
        XCTAssertEqual(Set(all.map { $0.1["kind"] as? String ?? "" }), ["torchscript", "pickled_module"])
        for (folder, sidecar) in all {
            let name = folder.lastPathComponent
            let file = try TensorFile.open(folder.appendingPathComponent("model.pt").path)
            let script = sidecar["kind"] as? String == "torchscript", legacy = sidecar["serialization"] as? String == "legacy"
            XCTAssertEqual(file.format, script ? .torchScript : legacy ? .pytorchLegacy : .pytorch, name)
            XCTAssertEqual(file.metadata["pytorch.serialization"], sidecar["serialization"] as? String, name)
            XCTAssertEqual(file.metadata["pytorch.content"],
                           sidecar["kind"] as? String == "torchscript" ? "TorchScript archive" : "PyTorch pickled module", name)
            XCTAssertEqual(file.tensors.map(\.name), sidecar["state_dict"] as? [String], name)
            XCTAssertTrue(file.tensors.allSatisfy { !$0.tensor.isLoaded }, "\(name): storages read while opening")
            guard let valuesFile = sidecar["values"] as? String else {
                XCTAssertEqual(file.tensors.count, 0, name)
                continue
            }
            let values = try TensorFile.open(folder.appendingPathComponent(valuesFile).path)
            for named in file.tensors {
                let reference = try XCTUnwrap(values.tensor(named: named.name), "\(name) \(named.name)")
                XCTAssertEqual(named.tensor.dtype, reference.dtype, "\(name) \(named.name)")
                XCTAssertEqual(named.tensor.shape, reference.shape, "\(name) \(named.name)")
                XCTAssertEqual(try named.tensor.data(), try reference.data(), "\(name) \(named.name)")
            }
        }
    }

    func testModuleClassesAndRecordedSettings() throws {
        for (folder, sidecar) in try cases() {
            let name = folder.lastPathComponent
            let file = try TensorFile.open(folder.appendingPathComponent("model.pt").path)
            var listed: [String: String] = [:]
            for item in file.otherItems where item.summary.hasPrefix("module ") {
                let className = item.summary.dropFirst("module ".count).split(separator: " ").first.map(String.init)
                listed[item.name == "(root)" ? "" : item.name] = className
            }
            XCTAssertEqual(listed, sidecar["classes"] as? [String: String], name)

            var recorded = sidecar["recorded"] as? [String: [String: Any]] ?? [:]
            // A traced module records its batch_first in its traced call (the flag it was made with).
            if (sidecar["made_by"] as? String ?? "").hasPrefix("torch.jit.trace"), let module = sidecar["module"] as? String {
                recorded[module] = ["batch_first": (sidecar["flags"] as? [String: Any])?["batch_first"] as? Bool ?? false]
            }
            XCTAssertEqual(Set(file.moduleSettings.keys), Set(recorded.keys), name)
            for (module, facts) in recorded {
                let settings = try XCTUnwrap(file.moduleSettings[module], "\(name) \(module)")
                XCTAssertEqual(settings.batchFirst, facts["batch_first"] as? Bool, "\(name) \(module)")
                XCTAssertEqual(settings.nonlinearity, facts["nonlinearity"] as? String, "\(name) \(module)")
                XCTAssertEqual(settings.className, (sidecar["classes"] as? [String: String])?[module], "\(name) \(module)")
            }
            let others = sidecar["non_tensor_items"] as? [String: Int] ?? [:]
            for (key, number) in others {
                XCTAssertEqual(file.otherItems.first { $0.name == key }?.summary, String(number), "\(name) \(key)")
            }
        }
    }

    func testTorchScriptPartsBesideTheParameters() throws {
        let traced = try TensorFile.open(Self.folder.appendingPathComponent("trace_tagger/model.pt").path)
        XCTAssertTrue(traced.otherItems.contains { $0.name == "traced_inputs.pkl" })
        XCTAssertEqual(traced.moduleSettings["lstm"]?.batchFirst, true, "a traced LSTM's batch_first, from its traced call")
        XCTAssertEqual(traced.moduleSettings["lstm"]?.source, "the traced call in code/__torch__/torch/nn/modules/rnn/___torch_mangle_0.py")
        // The call's top-level arguments; a call without its `)` on the line is not read.
        XCTAssertEqual(TorchScriptArchive.callArguments("input, [hx, cx], _2, True, 1, 0., False, False, True)\n"),
                       ["input", "[hx, cx]", "_2", "True", "1", "0.", "False", "False", "True"])
        XCTAssertNil(TorchScriptArchive.callArguments("input, _1, _2, True"))
        let (untraceable, _) = TorchScriptArchive.traced(RecordedModuleSettings(className: "__torch__.torch.nn.modules.rnn.GRU", source: ""),
                                                    ["    _3 = torch.gru(input, _1, _2, True"], code: "archive/code/__torch__/x.py")
        XCTAssertTrue(untraceable.layoutUnknown)
        XCTAssertNil(untraceable.batchFirst)
        // A traced forward that returns the results rearranged (h_n as the output) is named; the stock order is not.
        let forward: [Substring] = ["  def forward(self: __torch__.torch.nn.modules.rnn.GRU,", "    input: Tensor) -> Tuple[Tensor, Tensor]:",
                                    "    weight_ih_l0 = self.weight_ih_l0", "    weight_hh_l0 = self.weight_hh_l0",
                                    "    _0 = [weight_ih_l0, weight_hh_l0]", "    _1, _2 = torch.gru(input, hx, _0, False, 1, 0., False, False, False)",
                                    "    _3 = (_2, _2)", "    return _3"]
        let swapped = TracedForward(forward, functions: ["torch.gru("])
        XCTAssertEqual(swapped.weights, ["weight_ih_l0", "weight_hh_l0"])
        XCTAssertEqual(swapped.beyondRecurrence, ["its traced forward returns (_2,_2), not the recurrence's results in their order"])
        XCTAssertEqual(TracedForward(forward.dropLast() + ["    return (_1, _2)"], functions: ["torch.gru("]).beyondRecurrence, [])
        let body = TorchScriptArchive.classBody(named: "LSTM", in: "class GRU(Module):\n  batch_first : Final[bool] = False\n"
            + "class LSTM(Module):\n  __parameters__ = []\n  batch_first : Final[bool] = True\n  def forward(self):\n"
            + "    batch_first : Final[bool] = False\nclass RNN(Module):\n  batch_first : Final[bool] = False\n")
        XCTAssertEqual(body?.compactMap { TorchScriptArchive.constant($0, "batch_first", type: "bool") }, ["True"])
        for (folder, sidecar) in try cases() {
            let extras = sidecar["extra_files"] as? [String: Int] ?? [:]
            let file = try TensorFile.open(folder.appendingPathComponent("model.pt").path)
            let listed = file.otherItems.filter { $0.name.hasPrefix("extra/") }
            XCTAssertEqual(Dictionary(uniqueKeysWithValues: listed.map { ($0.name, $0.summary) }),
                           extras.mapValues { "\($0) bytes (extra file, not read)" }, folder.lastPathComponent)
        }
        let frozenFolder = Self.folder.appendingPathComponent("frozen_gru")
        let frozen = try TensorFile.open(frozenFolder.appendingPathComponent("model.pt").path)
        let storages = try XCTUnwrap(try json(frozenFolder.appendingPathComponent("model.json"))["constant_storages"] as? Int)
        let constants = try XCTUnwrap(frozen.otherItems.first { $0.name == "constants.pkl" }?.summary)
        XCTAssertEqual(constants, "\(storages) constants of the code, \(storages) tensors, unnamed "
                       + "(a torch.jit.freeze'd module keeps its weights there): not read")
        XCTAssertEqual(TorchScriptArchive.pythonName("__torch__.torch.nn.modules.rnn.___torch_mangle_0.LSTM"),
                       "torch.nn.modules.rnn.LSTM")
    }

    func testHostileModuleFilesAreRefusedNamingTheGlobal() throws {
        let hostile = Self.folder.appendingPathComponent("hostile")
        let sidecars = try FileManager.default.contentsOfDirectory(at: hostile, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path }
        XCTAssertGreaterThanOrEqual(sidecars.count, 5)
        for sidecar in sidecars {
            let expected = try json(sidecar)
            let path = hostile.appendingPathComponent(expected["file"] as? String ?? "").path
            let global = try XCTUnwrap(expected["refused_global"] as? String)
            XCTAssertThrowsError(try TensorFile.open(path), path) { error in
                XCTAssertEqual((error as? TensorFileError)?.file, path)
                guard case .unpickling(let refusal, _)? = (error as? TensorFileError)?.reason else { return XCTFail("\(error)") }
                switch refusal.reason {
                case .refusedGlobal(let refused), .refusedCall(let refused): XCTAssertEqual(refused.description, global, path)
                default: XCTFail("\(error)")
                }
            }
        }
    }
}
