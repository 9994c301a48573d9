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
            Reads NPY, NPZ, a directory of .npy files, HDF5, safetensors or a PyTorch \
            checkpoint (recognised by its bytes), groups tensors into modules by name prefix \
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

    /// Above this many bytes of module weights, values are read only on request,
    /// so that inspecting a multi-GB file stays instant and small in memory.
    static let automaticValueCheckLimit = 256 << 20

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
            let contents = try ModelSource.open(file)
            let renames = try selection.parsedRenames()
            let tensors = try withFileName { try Rename.apply(renames, to: contents.tensors) }
            var inspection = Inspector.inspect(tensors)
            let moduleBytes = inspection.modules.reduce(0) { total, module in
                module.parameters.values.reduce(total) { $0 + $1.byteCount }
            }
            let checking = checkValues ?? (moduleBytes <= Self.automaticValueCheckLimit)
            if checking {
                inspection.problems += try Inspector.nonFiniteProblems(in: inspection.modules)
            }
            let flows = try withFileName { try shapeFlows(inspection) }
            var renamed = contents
            renamed.tensors = tensors
            var report = InspectReport(file: renamed, inspection: inspection, flows: flows)
            // What an ONNX or Keras file records beyond the weights, and what its reader assumed.
            for (name, hints) in contents.hints.sorted(by: { $0.key < $1.key }) {
                var facts = hints.source.map { ["read from \($0)"] } ?? []
                if let nonlinearity = hints.nonlinearity { facts.append("the file records nonlinearity='\(nonlinearity.rawValue)'") }
                if hints.batchFirst == true { facts.append("the model takes batch-major input (batch_first=True)") }
                if let mask = hints.inputMask { facts.append(mask.summary) }
                report.notes += (facts + hints.notes).map { "\(ModulePath(name)): \($0)" }
            }
            if !checking && !inspection.modules.isEmpty {
                report.notes.append(checkValues == false
                    ? "Values not read (--no-check-values): NaN/Inf were not looked for."
                    : "Values not read: the module weights total \(byteText(moduleBytes)) (over 256 MiB); "
                        + "pass --check-values to look for NaN/Inf.")
            }
            print(json ? try report.json() : report.text(), terminator: "")
        }
    }

    /// The shape flow of every module the input is for, by module name.
    func shapeFlows(_ inspection: Inspection) throws -> [String: ShapeFlow] {
        guard let inputShape else { return [:] }
        let input = try InputShape(parsing: inputShape, batchFirst: layout.batchFirst ?? false)
        if selection.module != nil || inspection.modules.count <= 1 {
            let chosen = try inspection.selectModule(named: selection.module)
            return [chosen.name: try ShapeFlow(module: chosen, input: input)]
        }
        var flows: [String: ShapeFlow] = [:]
        for candidate in inspection.modules where candidate.architecture.inputSize == input.features {
            flows[candidate.name] = try ShapeFlow(module: candidate, input: input)
        }
        guard !flows.isEmpty else {
            let sizes = inspection.modules.map { "'\($0.displayName)' reads \($0.architecture.inputSize)" }
            throw LayoutError.badInputShape(
                "input shape \(input) has \(input.features) features (the last dimension), but no module reads that many: "
                    + sizes.joined(separator: ", "))
        }
        return flows
    }

    /// Runs `body`, prefixing a layout error's message with the file name.
    func withFileName<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as LayoutError {
            throw FileInputError(file: file, underlying: error)
        }
    }
}
