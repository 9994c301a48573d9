// What a user of RNNKit needs, re-exported one declaration at a time, so that
// `import RNNKit` is the one import and the engine's internals (BLAS, RunRequest,
// fixture plumbing) stay out of sight. That includes every type an error case
// or note carries, so that a `switch` over an error needs no other import.

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
/// What a read of a mapped input does when its file shrank meanwhile (a command-line tool's choice).
@_exported import enum TensorFiles.InputFaults
/// Where a module sits in a model (`encoder.lstm`, or the root, shown as `(root)`): what errors and notes name a module by.
@_exported import struct TensorFiles.ModulePath

// Why a file could not be read or written: the payloads of `TensorFileError.Reason`.
/// The system call that failed on a path (`TensorFileError.Reason.unreadable`).
@_exported import enum TensorFiles.ReadOperation
/// What a path is when it is no regular file (`.wrongKind`).
@_exported import enum TensorFiles.FileKind
/// What is wrong with an NPY header (`.npyHeader`).
@_exported import enum TensorFiles.NPYHeaderProblem
/// What is wrong with a safetensors header (`.safetensorsHeader`).
@_exported import enum TensorFiles.SafetensorsHeaderProblem
/// An element type rnnkit does not read (`.unsupportedDType`).
@_exported import enum TensorFiles.DTypeProblem
/// A shape rnnkit does not read (`.badShape`).
@_exported import enum TensorFiles.ShapeProblem
/// A tensor name rnnkit refuses (`.badName`).
@_exported import enum TensorFiles.TensorNameProblem
/// What is wrong with a zip archive (`.zip`).
@_exported import enum TensorFiles.ZipProblem
/// What is wrong with an HDF5 file (`.hdf5`), and what libhdf5 reported.
@_exported import enum TensorFiles.HDF5Problem
/// A libhdf5 call that failed: the operation and libhdf5's error stack.
@_exported import struct TensorFiles.HDF5LibraryFailure
/// The libhdf5 operation that failed.
@_exported import enum TensorFiles.HDF5Operation
/// What is wrong with a PyTorch checkpoint's storages (`.torchStorage`).
@_exported import enum TensorFiles.TorchStorageProblem
/// What is wrong with a PyTorch checkpoint's layout (`.torchFormat`).
@_exported import enum TensorFiles.TorchFormatProblem
/// What a PyTorch checkpoint's pickle holds that rnnkit does not read (`.torchPickle`).
@_exported import enum TensorFiles.TorchPickleProblem
/// Why an output could not be written: the step and its `errno` (`.unwritable`).
@_exported import enum TensorFiles.OutputProblem
/// Why an output path was refused before writing (`.refusedOverwrite`).
@_exported import enum TensorFiles.OverwriteRefusal
/// Why a pickle was not read, and where (`.unpickling`).
@_exported import struct Pickle.PickleError
/// A global a pickle names (`PickleError.Reason.refusedGlobal`, `.refusedCall`).
@_exported import struct Pickle.PickleGlobal
/// A size limit a pickle exceeded (`PickleError.Reason.limitExceeded`).
@_exported import enum Pickle.PickleLimit
/// A pickle opcode (`PickleError.Reason.malformed`).
@_exported import enum Pickle.PickleOpcode
/// How a pickle's opcodes are malformed (`PickleError.Reason.malformed`).
@_exported import enum Pickle.PickleMalformation

// What a recurrent module is.
@_exported import struct RNNLayouts.RNNArchitecture
@_exported import enum RNNLayouts.RNNMode
@_exported import enum RNNLayouts.ModuleKind
@_exported import enum RNNLayouts.Nonlinearity
@_exported import struct RNNLayouts.Rename
@_exported import enum RNNLayouts.LayoutError
/// A PyTorch parameter name (`weight_ih_l0_reverse`): role, layer, direction.
@_exported import struct RNNLayouts.ParameterName
/// What keeps a group of tensors from being a module (`LayoutError.noModule`).
@_exported import struct RNNLayouts.Problem
/// An input's shape as a module reads it (`LayoutError.noModuleReads`).
@_exported import struct RNNLayouts.InputShape
/// What a module's cell computes beyond PyTorch's (`RNNArchitecture.variant`).
@_exported import struct RNNLayouts.CellVariant
/// A gate's activation (`CellVariant`, `ModuleProblem.activationNotApplicable`).
@_exported import enum RNNLayouts.GateActivation
/// The direction a one-direction layer runs (`CellVariant`, `ModuleProblem.directionOnBidirectional`).
@_exported import enum RNNLayouts.RecurrenceDirection
/// How two directions' outputs combine (`CellVariant`, `EngineError.maskAfterMerge`).
@_exported import enum RNNLayouts.DirectionMerge
/// The mask a model applies to a module's input (`ConversionError.maskNotRecorded`, `ModuleNote.inputMask`).
@_exported import struct RNNLayouts.InputMask
/// Why a module behind a mask cannot run (`InputMask.Source.refused`, `StoredInputError.maskRefused`).
@_exported import enum RNNLayouts.MaskRefusal

// Running it.
@_exported import struct RNNEngine.RNNOutput
/// What takes a pass's output as it is computed (`RNNModel.forward(…sendingOutputTo:)`).
@_exported import protocol RNNEngine.OutputReceiver
/// What a pass that sent its output to a receiver returns.
@_exported import struct RNNEngine.RNNSentOutput
@_exported import struct RNNEngine.ExecutionOptions
@_exported import enum RNNEngine.EngineError
@_exported import struct RNNLayouts.ModuleValidationError
@_exported import enum RNNLayouts.ModuleProblem
@_exported import enum RNNLayouts.ShapeReason
/// What shows that a missing tensor belongs to the module (`ModuleProblem.missingTensor`).
@_exported import enum RNNLayouts.MissingEvidence
/// What a misshaped tensor's shape suggests instead (`ModuleProblem.misshapedTensor`).
@_exported import enum RNNLayouts.ShapeHint
/// Why a tensor does not belong to the module (`ModuleProblem.unexpectedTensor`).
@_exported import enum RNNLayouts.UnexpectedReason
/// The element type a forward pass computes in (`EngineError.inputDType`).
@_exported import enum RNNEngine.ComputeType

// Converting it.
@_exported import enum RNNConvert.ConversionError
@_exported import enum RNNConvert.TargetLimitation
@_exported import enum RNNConvert.GraphProblem
@_exported import enum RNNConvert.ModelFileProblem
/// Why a Keras layer cannot be a PyTorch module (`ConversionError.refusedLayer`).
@_exported import enum RNNConvert.LayerRefusal
/// How a Keras 2 layer's listed variables do not fit its class (`ConversionError.layerVariables`).
@_exported import enum RNNConvert.Keras2VariableProblem
/// Why an ONNX node cannot be a PyTorch module (`ConversionError.refusedNode`).
@_exported import enum RNNConvert.NodeRefusal
/// How an ONNX node differs from the layer before it (`ConversionError.layersDiffer`).
@_exported import enum RNNConvert.StackDifference
/// A layer its framework computes below float32 (`RNNModel.reducedPrecision`, `ConversionError.reducedPrecision`).
@_exported import struct RNNConvert.ReducedPrecision
/// Code a PyTorch file names for a module that rnnkit cannot run (`RNNModel.unrunCode`).
@_exported import struct TensorFiles.UnrunModuleCode
@_exported import struct RNNConvert.ConversionResult
@_exported import enum RNNConvert.ConversionNote
@_exported import enum RNNConvert.ModuleNote
@_exported import struct RNNConvert.ModuleNoteEntry
@_exported import struct RNNConvert.OptionNaming
