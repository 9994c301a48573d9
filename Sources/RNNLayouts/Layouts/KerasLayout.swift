import Foundation
import TensorFiles

/// How PyTorch's recurrent parameters map onto Keras 3's `LSTM`, `GRU`
/// (`reset_after=True`) and `SimpleRNN` layers, one Keras layer (wrapped in
/// `Bidirectional` when bidirectional) per PyTorch layer.
///
/// Per layer and direction a Keras cell holds
/// - `kernel` `(layer input, gates·hidden)` = `weight_ih`ᵀ, gate columns reordered;
/// - `recurrent_kernel` `(hidden, gates·hidden)` = `weight_hh`ᵀ, likewise;
/// - `bias`: LSTM and SimpleRNN `(gates·hidden)` = `bias_ih + bias_hh` (one
///   merged bias; read back as `bias_ih` = merged, `bias_hh` = 0); GRU
///   `(2, 3·hidden)` = `[bias_ih, bias_hh]`, each reordered.
///
/// Gate blocks: Keras LSTM is `i, f, c, o` = PyTorch's `i, f, g, o` (same
/// order); Keras GRU is `z, r, h` where PyTorch is `r, z, n`; SimpleRNN has
/// one block. Weights move as whole blocks, so their bytes survive unchanged.
public enum KerasLayout {
    /// The Keras layer class for `mode`: `LSTM`, `GRU` or `SimpleRNN`.
    public static func layerClass(_ mode: RNNMode) -> String {
        switch mode {
        case .lstm: return "LSTM"
        case .gru: return "GRU"
        case .rnn: return "SimpleRNN"
        }
    }

    /// The mode whose Keras layer class is `name`, if any.
    public static func mode(ofLayerClass name: String) -> RNNMode? {
        RNNMode.allCases.first { layerClass($0) == name }
    }

    /// The layer class that is `RNN` around a cell of class `name`
    /// (`LSTMCell` → `LSTM`, `GRUCell` → `GRU`, `SimpleRNNCell` → `SimpleRNN`).
    public static func layerClass(ofCellClass name: String) -> String? {
        RNNMode.allCases.map { layerClass($0) }.first { $0 + "Cell" == name }
    }

    /// The name Keras gives the layer's cell: `lstm_cell`, `gru_cell`, `simple_rnn_cell`.
    public static func cellName(_ mode: RNNMode) -> String {
        snakeCase(layerClass(mode)) + "_cell"
    }

    /// The gate blocks in Keras's column order.
    public static func gateNames(_ mode: RNNMode) -> [String] {
        switch mode {
        case .lstm: return ["i", "f", "c", "o"]
        case .gru: return ["z", "r", "h"]
        case .rnn: return ["h"]
        }
    }

    /// For each Keras gate block, the index of the PyTorch block it holds:
    /// LSTM `[0, 1, 2, 3]`, GRU `[1, 0, 2]` (z←z, r←r, h←n), RNN `[0]`.
    /// Each permutation is its own inverse.
    public static func pytorchBlock(forKerasBlock mode: RNNMode) -> [Int] {
        switch mode {
        case .lstm: return [0, 1, 2, 3]
        case .gru: return [1, 0, 2]
        case .rnn: return [0]
        }
    }

    /// Keras's `to_snake_case` (`SimpleRNN` → `simple_rnn`, `Bidirectional` →
    /// `bidirectional`): the base of the weight-file path of a layer.
    public static func snakeCase(_ className: String) -> String {
        let characters = Array(className.filter { $0.isLetter || $0.isNumber || $0 == "_" })
        var result = ""
        for (index, character) in characters.enumerated() {
            if index > 0, character.isUppercase {
                let previous = characters[index - 1]
                let next = index + 1 < characters.count ? characters[index + 1] : nil
                // "(.)([A-Z][a-z]+)" and "([a-z])([A-Z])" in Keras's regular expressions.
                if previous.isLowercase || (next?.isLowercase ?? false) { result.append("_") }
            }
            result.append(character)
        }
        return result.lowercased()
    }

