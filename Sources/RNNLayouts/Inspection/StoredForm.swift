/// How a file stores a recurrent weight that is missing under its own name:
/// the forms `torch.nn.utils` leaves in a state dict when a module's weight
/// is computed from other tensors. rnnkit does not compute them (except
/// WeightDrop's, which is the weight itself at inference); `Problem.message`
/// says what the file holds and how to save the plain weight.
public enum StoredForm: Equatable, Sendable {
    /// `torch.nn.utils.parametrize` (`parametrizations.weight_norm`,
    /// `orthogonal`, …): `<prefix>.parametrizations.<name>.original…` tensors.
    case parametrization(tensor: String, names: [String])
    /// Legacy `torch.nn.utils.weight_norm`: `<name>_g` and `<name>_v`, w = g·v/‖v‖.
    case weightNorm(tensor: String, g: String, v: String)
    /// `torch.nn.utils.prune`: `<name>_orig` and `<name>_mask`, w = orig·mask.
    case pruned(tensor: String, original: String, mask: String)
    /// WeightDrop (AWD-LSTM): `<name>_raw`, the weight itself at inference
    /// (its dropout is off).
    case weightDrop(tensor: String, raw: String)

    /// The form in which `names` hold `tensor` (a qualified parameter name,
    /// `encoder.weight_hh_l0`), or nil.
    public static func find(_ tensor: String, in names: Set<String>) -> StoredForm? {
        let leaf = Self.leaf(tensor)
        let prefix = String(tensor.dropLast(leaf.count))  // "" or "encoder."
        let parametrized = "\(prefix)parametrizations.\(leaf)."
        let found = names.filter { $0.hasPrefix(parametrized) }.sorted()
        if !found.isEmpty { return .parametrization(tensor: tensor, names: found) }
        if names.contains(tensor + "_g"), names.contains(tensor + "_v") {
            return .weightNorm(tensor: tensor, g: tensor + "_g", v: tensor + "_v")
        }
        if names.contains(tensor + "_orig"), names.contains(tensor + "_mask") {
            return .pruned(tensor: tensor, original: tensor + "_orig", mask: tensor + "_mask")
        }
        if names.contains(tensor + "_raw") { return .weightDrop(tensor: tensor, raw: tensor + "_raw") }
        return nil
    }

    /// What the file holds instead, and how to get the plain weight.
    public var advice: String {
        switch self {
        case .parametrization(let tensor, let names):
            return "the file stores it as a torch parametrization (\(names.joined(separator: ", "))), which rnnkit does not "
                + "compute: save the state dict after torch.nn.utils.parametrize.remove_parametrizations(module, '\(Self.leaf(tensor))')"
        case .weightNorm(let tensor, let g, let v):
            return "the file stores it as weight_norm's \(g) and \(v) (w = g·v/‖v‖), which rnnkit does not compute: "
                + "save the state dict after torch.nn.utils.remove_weight_norm(module, '\(Self.leaf(tensor))')"
        case .pruned(let tensor, let original, let mask):
            return "the file stores it pruned, as \(original) and \(mask) (w = orig·mask), which rnnkit does not compute: "
                + "save the state dict after torch.nn.utils.prune.remove(module, '\(Self.leaf(tensor))')"
        case .weightDrop(let tensor, let raw):
            return "the file stores \(raw) (WeightDrop, as in AWD-LSTM), which is this weight at inference: rename \(raw) to \(tensor)"
        }
    }

    private static func leaf(_ tensor: String) -> String {
        tensor.split(separator: ".").last.map(String.init) ?? tensor
    }
}
