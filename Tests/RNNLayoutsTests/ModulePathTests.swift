import RNNLayouts
import TensorFiles
import XCTest

/// A module path parses what users type, shows the root as `(root)` and
/// qualifies tensor names as PyTorch's state_dict does.
final class ModulePathTests: XCTestCase {
    func testRootIsParsedFromBothSpellingsAndShownAsRoot() {
        XCTAssertEqual(ModulePath(parsing: "(root)"), .root)
        XCTAssertEqual(ModulePath(parsing: ""), .root)
        XCTAssertTrue(ModulePath.root.isRoot)
        XCTAssertEqual(ModulePath.root.description, "(root)")
        XCTAssertEqual(ModulePath(parsing: "encoder.lstm").prefix, "encoder.lstm")
        XCTAssertEqual("\(ModulePath("encoder.lstm"))", "encoder.lstm")
    }

    func testQualifiedNamesJoinWithADotExceptAtTheRoot() {
        XCTAssertEqual(ModulePath.root.qualify("weight_ih_l0"), "weight_ih_l0")
        XCTAssertEqual(ModulePath("encoder.lstm").qualify("weight_ih_l0"), "encoder.lstm.weight_ih_l0")
    }

    func testInspectedModulesCarryTheirPath() throws {
        let architecture = RNNArchitecture(mode: .gru, inputSize: 3, hiddenSize: 2)
        for prefix in ["", "decoder.gru"] {
            let path = ModulePath(prefix)
            let tensors = architecture.parameterNames.map { parameter in
                NamedTensor(name: path.qualify(parameter.text),
                            tensor: Tensor(shape: architecture.expectedShape(of: parameter),
                                           floats: [Float](repeating: 0.5, count: architecture.expectedShape(of: parameter).reduce(1, *))))
            }
            let module = try Inspector.inspect(tensors).selectModule(named: prefix.isEmpty ? "(root)" : prefix)
            XCTAssertEqual(module.path, path)
            XCTAssertEqual(module.displayName, path.description)
            XCTAssertEqual(module.qualifiedName(of: architecture.parameterNames[0]), tensors[0].name)
        }
    }
}

/// Selection errors carry the modules, and the library's wording names no CLI flag.
final class ModuleSelectionErrorTests: XCTestCase {
    func testSeveralModulesAreListedAsACase() throws {
        let architecture = RNNArchitecture(mode: .gru, inputSize: 3, hiddenSize: 2)
        let tensors = ["dec", "enc"].flatMap { prefix in
            architecture.parameterNames.map { parameter in
                let shape = architecture.expectedShape(of: parameter)
                return NamedTensor(name: ModulePath(prefix).qualify(parameter.text),
                                   tensor: Tensor(shape: shape, floats: [Float](repeating: 0.5, count: shape.reduce(1, *))))
            }
        }
        XCTAssertThrowsError(try Inspector.inspect(tensors).selectModule(named: nil)) { error in
            XCTAssertEqual(error as? LayoutError, .severalModules(["dec", "enc"].map {
                LayoutError.ModuleEntry(path: ModulePath($0), mode: .gru, inputSize: 3)
            }))
            // The library names the option, never a CLI flag.
            XCTAssertEqual("\(error)", "the file holds 2 modules; choose one with the module option: 'dec' (GRU), 'enc' (GRU)")
        }
        XCTAssertThrowsError(try Rename(parsing: "nonsense")) { error in
            XCTAssertEqual(error as? LayoutError, .malformedRename("nonsense"))
            XCTAssertEqual("\(error)", "the rename option 'nonsense': expected OLD=NEW, e.g. enc_w_ih=enc.weight_ih_l0")
        }
    }
}