    // MARK: Shapes

    /// `kernel` of `layer`: `(layer input, gates·hidden)`.
    public static func kernelShape(_ architecture: RNNArchitecture, layer: Int) -> [Int] {
        [architecture.layerInputSize(layer), architecture.gateRows]
    }

    /// `recurrent_kernel`: `(hidden, gates·hidden)`.
    public static func recurrentKernelShape(_ architecture: RNNArchitecture) -> [Int] {
        [architecture.hiddenSize, architecture.gateRows]
    }

    /// `bias`: GRU `(2, 3·hidden)`, else `(gates·hidden)`.
    public static func biasShape(_ architecture: RNNArchitecture) -> [Int] {
        architecture.mode == .gru ? [2, architecture.gateRows] : [architecture.gateRows]
    }

    // MARK: Variables

    /// One direction of one layer in Keras's form.
    public struct Variables: Sendable {
        /// `(input, gates·hidden)`.
        public var kernel: Tensor
        /// `(hidden, gates·hidden)`.
        public var recurrentKernel: Tensor
        /// `(gates·hidden)`, GRU `(2, 3·hidden)`; nil for `use_bias=False`.
        public var bias: Tensor?

        /// Creates the variables.
        public init(kernel: Tensor, recurrentKernel: Tensor, bias: Tensor?) {
            self.kernel = kernel
            self.recurrentKernel = recurrentKernel
            self.bias = bias
        }

        /// In the order Keras stores them (`vars/0`, `vars/1`, `vars/2`).
        public var list: [Tensor] { [kernel, recurrentKernel] + (bias.map { [$0] } ?? []) }
    }

    /// One direction of one layer in PyTorch's form.
    public struct Parameters: Sendable {
        /// `weight_ih` `(gates·hidden, input)`.
        public var weightIH: Tensor
        /// `weight_hh` `(gates·hidden, hidden)`.
        public var weightHH: Tensor
        /// `bias_ih` and `bias_hh` `(gates·hidden)`, or nil for `bias=False`.
        public var biases: (ih: Tensor, hh: Tensor)?

        /// Creates the parameters.
        public init(weightIH: Tensor, weightHH: Tensor, biases: (ih: Tensor, hh: Tensor)?) {
            self.weightIH = weightIH
            self.weightHH = weightHH
            self.biases = biases
        }
    }

    /// PyTorch's tensors of one direction in Keras's form. The tensors share
    /// one floating-point dtype and have PyTorch's shapes (the caller checks);
    /// the merged LSTM/SimpleRNN bias is `bias_ih + bias_hh` rounded once to
    /// that dtype.
    public static func kerasVariables(_ parameters: Parameters, mode: RNNMode) throws -> Variables {
        let kernel = try toKeras(parameters.weightIH, mode: mode)
        let recurrent = try toKeras(parameters.weightHH, mode: mode)
        guard let (ih, hh) = parameters.biases else {
            return Variables(kernel: kernel, recurrentKernel: recurrent, bias: nil)
        }
        let order = pytorchBlock(forKerasBlock: mode)
        if mode == .gru {
            var rows = ONNXLayout.reorderBlocks(try ih.data(), taking: order)
            rows.append(ONNXLayout.reorderBlocks(try hh.data(), taking: order))
            let bias = try Tensor(dtype: ih.dtype, shape: [2] + ih.shape, data: rows)
            return Variables(kernel: kernel, recurrentKernel: recurrent, bias: bias)
        }
        let sum = zip(try ih.doubles(), try hh.doubles()).map { $0 + $1 }
        let merged = try Tensor(shape: ih.shape, doubles: sum).converted(to: ih.dtype)
        return Variables(kernel: kernel, recurrentKernel: recurrent, bias: merged)
    }

