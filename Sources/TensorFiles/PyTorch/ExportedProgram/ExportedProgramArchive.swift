import Foundation

/// The pt2 archive `torch.export.save` writes since PyTorch 2.6: a zip whose
/// folder (`<archive>/`) holds `archive_format` (`pt2`), `archive_version`,
/// `byteorder`, the program as JSON (`models/<name>.json`: graph, signature),
/// its weights' descriptions (`data/weights/<name>_weights_config.json`: per
/// parameter or buffer its dtype, sizes, strides, storage offset and the
/// member holding its storage's raw bytes, `data/weights/weight_<n>`),
/// tensor constants (`data/constants/`), example inputs
/// (`data/sample_inputs/<name>.pt`) and `extra/` files.
///
/// The parameters and buffers are read as a state dict (named as
/// `state_dict()` names them); the graph (`ExportedProgramGraph`) says how
/// each recurrent module is run. Nothing is executed; example inputs,
/// constants and pickled tensor subclasses are listed, not read.
enum ExportedProgramArchive {
    /// Largest JSON member read.
    static let maximumJSONBytes = 256 << 20
    /// The archive version rnnkit reads.
    static let archiveVersion = "0"
    /// `serialized_exported_program.json`: `torch.export.save` before PyTorch 2.6.
    static let olderLayoutMember = "serialized_exported_program.json"

    /// Whether the zip's members make an exported program archive (or the
    /// older layout, which `read` refuses with its own reason).
    static func isArchive(_ paths: [String]) -> Bool {
        folder(in: paths) != nil || paths.contains { path in
            let parts = path.split(separator: "/")
            return parts.count <= 2 && parts.last.map(String.init) == olderLayoutMember
        }
    }

    /// The folder holding `archive_format` (`""` at the root), nil if there is none.
    static func folder(in paths: [String]) -> String? {
        paths.sorted().lazy.compactMap { path -> String? in
            let parts = path.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.last == "archive_format", parts.count <= 2 else { return nil }
            return parts.count == 1 ? "" : String(parts[0]) + "/"
        }.first
    }

