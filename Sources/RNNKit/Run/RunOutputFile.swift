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
    package func execute(writingTo path: String, force: Bool) throws -> (module: RNNModule, output: RNNSentOutput) {
        try NPZWriter.stream(to: path, force: force) { stream in
            let result = try execute(sendingOutputTo: NPZMemberReceiver(stream: stream, name: "output"))
            try stream.end()
            try stream.add(NamedTensor(name: "h_n", tensor: result.output.hN))
            if let cN = result.output.cN { try stream.add(NamedTensor(name: "c_n", tensor: cN)) }
            return result
        }
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
