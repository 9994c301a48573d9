import RNNLayouts
import TensorFiles
import XCTest
@testable import RNNEngine

/// The engine's handling of cells beyond PyTorch's (numbers against
/// onnxruntime and Keras: Tests/RNNConvertTests/VariantFixtureTests.swift):
/// the packed kernels decline them, so every path gives the reference path's
/// numbers; a variant changes the numbers; inconsistent variants are refused.
final class VariantEngineTests: XCTestCase {
    private func module(_ architecture: RNNArchitecture, variant: CellVariant, peepholes: Bool = false) throws -> RNNModule {
        var module = try TestModules.pytorchInitialised(architecture, seed: 11)
        module.architecture.variant = variant
        if peepholes {
            module.architecture.variant.peepholes = true
            let width = 3 * architecture.hiddenSize
            for slice in 0 ..< architecture.numLayers * architecture.directions {
                module.peepholes.slices[slice] = Tensor(shape: [width], floats: (0 ..< width).map { Float($0 % 7) * 0.1 - 0.3 })
            }
        }
        return module
    }

    private func input(steps: Int, batch: Int, features: Int) -> Tensor {
        Tensor(shape: [steps, batch, features], floats: (0 ..< steps * batch * features).map { Float(($0 * 37) % 23) / 11 - 1 })
    }

    func testEveryPathRunsTheReferencePathForAVariant() throws {
        let cases: [(RNNArchitecture, CellVariant, Bool)] = [
            (RNNArchitecture(mode: .lstm, inputSize: 6, hiddenSize: 40, numLayers: 2, bidirectional: true),
             CellVariant(gate: .keras2HardSigmoid, clip: 0.9, inputForget: true), true),
            (RNNArchitecture(mode: .gru, inputSize: 6, hiddenSize: 33), CellVariant(candidate: .relu, linearBeforeReset: false, direction: .reverse), false),
            (RNNArchitecture(mode: .gru, inputSize: 6, hiddenSize: 20, bidirectional: true), CellVariant(merge: .ave), false),
            (RNNArchitecture(mode: .rnn, inputSize: 6, hiddenSize: 17, numLayers: 2), CellVariant(candidate: .sigmoid, direction: .backwards), false),
        ]
        for (architecture, variant, peepholes) in cases {
            let module = try module(architecture, variant: variant, peepholes: peepholes)
            let x = input(steps: 7, batch: 5, features: 6)
            let network = try RNNNetwork(module: module)
            let reference = try network.forward(input: x, options: ExecutionOptions(threads: 1, kernels: .reference)).output.floats()
            for kernels in [ExecutionOptions.Kernels.avx2, .portable, .automatic] {
                let fast = try network.forward(input: x, options: ExecutionOptions(threads: 2, kernels: kernels)).output.floats()
                XCTAssertEqual(fast, reference, "\(variant) with \(kernels): the packed kernels must decline a variant")
            }
            // The variant changes the numbers: PyTorch's cell on the same weights differs.
            var plain = module
            plain.architecture.variant = .pytorch
            plain.peepholes = PeepholeWeights()
            let pytorch = try RNNNetwork(module: plain).forward(input: x).output.floats()
            if variant.merge == .concat {
                XCTAssertGreaterThan(zip(pytorch, reference).map { abs($0 - $1) }.max() ?? 0, 1e-3, "\(variant)")
            }
        }
    }

    func testInconsistentVariantsAreRefused() throws {
        let gru = RNNArchitecture(mode: .gru, inputSize: 3, hiddenSize: 4)
        let lstm = RNNArchitecture(mode: .lstm, inputSize: 3, hiddenSize: 4)
        let cases: [(RNNArchitecture, CellVariant, [ModuleProblem])] = [
            (gru, CellVariant(peepholes: true), [.optionNotApplicable(.peepholes, mode: .gru), .missingPeepholes(layer: 0, reverse: nil, expected: 12)]),
            (gru, CellVariant(inputForget: true), [.optionNotApplicable(.inputForget, mode: .gru)]),
            (lstm, CellVariant(peepholes: true), [.missingPeepholes(layer: 0, reverse: nil, expected: 12)]),
            (lstm, CellVariant(linearBeforeReset: false), [.optionNotApplicable(.resetBeforeLinear, mode: .lstm)]),
            (gru, CellVariant(merge: .sum), [.mergeWithoutTwoDirections(.sum)]),
            (RNNArchitecture(mode: .gru, inputSize: 3, hiddenSize: 4, bidirectional: true), CellVariant(direction: .reverse),
             [.directionOnBidirectional(.reverse)]),
            (gru, CellVariant(clip: -1), [.invalidClip(-1)]),
            (RNNArchitecture(mode: .rnn, inputSize: 3, hiddenSize: 4), CellVariant(gate: .relu), [.activationNotApplicable(mode: .rnn, gate: .relu, output: .tanh)]),
        ]
        for (architecture, variant, problems) in cases {
            let module = try module(architecture, variant: variant)
            XCTAssertThrowsError(try RNNNetwork(module: module)) { error in
                XCTAssertEqual(error as? EngineError, .invalidModule(module: module.path, problems: problems), "\(variant)")
            }
        }
        // relu contradicts a recorded sigmoid RNN activation.
        let sigmoid = try module(RNNArchitecture(mode: .rnn, inputSize: 3, hiddenSize: 4), variant: CellVariant(candidate: .sigmoid))
        XCTAssertThrowsError(try RNNNetwork(module: sigmoid, nonlinearity: .relu)) { error in
            XCTAssertEqual(error as? EngineError,
                           .invalidModule(module: sigmoid.path, problems: [.nonlinearityContradictsActivation(.relu, recorded: .sigmoid)]))
        }
        XCTAssertNoThrow(try RNNNetwork(module: sigmoid))
        // go_backwards with sequences of different lengths is refused.
        let backwards = try module(RNNArchitecture(mode: .gru, inputSize: 3, hiddenSize: 4), variant: CellVariant(direction: .backwards))
        XCTAssertThrowsError(try RNNNetwork(module: backwards).forward(input: input(steps: 4, batch: 2, features: 3), lengths: [4, 2])) { error in
            XCTAssertEqual(error as? EngineError, .backwardsWithUnequalLengths(module: backwards.path))
        }
    }
}
