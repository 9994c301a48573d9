import RNNConvert
import RNNLayouts
import TensorFiles

/// What `rnnkit inspect` finds in one file: its tensors (renamed), the
/// modules they form and their problems, the shape flow of an input, and
/// what an ONNX or Keras file records beyond the weights.
package struct FileInspection {
    /// Above this many bytes of module weights, values are read only on
    /// request, so that inspecting a multi-GB file stays instant and small in memory.
    package static let automaticValueCheckLimit = 256 << 20

    /// The file as read (a container, or an ONNX or Keras model read back
    /// into PyTorch names), with its tensors renamed.
    package var source: ModelSource
    /// The modules and problems (NaN/Inf among them when values were read).
    package var inspection: Inspection
    /// Shape flows by module name, for the modules the input shape is for.
    package var flows: [String: ShapeFlow]
    /// Bytes of the modules' weights.
    package var moduleBytes: Int
    /// Whether the values were read for NaN/Inf.
    package var valuesChecked: Bool
    /// What the file records about each module beyond its weights and what
    /// its reader assumed, module by module; then why values were not read, if they were not.
    package var notes: [InspectionNote]

    /// Reads and inspects `path`.
    ///
    /// - Parameters:
    ///   - renames: applied to the tensor names first.
    ///   - inputShape: the text of an input shape (`T,B,F`, `B,T,F` when
    ///     `batchFirst`, `T,F`), for the shape flow.
    ///   - module: the module the input shape is for; nil: every module
    ///     whose input size fits.
    ///   - checkValues: whether to read values for NaN/Inf; nil: when the
    ///     module weights total at most `automaticValueCheckLimit`.
    /// - Throws: `TensorFileError` for a file that cannot be read;
    ///   `FileInputError` naming the file for a rename, module or input shape that does not fit.
    package init(path: String, renames: [Rename], inputShape: String?, batchFirst: Bool, module: String?,
                 checkValues: Bool?) throws {
        var contents = try ModelSource.open(path)
        do {
            try contents.rename(renames)
            inspection = Inspector.inspect(contents.tensors, unreadable: contents.unreadable)
            // Each module's cell as the file records it (a variant beyond PyTorch's, peepholes).
            inspection.modules = inspection.modules.map(contents.recorded)
            moduleBytes = inspection.modules.reduce(0) { total, module in
                module.parameters.values.reduce(total) { $0 + $1.byteCount }
            }
            valuesChecked = checkValues ?? (moduleBytes <= Self.automaticValueCheckLimit)
            if valuesChecked {
                inspection.problems += try Inspector.nonFiniteProblems(in: inspection.modules)
            }
            let inspected = inspection
            flows = try inputShape.map {
                try Self.shapeFlows(inspected, input: try InputShape(parsing: $0, batchFirst: batchFirst), module: module)
            } ?? [:]
            source = contents
        } catch let error as LayoutError {
            throw FileInputError(file: path, underlying: error)
        }
        notes = contents.hints.sorted(by: { $0.key < $1.key }).flatMap { name, hints in
            var facts = hints.source.map { [ModuleNote.readFrom($0)] } ?? []
            if let nonlinearity = hints.nonlinearity { facts.append(.nonlinearityRecorded(nonlinearity)) }
            if hints.batchFirst == true { facts.append(.batchMajorInput) }
            if let mask = hints.inputMask { facts.append(.inputMask(mask)) }
            if let precision = hints.reducedPrecision { facts.append(.reducedPrecision(precision)) }
            if let code = hints.unrunCode { facts.append(.unrunCode(code)) }
            return (facts + hints.notes).map { InspectionNote.input(ModuleNoteEntry(module: ModulePath(name), note: $0)) }
        }
        if !valuesChecked && !inspection.modules.isEmpty {
            notes.append(checkValues == false
                ? .valueCheckSkipped : .valueCheckTooLarge(moduleBytes: moduleBytes, limit: Self.automaticValueCheckLimit))
        }
    }

    /// The shape flow of every module `input` is for, by module name: the
    /// one named, the only one, or every one whose input size fits.
    private static func shapeFlows(_ inspection: Inspection, input: InputShape, module: String?) throws -> [String: ShapeFlow] {
        if module != nil || inspection.modules.count <= 1 {
            let chosen = try inspection.selectModule(named: module)
            return [chosen.name: try ShapeFlow(module: chosen, input: input)]
        }
        var flows: [String: ShapeFlow] = [:]
        for candidate in inspection.modules where candidate.architecture.inputSize == input.features {
            flows[candidate.name] = try ShapeFlow(module: candidate, input: input)
        }
        guard !flows.isEmpty else {
            throw LayoutError.noModuleReads(input: input, modules: inspection.modules.map(LayoutError.ModuleEntry.init))
        }
        return flows
    }
}
