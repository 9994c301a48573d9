/// Why a pickle was not read, and where.
public struct PickleError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong.
    public enum Reason: Equatable, Sendable {
        /// The pickle ends before an opcode's argument: `needed` bytes were
        /// required at the offset, `available` remain.
        case truncated(needed: Int, available: Int)
        /// The bytes end without a `STOP` opcode.
        case missingStop
        /// An opcode outside the supported subset (text protocol 0/1 opcodes,
        /// extension registry, out-of-band buffers, or not an opcode at all).
        case unsupportedOpcode(UInt8)
        /// A `GLOBAL` / `STACK_GLOBAL` outside the allow-list. Nothing was run.
        case refusedGlobal(PickleGlobal)
        /// A `REDUCE` naming an allowed global that the caller does not let
        /// be called (a class or function that is not an inert data
        /// constructor). Nothing was run.
        case refusedCall(PickleGlobal)
        /// A size limit (stack, memo, nesting, name length…) was exceeded:
        /// which, and its value.
        case limitExceeded(PickleLimit, limit: Int)
        /// The opcodes do not make a valid pickle (wrong operand types, empty
        /// stack, missing mark, unknown memo key…) at `opcode`.
        case malformed(opcode: PickleOpcode, PickleMalformation)
    }

    /// Offset of the offending opcode from the start of the pickle.
    public var offset: Int
    /// What went wrong.
    public var reason: Reason

    /// Creates an error.
    public init(offset: Int, _ reason: Reason) {
        self.offset = offset
        self.reason = reason
    }

    /// The reason alone, without the offset.
    public var reasonText: String {
        switch reason {
        case .truncated(let needed, let available):
            return "truncated: \(needed) bytes needed, only \(available) present"
        case .missingStop:
            return "ends without a STOP opcode"
        case .unsupportedOpcode(let code):
            let name = PickleOpcode(rawValue: code).map { " (\($0))" } ?? ""
            return "unsupported opcode 0x\(String(code, radix: 16))\(name)"
        case .refusedGlobal(let global):
            return "refused global '\(global)': it is not on the allow-list (nothing was run)"
        case .refusedCall(let global):
            return "refused call of '\(global)': it may appear only as a class, never be called (nothing was run)"
        case .limitExceeded(let which, let limit):
            return "limit exceeded: \(which.exceeded(limit))"
        case .malformed(let opcode, let what):
            return "\(opcode): \(what)"
        }
    }

    /// The message: the reason and the pickle offset it applies to.
    public var description: String { "at pickle byte \(offset): \(reasonText)" }
}
