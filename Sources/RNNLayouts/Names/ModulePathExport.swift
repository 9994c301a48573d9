// `ModulePath` lives in TensorFiles (the PyTorch readers name modules with it);
// every module that imports RNNLayouts keeps seeing it.
@_exported import struct TensorFiles.ModulePath