    /// Keras's variables of one direction in PyTorch's form: kernels
    /// transposed and reordered (bytes unchanged); a merged bias becomes
    /// `bias_ih`, with `bias_hh` zeros of the same dtype; a GRU's two bias rows
    /// become `bias_ih` and `bias_hh`. Shapes must be Keras's (the caller checks).
    public static func pytorchParameters(_ variables: Variables, mode: RNNMode) throws -> Parameters {
        let weightIH = try toPyTorch(variables.kernel, mode: mode)
        let weightHH = try toPyTorch(variables.recurrentKernel, mode: mode)
        guard let bias = variables.bias else { return Parameters(weightIH: weightIH, weightHH: weightHH, biases: nil) }
        let order = pytorchBlock(forKerasBlock: mode)
        let data = try bias.data()
        if mode == .gru {
            let half = data.count / 2
            let rows = bias.shape.last ?? 0
            let ih = ONNXLayout.reorderBlocks(data.prefix(half), taking: order)
            let hh = ONNXLayout.reorderBlocks(data.suffix(half), taking: order)
            return Parameters(weightIH: weightIH, weightHH: weightHH, biases: (
                try Tensor(dtype: bias.dtype, shape: [rows], data: ih), try Tensor(dtype: bias.dtype, shape: [rows], data: hh)))
        }
        let zeros = try Tensor(dtype: bias.dtype, shape: bias.shape, data: Data(count: data.count))
        return Parameters(weightIH: weightIH, weightHH: weightHH, biases: (try bias.loaded(), zeros))
    }

    /// `(G·H, in)` → reorder row blocks → transpose → `(in, G·H)`.
    static func toKeras(_ weight: Tensor, mode: RNNMode) throws -> Tensor {
        let rows = weight.shape[0], columns = weight.shape[1]
        let reordered = ONNXLayout.reorderBlocks(try weight.data(), taking: pytorchBlock(forKerasBlock: mode))
        return try Tensor(dtype: weight.dtype, shape: [columns, rows],
                          data: transpose(reordered, rows: rows, columns: columns, itemSize: weight.dtype.itemSize))
    }

    /// `(in, G·H)` → transpose → reorder row blocks → `(G·H, in)`.
    static func toPyTorch(_ kernel: Tensor, mode: RNNMode) throws -> Tensor {
        let rows = kernel.shape[0], columns = kernel.shape[1]
        let transposed = transpose(try kernel.data(), rows: rows, columns: columns, itemSize: kernel.dtype.itemSize)
        return try Tensor(dtype: kernel.dtype, shape: [columns, rows],
                          data: ONNXLayout.reorderBlocks(transposed, taking: pytorchBlock(forKerasBlock: mode)))
    }

    /// A C-ordered `(rows, columns)` matrix of `itemSize`-byte elements, transposed.
    public static func transpose(_ data: Data, rows: Int, columns: Int, itemSize: Int) -> Data {
        data.withUnsafeBytes { raw in
            switch itemSize {
            case 2: return transpose(raw, rows: rows, columns: columns, as: UInt16.self)
            case 4: return transpose(raw, rows: rows, columns: columns, as: UInt32.self)
            case 8: return transpose(raw, rows: rows, columns: columns, as: UInt64.self)
            default: return StridedCopy.gather(raw, itemSize: itemSize, shape: [columns, rows], strides: [1, columns], offset: 0)
            }
        }
    }

    /// The transpose with whole elements moved at once, in tiles that stay in cache.
    private static func transpose<Element: FixedWidthInteger>(_ source: UnsafeRawBufferPointer, rows: Int, columns: Int,
                                                              as _: Element.Type) -> Data {
        let size = MemoryLayout<Element>.size
        var output = Data(count: rows * columns * size)
        output.withUnsafeMutableBytes { destination in
            let tile = 64
            for rowStart in stride(from: 0, to: rows, by: tile) {
                for columnStart in stride(from: 0, to: columns, by: tile) {
                    for row in rowStart ..< min(rowStart + tile, rows) {
                        for column in columnStart ..< min(columnStart + tile, columns) {
                            let value = source.loadUnaligned(fromByteOffset: (row * columns + column) * size, as: Element.self)
                            destination.storeBytes(of: value, toByteOffset: (column * rows + row) * size, as: Element.self)
                        }
                    }
                }
            }
        }
        return output
    }
}
