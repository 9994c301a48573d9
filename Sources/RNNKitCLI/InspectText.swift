import Foundation
import RNNKit

/// The human output of `rnnkit inspect`: a table per module, the PyTorch
/// call that rebuilds it, what the weights cannot tell, the shape flow, the
/// other tensors and the problems.
extension InspectReport {
    func text() -> String {
        let totalBytes = file.tensors.reduce(0) { $0 + $1.tensor.byteCount }
        var lines = [
            "\(file.path): \(formatName), \(file.tensors.count) tensor\(file.tensors.count == 1 ? "" : "s"), \(byteText(totalBytes))"
        ]
        if inspection.modules.isEmpty {
            lines += ["", "No recurrent module found (no weight_ih_l0 or weight_ih with its weight_hh)."]
            if !file.tensors.isEmpty && suggestions.isEmpty {
                lines.append("If the file uses its own names, map them to PyTorch's with --rename OLD=NEW (see docs/layouts.md).")
            }
        }
        for module in inspection.modules {
            lines += [""] + moduleLines(module)
        }
        if !inspection.otherTensors.isEmpty {
            lines += ["", "Other tensors (not part of a recurrent module):"]
            var table = TextTable([("Name", .left), ("Shape", .left), ("Dtype", .left), ("Count", .right)])
            for named in inspection.otherTensors {
                // Cells are escaped before the table measures them, so an escaped name keeps the columns aligned.
                table.rows.append([escapingControlCharacters(named.name), shapeText(named.tensor.shape), named.tensor.dtype.rawValue,
                                   groupedDigits(named.tensor.elementCount)])
            }
            lines += table.lines()
        }
        if !suggestions.isEmpty {
            lines += ["", "These other tensors look like recurrent weights named another way; to read them as",
                      "PyTorch's (check the guess: layer form, one layer), add:"]
            lines += suggestions.map { "  --rename \($0.old)=\($0.new)" }
        }
        if !file.otherItems.isEmpty {
            lines += ["", "Other entries (not tensors):"] + file.otherItems.map { "  \($0.name): \($0.summary)" }
        }
        lines.append("")
        lines += notes.flatMap { wrapped($0.message(naming: flag), first: "", rest: "  ") }
        if inspection.problems.isEmpty {
            lines.append("No problems found.")
        } else {
            lines.append("Problems (\(inspection.problems.count)):")
            lines += inspection.problems.flatMap { wrapped("\($0)", first: "  ! ", rest: "    ") }
        }
        return printableText(lines)
    }

    /// `--rename` guesses for other tensors named like `enc_w_ih`.
    private var suggestions: [Rename] {
        Rename.suggestions(for: inspection.otherTensors.map(\.name))
    }

    /// The format's name, or what the reader found more precisely (the Keras
    /// version and kind; a pickled module rather than a state dict).
    private var formatName: String {
        let format = file.format
        let detail = format.isKeras ? file.metadata["keras.file"] : format.isPyTorchCheckpoint ? file.metadata["pytorch.content"] : nil
        return detail ?? format.displayName
    }

    private func moduleLines(_ module: RNNModule) -> [String] {
        let architecture = module.architecture
        let flagged = Set(inspection.problems.compactMap(\.tensor))
        var summary = "\(architecture.mode.rawValue) \(architecture.kind.rawValue)"
        if architecture.kind == .layer {
            summary += ", \(architecture.numLayers) layer\(architecture.numLayers == 1 ? "" : "s")"
                + (architecture.bidirectional ? ", bidirectional" : "")
        }
        var lines = [
            "Module \(module.displayName): \(summary)",
            "  \(recordedConstructor(module))",
            "",
        ]
        var table = TextTable([("Parameter", .left), ("Shape", .left), ("Dtype", .left), ("Count", .right), ("", .left)])
        var total = 0
        let expected = architecture.parameterNames
        for parameter in expected + module.parameters.keys.sorted().filter({ !expected.contains($0) }) {
            let note = flagged.contains(module.qualifiedName(of: parameter)) ? "! see problems" : ""
            guard let tensor = module.tensor(parameter) else {
                table.rows.append([escapingControlCharacters(parameter.text), "missing", "", "", "! expected \(shapeText(architecture.expectedShape(of: parameter)))"])
                continue
            }
            total += tensor.elementCount
            table.rows.append([escapingControlCharacters(parameter.text), shapeText(tensor.shape), tensor.dtype.rawValue,
                               groupedDigits(tensor.elementCount), note])
        }
        table.footer = [["Total", "", "", groupedDigits(total)]]
        lines += table.lines()
        if total != architecture.parameterCount {
            lines.append("  (the module PyTorch would build has \(groupedDigits(architecture.parameterCount)) parameters)")
        }
        lines.append("")
        let gateList = architecture.kind == .cell ? "weight_ih, weight_hh, bias_ih, bias_hh" : "weight_ih_l*, weight_hh_l*, bias_*"
        lines.append("  Gate rows of \(gateList): \(architecture.gateLayout)")
        if !architecture.variant.isPyTorch {
            lines.append("  Beyond PyTorch's \(architecture.mode.pytorchClass(architecture.kind)) (the file records it; PyTorch cannot load this module):")
            lines += architecture.variantDifferences.flatMap { wrapped($0, first: "    - ", rest: "      ") }
        }
        lines.append(architecture.variant.isPyTorch ? "  One step, as PyTorch computes it:" : "  One step, as the file's cell computes it:")
        lines += architecture.stepEquations.map { "    \($0)" }
        let hints = file.hints[module.name]
        let unstored = architecture.unstoredSettings.filter { setting in
            !(setting.name == "batch_first" && hints?.batchFirst != nil) && !(setting.name == "nonlinearity" && hints?.nonlinearity != nil)
        }
        if !unstored.isEmpty {
            lines.append("  Not stored in the weights (shown as ?):")
            lines += unstored.flatMap { wrapped("\($0.name): \($0.reason)", first: "    ", rest: "      ") }
        }
        if let flow = flows[module.name] {
            lines += [""] + flowLines(flow)
        }
        return lines
    }

    /// The PyTorch constructor with the settings the file records filled in
    /// (`batch_first=True` for a Keras model, an ONNX RNN's nonlinearity)
    /// instead of `=?`.
    private func recordedConstructor(_ module: RNNModule) -> String {
        var text = module.architecture.pytorchConstructor
        guard let hints = file.hints[module.name] else { return text }
        if let batchFirst = hints.batchFirst {
            text = text.replacingOccurrences(of: "batch_first=?", with: "batch_first=\(batchFirst ? "True" : "False")")
        }
        if let nonlinearity = hints.nonlinearity {
            text = text.replacingOccurrences(of: "nonlinearity=?", with: "nonlinearity='\(nonlinearity.rawValue)'")
        }
        return text
    }

    private func flowLines(_ flow: ShapeFlow) -> [String] {
        let layout = flow.input.isBatched ? ", batch_first=\(flow.input.batchFirst ? "True" : "False")" : " (unbatched)"
        var lines = ["  Shape flow for input \(flow.input)\(layout):"]
        var table = TextTable([("Tensor", .left), ("Shape", .left)])
        table.rows = [["input", flow.input.description], ["output", shapeText(flow.output)], ["h_n", shapeText(flow.hN)]]
        if let cN = flow.cN { table.rows.append(["c_n", shapeText(cN)]) }
        lines += table.lines(indent: "    ")
        lines += flow.explanation.flatMap { wrapped($0, first: "    · ", rest: "      ") }
        return lines
    }
}
