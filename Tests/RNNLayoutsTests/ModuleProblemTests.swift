import TensorFiles
import XCTest
@testable import RNNLayouts

/// The exact wording of the most common problems, and that a problem's
/// `description` is `tensor: message` with shapes printed as `torch.Size` is.
final class ModuleProblemTests: XCTestCase {
    func testMissingTensorWording() {
        let problem = ModuleProblem.missingTensor(tensor: "enc.bias_hh_l1", expected: [20], reason: .biasPerRow(.gates(.lstm, hiddenSize: 5)),
                                                  evidence: .bias(layers: [0]))
        XCTAssertEqual(problem.tensor, "enc.bias_hh_l1")
        XCTAssertEqual(problem.description, "enc.bias_hh_l1: missing; expected shape (20,): "
            + "one bias per row of weight_ih: 4 gate blocks (i, f, g, o) × hidden_size 5; "
            + "the module has bias tensors (found on layer 0 only), so it was built with bias=True, "
            + "and then every layer and direction has both bias_ih and bias_hh")
    }

    func testMisshapedTensorWording() {
        let reason = ShapeReason.matrix(rows: .gates(.lstm, hiddenSize: 5), columns: .hiddenSize(5))
        let problem = ModuleProblem.misshapedTensor(tensor: "weight_hh_l0", shape: [5, 20], expected: [20, 5], reason: reason,
                                                    hint: .transposed)
        XCTAssertEqual(problem.description, "weight_hh_l0: shape (5, 20), expected (20, 5): "
            + "rows = 4 gate blocks (i, f, g, o) × hidden_size 5; columns = hidden_size 5; "
            + "it looks transposed (PyTorch stores (out_features, in_features); Keras stores the transpose)")
        let plain = ModuleProblem.misshapedTensor(tensor: "w", shape: [2, 5], expected: [2, 6], reason: .projection(hiddenSize: 6, projSize: 2),
                                                  hint: nil)
        XCTAssertEqual(plain.description, "w: shape (2, 5), expected (2, 6): projects hidden_size 6 down to proj_size 2")
    }

    func testModuleWideProblemsAndTheErrorNameNoFlag() {
        let problem = ModuleProblem.nonlinearityNotApplicable(.relu, mode: .lstm)
        XCTAssertNil(problem.tensor)
        XCTAssertEqual(problem.description, "nonlinearity relu applies to RNN modules only; an LSTM's activations are fixed")
        let error = ModuleValidationError(module: .root, problems: [problem, .invalidClip(-1)])
        XCTAssertEqual(error.description, "module '(root)' is not valid: nonlinearity relu applies to RNN modules only; "
            + "an LSTM's activations are fixed; clip -1.0 must be a positive finite number")
    }

    func testInspectionProblemKeepsTheCase() {
        let problem = ModuleProblem.notFloatingPoint(tensor: "weight_ih", dtype: .int8)
        let inspected = Problem(problem)
        XCTAssertEqual(inspected.moduleProblem, problem)
        XCTAssertEqual(inspected.description, problem.description)
        XCTAssertEqual(inspected.tensor, "weight_ih")
    }
}
