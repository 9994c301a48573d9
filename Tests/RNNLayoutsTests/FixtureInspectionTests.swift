import Foundation
import TensorFiles
import XCTest
@testable import RNNLayouts

/// The inspector on every fixture PyTorch wrote (Fixtures/): it finds every
/// module as PyTorch built it, nothing else, no problems, and the shape flow
/// PyTorch returned, in both layouts. Expected values come from fixture.json.
final class FixtureInspectionTests: XCTestCase {
    func fixtures() throws -> [(folder: URL, spec: FixtureSpec)] {
        let all = try FixtureSpec.all()
        if all.isEmpty { throw XCTSkip("Fixtures/ holds no fixture.json yet (make fixtures)") }
        XCTAssertGreaterThanOrEqual(all.count, 40, "the fixture contract asks for at least 40 configurations")
        return all
    }

    /// Runs `body` for every fixture; an error fails that fixture only.
    func forEachFixture(_ body: (String, URL, FixtureSpec) throws -> Void) throws {
        for (folder, spec) in try fixtures() {
            let name = folder.lastPathComponent
            do { try body(name, folder, spec) } catch { XCTFail("\(name): \(error)") }
        }
    }

    /// The fixture's tensors after its renames, inspected with the value check.
    func inspect(_ folder: URL, _ spec: FixtureSpec) throws -> (TensorFile, Inspection) {
        let file = try TensorFile.open(folder.appendingPathComponent(spec.weights).path)
        let renames = try spec.renames.map { try Rename(parsing: $0) }
        let tensors = try Rename.apply(renames, to: file.tensors)
        return (file, try Inspector.inspect(tensors, checkingValues: true))
    }

    func testEveryModuleOfEveryFixtureIsInferredAsPyTorchBuiltIt() throws {
        try forEachFixture { name, folder, spec in
            let (file, inspection) = try inspect(folder, spec)
            // The manifest names the family: npy for a folder of .npy, pytorch for both checkpoint formats.
            XCTAssertTrue(file.format.rawValue.hasPrefix(spec.format), "\(name): \(file.format)")
            XCTAssertEqual(inspection.problems, [], name)
            XCTAssertEqual(Set(inspection.modules.map(\.name)), Set(spec.modules.map(\.name)), name)
            for expected in spec.modules {
                guard let module = inspection.module(named: expected.name) else { continue }
                XCTAssertNotNil(expected.architecture, "\(name): unknown mode/kind/dtype in fixture.json")
                XCTAssertEqual(module.architecture, expected.architecture, "\(name) '\(expected.name)'")
                XCTAssertEqual(module.architecture.parameterCount, expected.parameters, "\(name) '\(expected.name)'")
            }
            XCTAssertEqual(Set(inspection.otherTensors.map(\.name)), Set(spec.otherTensors), name)
        }
    }

    func testShapeFlowMatchesPyTorchInBothLayouts() throws {
        try forEachFixture { name, folder, spec in
            let (_, inspection) = try inspect(folder, spec)
            let module = try inspection.selectModule(named: spec.module)
            let inputFile = try TensorFile.open(folder.appendingPathComponent(spec.inputs.input).path)
            let given = try XCTUnwrap(inputFile.tensors.first?.tensor.shape, name)
            let flow = try ShapeFlow(module: module, input: InputShape(given, batchFirst: spec.flags.batchFirst))
            XCTAssertEqual(flow.output, spec.shapes.output, name)
            XCTAssertEqual(flow.hN, spec.shapes.hN, name)
            XCTAssertEqual(flow.cN, spec.shapes.cN, name)

            // The same sequence in the other layout: output swaps its first two axes, h_n and c_n do not move.
            guard given.count == 3 else { return }
            let other = try ShapeFlow(module: module, input: InputShape([given[1], given[0], given[2]],
                                                                        batchFirst: !spec.flags.batchFirst))
            let output = spec.shapes.output
            XCTAssertEqual(other.output, [output[1], output[0], output[2]], name)
            XCTAssertEqual(other.hN, spec.shapes.hN, name)
            XCTAssertEqual(other.cN, spec.shapes.cN, name)
        }
    }

    func testWrongFeatureSizeIsRejectedForEveryFixture() throws {
        try forEachFixture { _, folder, spec in
            let (_, inspection) = try inspect(folder, spec)
            let module = try inspection.selectModule(named: spec.module)
            let features = module.architecture.inputSize + 1
            XCTAssertThrowsError(try ShapeFlow(module: module, input: InputShape([4, 2, features]))) { error in
                guard case LayoutError.featuresMismatch(let mismatch) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(mismatch.input.features, features)
                XCTAssertEqual(mismatch.inputSize, module.architecture.inputSize)
            }
        }
    }
}
