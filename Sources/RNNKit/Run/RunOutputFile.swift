import Foundation
import RNNEngine
import RNNLayouts
import TensorFiles

extension RunRequest {
    /// Runs the request (`execute`) and writes `output`, `h_n` and, for an
    /// LSTM, `c_n` to the `.npz` file `path`, atomically (`AtomicOutput`:
    /// on any error or signal no file is left; `force` lets it replace a
    /// file that is not one of the request's inputs). The output goes to the
    /// file while the pass computes it (`OutputReceiver`), so that the disk
    /// writes meanwhile instead of after the last step.
    ///
    /// - Throws: `RunOutputNameError` before anything runs when `path` does
    ///   not end in `.npz`.
    package func execute(writingTo path: String, force: Bool) throws -> (module: RNNModule, output: RNNSentOutput) {
        guard path.lowercased().hasSuffix(".npz") else { throw RunOutputNameError(path: path) }
        return try NPZWriter.stream(to: path, force: force) { stream in
            let result = try execute(sendingOutputTo: NPZMemberReceiver(stream: stream, name: "output"))
            try stream.end()
            try stream.add(NamedTensor(name: "h_n", tensor: result.output.hN))
            if let cN = result.output.cN { try stream.add(NamedTensor(name: "c_n", tensor: cN)) }
            return result
        }
    }
}

/// A run's output path that does not end in `.npz`. A run writes output,
/// `h_n` and `c_n` into one NPZ archive; under another name (`out.safetensors`,
/// `out.h5`) the file would claim a container it is not, and whoever opens it
/// with that format's library would fail.
public struct RunOutputNameError: BadInputError, Equatable {
    /// The output path as given.
    public let path: String

    public var description: String {
        let suffix = (path as NSString).pathExtension
        let named = suffix.isEmpty ? "has no suffix" : "ends in '.\(suffix)'"
        return "\(path): a run writes an .npz archive (output, h_n, c_n) and this name \(named); "
            + "name it *.npz (rnnkit convert turns the .npz into another container)"
    }
}

/// Receives a forward pass's output as the member `name` of an `.npz` being written.
private final class NPZMemberReceiver: OutputReceiver {
    private let stream: NPZStream
    private let name: String

    init(stream: NPZStream, name: String) {
        self.stream = stream
        self.name = name
    }

    func begin(shape: [Int], dtype: DType) throws {
        try stream.begin(name, dtype: dtype, shape: shape)
    }

    func receive(_ bytes: UnsafeRawBufferPointer) throws {
        try stream.append(bytes)
    }
}
