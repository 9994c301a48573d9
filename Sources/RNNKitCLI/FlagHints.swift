import RNNKit

/// The flag that sets `option`: the CLI's one place for flag names in messages.
func flag(_ option: RequestOption) -> String {
    switch option {
    case .force: return "--force"
    case .module: return "--module"
    case .rename: return "--rename"
    case .batchFirst: return "--batch-first"
    case .sequenceFirst: return "--no-batch-first"
    case .h0: return "--h0"
    case .c0: return "--c0"
    case .lengths: return "--lengths"
    case .inputShape: return "--input-shape"
    case .nonlinearity: return "--nonlinearity"
    case .dtype: return "--dtype"
    case .dropMask: return "--drop-mask"
    case .fullPrecision: return "--full-precision"
    case .assumePyTorchForward: return "--assume-pytorch-forward"
    case .checkValues: return "--check-values"
    case .skipValueCheck: return "--no-check-values"
    }
}

/// A reader's note on a module as the CLI prints it, options named by their flags.
func noteText(_ entry: ModuleNoteEntry) -> String {
    entry.message(naming: flag)
}

/// A conversion's note as the CLI prints it, options named by their flags.
func noteText(_ note: ConversionNote) -> String {
    note.message(naming: flag)
}

/// An error's message as the CLI prints it: the library's message (which
/// never names a flag) with the flag that resolves it, where there is one.
func messageWithFlags(_ error: Error) -> String {
    if let error = error as? FileInputError {
        return "\(error.file): \(messageWithFlags(error.underlying))"
    }
    if let error = error as? OptionNamingError { return error.message(naming: flag) }
    guard let hint = flagHint(error) else { return "\(error)" }
    return "\(error)\(hint)"
}

/// What to add to `error`'s message: the flag that gives what is missing.
private func flagHint(_ error: Error) -> String? {
    if let error = error as? TensorFileError, case .outputExists = error.reason {
        return " (pass \(flag(.force)) to overwrite)"
    }
    let problems: [ModuleProblem]
    switch error {
    case let error as ModuleValidationError: problems = error.problems
    case EngineError.invalidModule(_, let found) as EngineError: problems = found
    default: problems = []
    }
    if problems.contains(where: \.concernsNonlinearity) { return " (\(flag(.nonlinearity)))" }
    switch error as? StoredInputError {
    case .layoutUnknown?: return "; pass \(flag(.batchFirst)) or \(flag(.sequenceFirst))"
    case .nonlinearityUnknown?: return "; pass \(flag(.nonlinearity)) tanh or \(flag(.nonlinearity)) relu, the one the model was trained with"
    case .lengthsBatch?: return "; pass \(flag(.lengths))"
    case .stateBatch(let state, _, nil)?: return "; pass \(flag(state == "c0" ? .c0 : .h0))"
    case .stateBatch(let state, _, _?)?: return "; pass \(flag(state == "c0" ? .c0 : .h0)) with the state to use"
    case .stateComputed(let state, _)?: return "; pass \(flag(state == "c0" ? .c0 : .h0)) with that state (the other module's final state when the graph passes it on unchanged)"
    case .secondMask?: return ": leave out \(flag(.lengths))"
    case .maskNeedsLengths?: return "; give them with \(flag(.lengths))"
    case .reducedPrecision?: return "; pass \(flag(.fullPrecision)) to compute it in full precision"
    case .unrunCode?: return "; pass \(flag(.assumePyTorchForward)) to run PyTorch's forward on its weights"
    case .maskRefused?, nil: return nil
    }
}
