// What the `rnnkit` command-line tool uses beyond the public surface, at
// `package` access: visible to the targets of this package (the CLI imports
// RNNKit alone), invisible to a user of the library.

import RNNConvert
import RNNEngine
import RNNLayouts
import TensorFiles

// Inspecting.
package typealias ModelSource = RNNConvert.ModelSource
package typealias ModuleHints = RNNConvert.ModuleHints
package typealias Inspector = RNNLayouts.Inspector
package typealias Inspection = RNNLayouts.Inspection
package typealias RNNModule = RNNLayouts.RNNModule
package typealias ParameterName = RNNLayouts.ParameterName
package typealias Problem = RNNLayouts.Problem
package typealias InputShape = RNNLayouts.InputShape
package typealias ShapeFlow = RNNLayouts.ShapeFlow

// Running, verifying, timing.
package typealias RNNNetwork = RNNEngine.RNNNetwork
package typealias ComputeType = RNNEngine.ComputeType
package typealias TensorComparison = RNNEngine.TensorComparison
package typealias Tolerance = RNNEngine.Tolerance

// Converting and writing.
package typealias Converter = RNNConvert.Converter
package typealias ConversionRequest = RNNConvert.ConversionRequest
package typealias KerasConfigKeys = RNNConvert.KerasConfigKeys
package typealias ONNXOperatorTable = RNNConvert.ONNXOperatorTable
package typealias AtomicOutput = TensorFiles.AtomicOutput
package typealias NPZWriter = TensorFiles.NPZWriter

/// Ends OpenBLAS's idle worker threads (`BLAS.stopIdleThreads`): for a
/// command that runs no BLAS (`convert`), or only where a pass needs it
/// (`run`, `verify`: the packed path with oneDNN's GEMM calls none, and a
/// pass that does starts them again), whose CPU they would otherwise spin
/// away for its first ~0.1–0.25 s, on the cores the team computes on.
package func stopIdleBLASThreads() {
    BLAS.stopIdleThreads()
}

/// `(3, 4, 5)`: a shape as every message prints it.
package func shapeText(_ shape: [Int]) -> String {
    RNNLayouts.shapeText(shape)
}
