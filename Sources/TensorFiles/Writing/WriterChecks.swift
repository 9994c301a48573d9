/// Checks every writer makes before it creates anything.
enum WriterChecks {
    /// Throws when two tensors share a name.
    static func uniqueNames(_ tensors: [NamedTensor], file: String) throws {
        var seen = Set<String>()
        for named in tensors where !seen.insert(named.name).inserted {
            throw TensorFileError(file: file, tensor: named.name, .duplicateName(named.name))
        }
    }

    /// Throws for the first bfloat16 tensor: `container` has no such type.
    static func refuseBFloat16(_ tensors: [NamedTensor], container: FileFormat, file: String) throws {
        if let named = tensors.first(where: { $0.tensor.dtype == .bfloat16 }) {
            throw TensorFileError(file: file, tensor: named.name.isEmpty ? nil : named.name,
                                  .unsupportedDType(.notStorable(.bfloat16, in: container)))
        }
    }
}
