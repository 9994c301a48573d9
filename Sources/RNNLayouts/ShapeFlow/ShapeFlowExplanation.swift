extension ShapeFlow {
    /// The shapes explained in sentences, one per line: the input layout,
    /// where `output`'s width (`2·hidden`) comes from, why `h_n` ignores
    /// `batch_first`, the row order of `h_n`, which rows of `h_n` equal which
    /// slices of `output` (also for packed batches), what `proj_size`
    /// changes, and `c_n`.
    public var explanation: [String] {
        architecture.kind == .cell ? cellExplanation : layerExplanation
    }

    private var isLSTM: Bool { architecture.mode == .lstm }
    private var stateName: String { architecture.projSize > 0 ? "proj_size" : "hidden_size" }

    /// `(seq, batch, <last>)` in the input's layout.
    private func layout(last: String) -> String {
        if !input.isBatched { return "(seq, \(last))" }
        return input.batchFirst ? "(batch, seq, \(last))" : "(seq, batch, \(last))"
    }

    /// `(<rows>, batch, <last>)`, without batch when unbatched.
    private func stateLayout(rows: String, last: String) -> String {
        input.isBatched ? "(\(rows), batch, \(last))" : "(\(rows), \(last))"
    }

    private enum Half { case all, forward, reverse }

    /// The indexing expression for `output` at `step`, in the input's layout.
    private func outputAt(_ step: String, _ half: Half) -> String {
        let state = architecture.stateSize
        let feature: String?
        switch half {
        case .all: feature = nil
        case .forward: feature = ":\(state)"
        case .reverse: feature = "\(state):"
        }
        if input.isBatchFirst {
            return "output[:, \(step)" + (feature.map { ", \($0)" } ?? "") + "]"
        }
        if input.isBatched {
            return "output[\(step)" + (feature.map { ", :, \($0)" } ?? "") + "]"
        }
        return "output[\(step)" + (feature.map { ", \($0)" } ?? "") + "]"
    }

    private var inputLine: String {
        guard input.isBatched else {
            return "input \(input) is one unbatched sequence (seq \(input.sequenceLength), features \(input.features)): "
                + "PyTorch runs it as a batch of one and drops the batch dimension from output, h_n"
                + (isLSTM ? " and c_n" : "") + "; batch_first does not apply"
        }
        let flag = input.batchFirst ? "batch_first=True" : "batch_first=False (the default)"
        return "input \(input) is \(input.layoutText) because \(flag): seq \(input.sequenceLength), "
            + "batch \(input.batch ?? 0), features \(input.features) = input_size"
    }

    private var cellExplanation: [String] {
        let hidden = architecture.hiddenSize
        let family = architecture.mode.pytorchClass(.cell)
        let batch = input.isBatched ? "(batch, " : "("
        var lines = [inputLine]
        lines.append(
            "\(family) computes one step, x \(batch)\(input.features)) → h \(batch)\(hidden))" + (isLSTM ? " and c" : "")
                + "; rnnkit runs it over the \(input.sequenceLength) steps as a one-layer, one-direction network, "
                + "returning what nn.\(architecture.mode.rawValue)(num_layers=1) would")
        lines.append("output \(shapeText(output)) = \(layout(last: "hidden_size \(hidden)")): h after every step, stacked")
        lines.append(
            "h_n \(shapeText(hN)) = \(stateLayout(rows: "1", last: "hidden_size")): the last step's h with a leading 1; "
                + "h_n[0] == \(outputAt("-1", .all))")
        if let cN {
            lines.append(
                "c_n \(shapeText(cN)) = \(stateLayout(rows: "1", last: "hidden_size")): the last step's cell state; "
                    + "c never appears in output")
        }
        return lines
    }

    private var layerExplanation: [String] {
        let a = architecture
        let layers = a.numLayers
        let directions = a.directions
        let state = a.stateSize
        var lines = [inputLine]

        // output and its width.
        if a.bidirectional {
            lines.append(
                "output \(shapeText(output)) = \(layout(last: "2·\(stateName) = 2·\(state) = \(2 * state)")): "
                    + "the last layer's h at every step, forward and reverse concatenated on the last axis — "
                    + "\(outputAt("t", .forward)) is the forward direction, \(outputAt("t", .reverse)) the reverse one; "
                    + "that is where 2·\(stateName) comes from")
        } else {
            lines.append("output \(shapeText(output)) = \(layout(last: "\(stateName) \(state)")): the last layer's h at every step")
        }
        if layers > 1 {
            lines.append(
                "only layer \(layers - 1) appears in output: each layer k ≥ 1 reads layer k−1's output "
                    + "(\(a.outputSize) wide), and layers below the top return nothing but their h_n rows")
        }

        // h_n and its rows.
        lines.append(
            "h_n \(shapeText(hN)) = \(stateLayout(rows: "num_layers·directions = \(layers)·\(directions)", last: stateName)): "
                + "the final h of every layer and direction"
                + (input.isBatched ? "; batch_first never applies to h_n (or c_n): batch is always dimension 1" : ""))
        let rows = layers * directions
        if rows > 1 {
            let order: String
            if rows <= 8 {
                order = (0 ..< rows).map { row in
                    "h_n[\(row)] = layer \(row / directions)" + (directions == 2 ? (row % 2 == 0 ? " forward" : " reverse") : "")
                }.joined(separator: ", ")
            } else {
                order = directions == 2 ? "h_n[2k] = layer k forward, h_n[2k+1] = layer k reverse" : "h_n[k] = layer k"
            }
            lines.append(
                "h_n rows are layer-major: \(order); h_n.view(\(layers), \(directions), "
                    + (input.isBatched ? "batch, " : "") + "\(state)) separates layers and directions")
        }

        // Which rows equal which slices of output.
        let top = row(layer: layers - 1, direction: 0)
        if a.bidirectional {
            lines.append("h_n[\(top)] == \(outputAt("-1", .forward)): the forward direction ends at the last step")
            lines.append(
                "h_n[\(top + 1)] == \(outputAt("0", .reverse)): the reverse direction runs from the last step back "
                    + "to the first, so it ends at step 0")
            lines.append(
                "so \(outputAt("-1", .all)) is not torch.cat((h_n[\(top)], h_n[\(top + 1)]), -1): its reverse half is "
                    + "the reverse direction's first step; the concatenation of the two h_n rows is the usual "
                    + "summary of the whole sequence (a decoder's context vector)")
        } else {
            lines.append("h_n[\(top)] == \(outputAt("-1", .all)): the last layer's h at the last step")
        }
        if layers > 1 {
            let below = layers == 2 ? "(layer 0) has" : "(layers 0…\(layers - 2)) have"
            lines.append("h_n[:\(top)] \(below) no slice in output")
        }
        if input.isBatched {
            lines.append(
                "with a packed batch (pack_padded_sequence with lengths), each sequence b stops at its own length: "
                    + (a.bidirectional ? "the forward row" : "its h_n row") + " equals output at step lengths[b]−1, not −1"
                    + (a.bidirectional ? ", the reverse row still equals step 0" : "")
                    + ", and output is zero after each sequence's length")
        }

        // proj_size and c_n.
        if a.projSize > 0 {
            lines.append(
                "proj_size=\(a.projSize): each step's h is weight_hr (\(a.projSize)×\(a.hiddenSize)) · (o ⊙ tanh(c)), "
                    + "so h, output (\(directions)·\(a.projSize)) and h_n are \(a.projSize) wide, weight_hh is "
                    + "(\(a.gateRows), \(a.projSize)) because it reads the projected h, and c_n keeps hidden_size \(a.hiddenSize)")
        }
        if let cN {
            lines.append(
                "c_n \(shapeText(cN)) = \(stateLayout(rows: "num_layers·directions", last: "hidden_size")): "
                    + "the final cell state of every layer and direction, rows ordered like h_n; c never appears in output")
        }
        return lines
    }
}
