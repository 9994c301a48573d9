/// The shapes PyTorch returns when a module runs on an input, and why.
///
/// For a layer stack (`nn.RNN`/`nn.GRU`/`nn.LSTM`) with `D` directions, `L`
/// layers, hidden size `H` and proj_size `P` (`S = P` if set, else `H`):
///
/// | input | output | h_n | c_n (LSTM) |
/// |---|---|---|---|
/// | `(T, B, F)` | `(T, B, D·S)` | `(D·L, B, S)` | `(D·L, B, H)` |
/// | `(B, T, F)` with batch_first | `(B, T, D·S)` | `(D·L, B, S)` | `(D·L, B, H)` |
/// | `(T, F)` unbatched | `(T, D·S)` | `(D·L, S)` | `(D·L, H)` |
///
/// A cell (`nn.LSTMCell`, …) computes one step; rnnkit runs it over the
/// sequence as a one-layer, one-direction network (the fixture contract's
/// convention), so it follows the table with `D = L = 1`.
public struct ShapeFlow: Equatable, Sendable {
    /// The module's architecture.
    public var architecture: RNNArchitecture
    /// The input the shapes are for.
    public var input: InputShape
    /// Shape of `output`: every step's last-layer `h`, directions concatenated.
    public var output: [Int]
    /// Shape of `h_n`: the final `h` of every layer and direction.
    public var hN: [Int]
    /// Shape of `c_n` (LSTM only): the final cell state of every layer and direction.
    public var cN: [Int]?

    /// Computes the shapes for `input`.
    ///
    /// - Parameter module: the module, named in the error.
    /// - Throws: `LayoutError.featuresMismatch` when the input's last dimension
    ///   is not the module's `input_size` (the message says the expected one).
    public init(architecture: RNNArchitecture, input: InputShape, module: ModulePath? = nil) throws {
        guard input.features == architecture.inputSize else {
            throw LayoutError.featuresMismatch(LayoutError.FeaturesMismatch(
                input: input, moduleClass: architecture.mode.pytorchClass(architecture.kind),
                module: module, inputSize: architecture.inputSize, weight: architecture.kind == .cell ? "weight_ih" : "weight_ih_l0",
                weightShape: [architecture.gateRows, architecture.inputSize], expected: input.sameLayout(lastDimension: architecture.inputSize)))
        }
        self.architecture = architecture
        self.input = input
        let rows = architecture.kind == .cell ? 1 : architecture.numLayers * architecture.directions
        let batch = input.batch.map { [$0] } ?? []
        output = input.sameLayout(lastDimension: architecture.kind == .cell ? architecture.hiddenSize : architecture.outputSize)
        hN = [rows] + batch + [architecture.stateSize]
        cN = architecture.mode == .lstm ? [rows] + batch + [architecture.hiddenSize] : nil
    }

    /// Computes the shapes for `module` and `input`.
    public init(module: RNNModule, input: InputShape) throws {
        try self.init(architecture: module.architecture, input: input, module: module.path)
    }

    /// Which row of `h_n` (and `c_n`) holds layer `layer`, direction
    /// `direction` (0 forward, 1 reverse): `layer · directions + direction`.
    public func row(layer: Int, direction: Int) -> Int {
        layer * architecture.directions + direction
    }
}
