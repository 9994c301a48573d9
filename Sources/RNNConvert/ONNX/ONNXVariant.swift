import RNNLayouts

/// The ONNX spelling of the cell options beyond PyTorch's (`CellVariant`):
/// `activations` / `activation_alpha` / `activation_beta`,
/// `linear_before_reset`, the `P` input, `clip`, `input_forget`, `direction`.
enum ONNXVariant {
    /// Why `architecture`'s variant cannot be written as ONNX operators, or nil.
    static func unsupportedReason(_ architecture: RNNArchitecture) -> String? {
        let v = architecture.variant
        guard !v.isPyTorch else { return nil }
        if architecture.bidirectional, v.merge != .concat {
            return "directions merged by \(v.merge.rawValue) (Keras merge_mode=\"\(v.merge.rawValue)\"): ONNX's recurrent operators output "
                + "both directions apart, and rnnkit writes one operator per layer; convert to .keras, which keeps it"
        }
        if v.direction == .backwards {
            return "go_backwards=True (outputs in reading order): ONNX direction=\"reverse\" outputs each step at its own position; convert to .keras"
        }
        return "rnnkit does not write this cell to ONNX yet: " + (architecture.variantDifferences.first ?? "")
    }
}
