/// The tensors a saved recurrent module object's forward passes to its
/// recurrence: for PyTorch's `nn.RNN`/`nn.LSTM`/`nn.GRU` the `_flat_weights`
/// named by `_flat_weights_names` (run with the recorded `num_layers`,
/// `bidirectional`, `bias`, `proj_size`), for a cell its `weight_ih`,
/// `weight_hh`, `bias_ih`, `bias_hh`, for a traced module the weight list of
/// its traced call, for an exported program what the graph feeds the operator.
///
/// Anything else the module object holds — a buffer registered on it (`h0`,
/// `c0`, `lengths`, `weight_ih_l0_reverse` on a unidirectional module), a
/// parameter outside `_flat_weights` — is not used by that forward, so it is
/// set aside as an other item: it never becomes a stored initial state,
/// stored lengths (`<module>.h0`, `.lengths`, the convention for tensors
/// beside a *state dict*'s weights) or an extra layer or direction.
public struct RecurrentForwardWeights: Equatable, Sendable {
    /// The tensors' names inside the module (`weight_ih_l0`, …).
    var names: [String]
    /// Where the list was read, for the other items' summaries (`its _flat_weights`).
    var source: String

    /// How the summary of a tensor set aside begins: such an entry is not a
    /// weight rnnkit failed to read (`UnreadableTensor.among` skips it).
    public static let unusedSummary = "not used by the module's forward"

    /// Names of the cells' weights (a cell's forward uses these attributes).
    static let cellNames = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]

    /// `_flat_weights_names` as `nn.RNNBase.__init__` makes it from the settings.
    static func flatNames(layers: Int, bidirectional: Bool, bias: Bool, projSize: Int) -> [String] {
        var names: [String] = []
        for layer in 0 ..< max(0, layers) {
            for suffix in bidirectional ? ["", "_reverse"] : [""] {
                let all = ["weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"].map { "\($0)_l\(layer)\(suffix)" }
                names += (bias ? all[0 ..< 4] : all[0 ..< 2]) + (projSize > 0 ? [all[4]] : [])
            }
        }
        return names
    }

    /// Moves the tensors directly inside `module` (`""`: the root) that are
    /// not among `names` from `file.tensors` to `file.otherItems`.
    func setAside(in file: inout TensorFile, module: String, className: String) {
        let path = ModulePath(module)
        let used = Set(names.map(path.qualify))
        var kept: [NamedTensor] = []
        for named in file.tensors {
            guard ModulePath(owning: named.name).prefix == path.prefix, !used.contains(named.name) else {
                kept.append(named)
                continue
            }
            file.otherItems.append((named.name, "\(Self.unusedSummary) (tensor \(named.tensor.dtype.rawValue) "
                + "\(named.tensor.shape)): \(className)'s forward passes its recurrence only \(source), so rnnkit uses it "
                + "neither as a weight nor as a stored state or lengths"))
        }
        file.tensors = kept
    }
}
