import ArgumentParser
import Foundation
import RNNKit

/// `rnnkit inspect`: what a weight file holds, which PyTorch modules it
/// rebuilds, what looks wrong, and the shapes a given input produces.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show the recurrent modules in a weight file, their problems and their shape flow.",
        discussion: """
            Reads NPY, NPZ, a directory of .npy files, HDF5, safetensors, a PyTorch \
            checkpoint or exported program (.pt2), ONNX or Keras (recognised by its bytes), groups tensors into modules by name prefix \
            (encoder.lstm.weight_ih_l0 belongs to 'encoder.lstm'), and infers each module's \
            mode, sizes, layers, directions and bias from names and shapes. Missing, misshaped \
            or non-finite tensors are listed as problems (exit 0). nonlinearity, batch_first \
            and dropout are not stored in weights and are shown as '?'. --module chooses the \
            module --input-shape is for (default: every module whose input_size fits).

            Examples:
              rnnkit inspect model.h5
              rnnkit inspect model.safetensors --json
              rnnkit inspect model.npz --input-shape 7,3,5
              rnnkit inspect model.npz --input-shape 32,20,100 --batch-first
              rnnkit inspect model.npz --input-shape 20,100        (one unbatched sequence)
              rnnkit inspect weights/ --rename Wx=weight_ih --rename U=weight_hh
              rnnkit inspect big.safetensors --check-values

            Exit codes: 0 inspected (even with problems), 2 unreadable file or bad \
            input shape or rename, 64 usage error.
            """)

    @Argument(help: "The weight file (or a directory of .npy files).")
    var file: String

    @Flag(help: "Print one JSON document instead of tables.")
    var json = false

    @Option(help: ArgumentHelp(
        "The input's shape: T,B,F (seq, batch, features), B,T,F with --batch-first, or T,F unbatched.",
        valueName: "shape"))
    var inputShape: String?

    @OptionGroup
    var layout: BatchLayoutOption

    @OptionGroup
    var selection: ModuleOptions

    @Flag(inversion: .prefixedNo, help: ArgumentHelp(
        "Read the modules' values to report NaN/Inf (default: when the module weights total at most 256 MiB)."))
    var checkValues: Bool?

    func validate() throws {
        if layout.batchFirst != nil && inputShape == nil {
            throw ValidationError("--batch-first describes --input-shape; give --input-shape B,T,F too")
        }
        if selection.module != nil && inputShape == nil {
            throw ValidationError("--module chooses the module for --input-shape; give --input-shape too")
        }
    }

    func run() throws {
        try reportingErrors {
            let found = try FileInspection(
                path: file, renames: try selection.parsedRenames(), inputShape: inputShape,
                batchFirst: layout.batchFirst ?? false, module: selection.module, checkValues: checkValues)
            let report = InspectReport(file: found.source, inspection: found.inspection, flows: found.flows, notes: found.notes)
            print(json ? try report.json() : report.text(), terminator: "")
        }
    }
}
