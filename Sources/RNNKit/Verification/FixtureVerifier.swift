import Foundation
import RNNEngine
import RNNLayouts
import TensorFiles

/// Runs fixtures and compares the engine's results with PyTorch's.
package enum FixtureVerifier {
    /// Runs the fixture in `folder` and compares `output`, `h_n` and (LSTM)
    /// `c_n` with `expected.npz`.
    ///
    /// - Parameters:
    ///   - atol: absolute tolerance; nil for the compute type's default.
    ///   - rtol: relative tolerance; nil for the compute type's default.
    ///   - execution: threads and kernels to run with (every choice must pass).
    ///   - fullPrecision: run a module that its framework computes below
    ///     float32 (a Keras dtype policy) in float32/float64; else it is refused.
    ///   - assumePyTorchForward: run a PyTorch module whose file names code
    ///     rnnkit cannot run (a class of its own, hooks) with PyTorch's forward.
    /// - Throws: any error that keeps the fixture from being read or run
    ///   (a missing file, a manifest that does not fit the weights, …).
    package static func verify(
        folder: String, atol: Double? = nil, rtol: Double? = nil,
        execution: ExecutionOptions = .automatic, fullPrecision: Bool = false, assumePyTorchForward: Bool = false
    ) throws -> FixtureResult {
        let fixture = try Fixture(folder: folder)
        var request = try fixture.request()
        request.execution = execution
        request.fullPrecision = fullPrecision
        request.assumePyTorchForward = assumePyTorchForward
        let (module, output) = try request.execute()
        let expectedFile = try TensorFile.open(fixture.expectedPath)
        let computeType = ComputeType(dtype: output.output.dtype) ?? .float32
        let defaults = Tolerance.default(for: computeType)
        let tolerance = Tolerance(atol: atol ?? defaults.atol, rtol: rtol ?? defaults.rtol)

        let produced: [(String, Tensor?)] = [("output", output.output), ("h_n", output.hN), ("c_n", output.cN)]
        var comparisons: [TensorComparison] = []
        for (name, actual) in produced {
            guard let expected = expectedFile.tensor(named: name) else {
                if actual == nil { continue }
                throw FixtureError(file: fixture.expectedPath, tensor: name, .referenceMissing(output: name, mode: module.architecture.mode))
            }
            comparisons.append(try TensorComparison.compare(name: name, actual: actual, expected: expected, tolerance: tolerance))
        }
        return FixtureResult(folder: folder, description: fixture.manifest.description,
                             summary: summary(module, computeType: computeType), comparisons: comparisons)
    }

    /// `LSTM layer 'encoder.lstm', 2 layers, bidirectional, proj_size 3, float32`.
    static func summary(_ module: RNNModule, computeType: ComputeType) -> String {
        let architecture = module.architecture
        var parts = ["\(architecture.mode.rawValue) \(architecture.kind.rawValue) '\(module.displayName)'"]
        if architecture.kind == .layer {
            parts.append("\(architecture.numLayers) layer\(architecture.numLayers == 1 ? "" : "s")")
            if architecture.bidirectional { parts.append("bidirectional") }
            if architecture.projSize > 0 { parts.append("proj_size \(architecture.projSize)") }
        }
        if !architecture.bias { parts.append("no bias") }
        parts.append("weights \(architecture.dtype.rawValue)")
        parts.append("computed in \(computeType.rawValue)")
        return parts.joined(separator: ", ")
    }
}

/// The outcome of running one fixture.
package struct FixtureResult: Sendable {
    /// The fixture folder.
    package var folder: String
    /// The fixture's one-line description, if any.
    package var description: String?
    /// What ran: `GRU layer, 2 layers, bidirectional, float32`.
    package var summary: String
    /// One comparison per expected tensor (`output`, `h_n`, `c_n`).
    package var comparisons: [TensorComparison]

    /// Whether every comparison passed.
    package var passed: Bool { comparisons.allSatisfy(\.passed) }
}
