import Foundation
import TensorFiles

extension Tensor {
    /// Reads the one array stored at `url`: a `.npy` file, or any container
    /// rnnkit reads (NPZ, HDF5, safetensors, PyTorch checkpoint) holding a
    /// single tensor.
    ///
    /// The array is read into memory; its dtype and shape are the file's.
    ///
    /// - Parameter url: the file to read.
    ///
    /// - Throws: `TensorFileError` naming the file when it cannot be read, is
    ///   damaged, or holds no or several arrays.
    public init(contentsOf url: URL) throws {
        try self.init(contentsOfFile: url.path)
    }

    /// ``init(contentsOf:)`` for a path, named in errors as given.
    package init(contentsOfFile path: String) throws {
        let file = try TensorFile.open(path)
        guard file.tensors.count == 1 else {
            throw TensorFileError(file: path, .notOneTensor(file.tensors.map(\.name)))
        }
        self = try file.tensors[0].tensor.loaded()
    }

    /// Writes the tensor to `url` as a `.npy` file (atomically: on any error
    /// no file is left).
    ///
    /// - Parameters:
    ///   - url: the `.npy` file to write.
    ///   - overwrite: whether an existing file at `url` may be replaced.
    /// - Throws: `TensorFileError` when the file exists (and `overwrite` is
    ///   false) or cannot be written.
    public func write(to url: URL, overwrite: Bool = false) throws {
        try AtomicOutput.checkWritable(url.path, inputs: [], force: overwrite)
        try NPYWriter.write(self, to: url.path, force: overwrite)
    }
}
