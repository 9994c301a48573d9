import RNNKit

/// An error's message as the CLI prints it: the library's message (which
/// never names a flag) with the flag that resolves it, where there is one.
func messageWithFlags(_ error: Error) -> String {
    if let error = error as? FileInputError {
        return "\(error.file): \(messageWithFlags(error.underlying))"
    }
    if let text = flagText(error) { return text }
    guard let hint = flagHint(error) else { return "\(error)" }
    return "\(error)\(hint)"
}

/// The whole message, where the flag belongs inside it.
private func flagText(_ error: Error) -> String? {
    switch error as? LayoutError {
    case .badRename(let why)?: return "--rename \(why)"
    case .severalModules(let modules)?:
        return "the file holds \(modules.count) modules; choose one with --module: \(modules.joined(separator: ", "))"
    default: return nil
    }
}

/// What to add to `error`'s message: the flag that gives what is missing.
private func flagHint(_ error: Error) -> String? {
    switch error as? StoredInputError {
    case .layoutUnknown?: return "; pass --batch-first or --no-batch-first"
    case .lengthsBatch?: return "; pass --lengths"
    case .stateBatch(let state, _, nil)?: return "; pass --\(state)"
    case .stateBatch(let state, _, _?)?: return "; pass --\(state) with the state to use"
    case .secondMask?: return ": leave out --lengths"
    case .maskNeedsLengths?: return "; give them with --lengths"
    case .maskRefused?, nil: return nil
    }
}