    /// Reads the archive's weights, and from its graph what it records about
    /// each recurrent module.
    static func read(path: String) throws -> TensorFile {
        let archive = try ZipArchive(path: path)
        let members = try archive.membersByPath()
        guard let folder = folder(in: Array(members.keys)) else {
            throw TensorFileError(file: path, .exportedProgram(.olderLayout))
        }
        func fail(_ problem: ExportedProgramProblem) -> TensorFileError { TensorFileError(file: path, .exportedProgram(problem)) }
        func contents(_ name: String, limit: Int) throws -> Data? {
            guard let member = members[folder + name] else { return nil }
            guard member.size <= limit else { throw fail(.memberTooLarge(member: name, size: member.size, limit: limit)) }
            return try archive.contents(of: member)
        }
        func text(_ name: String) throws -> String? {
            try contents(name, limit: 64).map {
                String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        let format = try text("archive_format") ?? ""
        guard format == "pt2" else { throw fail(.archiveFormat(String(format.prefix(20)))) }
        if let version = try text("archive_version"), version != archiveVersion {
            throw fail(.archiveVersion(String(version.prefix(20)), supported: archiveVersion))
        }
        if let order = try text("byteorder"), order != "little" {
            throw order == "big" ? fail(.bigEndian) : fail(.unexpected(member: "byteorder", path: "its text", expected: "'little'"))
        }
        let inside = members.keys.filter { $0.hasPrefix(folder) }.map { String($0.dropFirst(folder.count)) }.sorted()
        let programs = inside.filter { $0.hasPrefix("models/") && $0.hasSuffix(".json") && !$0.dropFirst(7).contains("/") }
            .map { String($0.dropFirst(7).dropLast(5)) }
        // What the archive holds besides its own bookkeeping (an AOTInductor package: data/aotinductor/…).
        let held = inside.filter { !["archive_format", "archive_version", "byteorder"].contains($0) && !$0.hasPrefix(".data/") }
        guard let name = programs.first else { throw fail(.noProgram(members: held)) }
        guard programs.count == 1 else { throw fail(.severalPrograms(programs)) }

        func json(_ member: String) throws -> ExportedProgramJSON? {
            try contents(member, limit: maximumJSONBytes).map { try ExportedProgramJSON.parse($0, member: member, file: path) }
        }
        guard let program = try json("models/\(name).json") else { throw fail(.noProgram(members: held)) }
        let graph = try ExportedProgramGraph(program)
        let weightsMember = "data/weights/\(name)_weights_config.json"
        let weights = try json(weightsMember)?.required("config")
        let storages = TorchZipStorages(archive: archive, members: members, folder: folder)

        var tensors: [NamedTensor] = []
        var otherItems: [(name: String, summary: String)] = []
        let stored = Set(try weights?.keys() ?? [])
        let listed = Set(graph.stateOrder)
        let order = graph.stateOrder.filter(stored.contains) + stored.subtracting(listed).sorted()
        for fqn in order {
            guard let entry = try weights?.required(fqn) else { continue }
            switch try weight(fqn, entry, members: members, folder: folder, file: path, storages: storages) {
            case .tensor(let tensor): tensors.append(NamedTensor(name: fqn, tensor: tensor))
            case .other(let summary): otherItems.append((fqn, summary))
            }
        }
        var file = TensorFile(path: path, format: .pytorchExport, tensors: tensors,
                              metadata: ["pytorch.content": "exported program", "pytorch.program": name],
                              otherItems: otherItems)
        if let torch = try? program.optional("torch_version")?.string() { file.metadata["pytorch.torch_version"] = torch }
        let recurrent = Set(tensors.map(\.name).filter { tensor in
            let leaf = tensor.split(separator: ".").last ?? ""
            return leaf.hasPrefix("weight_ih") || leaf.hasPrefix("weight_hh")
        }.map { ModulePath(owning: $0).prefix })
        for (module, var record) in try graph.records(for: recurrent).sorted(by: { $0.key < $1.key }) {
            // The operator computes in its weights' dtype.
            record.settings?.computeDType = file.halfPrecisionDType(ofModule: module)
            if let settings = record.settings { file.moduleSettings[module] = settings }
            // A buffer the graph does not give the operator (`h0`, `lengths`) is no state, lengths or weight of the module.
            record.weights?.setAside(in: &file, module: module, className: record.settings?.className ?? record.runBy ?? "the module")
            let code = UnrunModuleCode(className: record.ownClass, hooks: [], graph: record.unrun)
            if !code.isEmpty { file.unrunCode[module] = code }
            var summary = "run by " + (record.runBy ?? "no recurrence operator")
            if let settings = record.settings, !settings.className.hasPrefix("aten.") { summary = "module \(settings.className), " + summary }
            if let flag = record.settings?.batchFirst { summary += " (batch_first=\(flag ? "True" : "False"))" }
            file.otherItems.insert((ModulePath(module).description, summary), at: 0)
        }
        let constants = try json("data/constants/\(name)_constants_config.json")?.optional("config")?.keys().count ?? 0
        if constants > 0 { file.otherItems.append(("data/constants", "\(TorchItemSummary.count(constants, "constant")) of the graph (not read)")) }
        for member in inside where member.hasPrefix("data/sample_inputs/") || member.hasPrefix("extra/") {
            if member.hasSuffix("/") { continue }
            let what = member.hasPrefix("extra/") ? "extra file" : "example inputs"
            file.otherItems.append((member, "\(members[folder + member]?.size ?? 0) bytes (\(what), not read)"))
        }
        return file
    }

    /// What one weights-config entry holds.
    private enum Weight {
        case tensor(Tensor)
        case other(String)
    }

    /// Element types by the export schema's `ScalarType` number.
    static let scalarTypes: [Int: DType] = [
        1: .uint8, 2: .int8, 3: .int16, 4: .int32, 5: .int64, 6: .float16, 7: .float32, 8: .float64, 12: .bool, 13: .bfloat16,
    ]
    /// The schema's `Layout.Strided`.
    static let stridedLayout = 7

    /// The tensor `entry` (a `PayloadMeta`) describes, its view checked
    /// against the member holding its storage; other entries (pickled tensor
    /// subclasses, sparse layouts, dtypes rnnkit has not) as a summary.
    private static func weight(
        _ fqn: String, _ entry: ExportedProgramJSON, members: [String: ZipMember], folder: String, file: String,
        storages: TorchZipStorages
    ) throws -> Weight {
        let meta = try entry.required("tensor_meta")
        let shape = try meta.required("sizes").elements().map { try $0.concreteInt() }
        if try entry.optional("use_pickle")?.bool() == true {
            return .other("tensor \(shape) pickled as a tensor subclass (not read)")
        }
        let code = try meta.required("dtype").int()
        guard let dtype = scalarTypes[code] else { return .other("tensor \(shape) of ScalarType \(code) (not read)") }
        let layout = try meta.optional("layout")?.int() ?? stridedLayout
        guard layout == stridedLayout else { return .other("tensor \(shape) of layout \(layout), not strided (not read)") }
        let strides = try meta.required("strides").elements().map { try $0.concreteInt() }
        let offset = try meta.optional("storage_offset")?.concreteInt() ?? 0
        guard strides.count == shape.count, strides.allSatisfy({ $0 >= 0 }), offset >= 0 else {
            throw meta.fail("sizes and strides of one length, strides and storage_offset not negative")
        }
        let key = "weights/" + (try entry.required("path_name").string())
        guard let member = members[folder + "data/" + key] else {
            throw TensorFileError(file: file, .exportedProgram(.missingWeightMember(weight: fqn, member: "data/" + key)))
        }
        let storage = TorchStorageReference(key: key, typeName: "raw bytes", dtype: dtype, itemSize: dtype.itemSize,
                                            byteCount: member.size)
        let record = TorchTensorRecord(storage: storage, dtype: dtype, offset: offset, shape: shape, strides: strides)
        return .tensor(try TorchStorageViews.tensor(record, name: fqn, file: file, source: storages))
    }
}
