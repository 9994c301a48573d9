// What a user of RNNKit needs, re-exported one declaration at a time, so that
// `import RNNKit` is the one import and the engine's internals (BLAS, RunRequest,
// fixture plumbing) stay out of sight.

// Tensors and the files they live in.
@_exported import struct TensorFiles.Tensor
@_exported import struct TensorFiles.NamedTensor
@_exported import enum TensorFiles.DType
@_exported import protocol TensorFiles.BadInputError
@_exported import struct TensorFiles.TensorFileError
@_exported import struct TensorFiles.FileInputError
@_exported import enum TensorFiles.FileFormat
@_exported import enum TensorFiles.RequestOption
@_exported import protocol TensorFiles.OptionNamingError

// What a recurrent module is.
@_exported import struct RNNLayouts.RNNArchitecture
@_exported import enum RNNLayouts.RNNMode
@_exported import enum RNNLayouts.ModuleKind
@_exported import enum RNNLayouts.Nonlinearity
@_exported import struct RNNLayouts.Rename
@_exported import enum RNNLayouts.LayoutError

// Running it.
@_exported import struct RNNEngine.RNNOutput
@_exported import struct RNNEngine.ExecutionOptions
@_exported import enum RNNEngine.EngineError
@_exported import struct RNNLayouts.ModuleValidationError
@_exported import enum RNNLayouts.ModuleProblem
@_exported import enum RNNLayouts.ShapeReason

// Converting it.
@_exported import enum RNNConvert.ConversionError
@_exported import enum RNNConvert.TargetLimitation
@_exported import enum RNNConvert.GraphProblem
@_exported import enum RNNConvert.ModelFileProblem
@_exported import struct RNNConvert.ConversionResult
@_exported import enum RNNConvert.ConversionNote
@_exported import enum RNNConvert.ModuleNote
@_exported import struct RNNConvert.ModuleNoteEntry
@_exported import struct RNNConvert.OptionNaming
