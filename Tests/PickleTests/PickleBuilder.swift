import Pickle

/// Writes pickle opcodes for tests, so that hostile and edge-case pickles are
/// built from named operations instead of opaque bytes.
final class PickleBuilder {
    private(set) var bytes: [UInt8] = []

    init(protocol version: UInt8? = 2) {
        if let version { bytes = [PickleOpcode.proto.rawValue, version] }
    }

    @discardableResult
    func op(_ opcode: PickleOpcode, _ operand: [UInt8] = []) -> Self {
        bytes.append(opcode.rawValue)
        bytes += operand
        return self
    }

    func raw(_ more: [UInt8]) { bytes += more }

    func global(_ module: String, _ name: String) {
        op(.global, Array("\(module)\n\(name)\n".utf8))
    }

    func stackGlobal(_ module: String, _ name: String) {
        string(module)
        string(name)
        op(.stackGlobal)
    }

    @discardableResult
    func string(_ text: String) -> Self {
        op(.binUnicode, Self.littleEndian(UInt32(text.utf8.count)) + Array(text.utf8))
    }

    @discardableResult
    func int(_ value: Int32) -> Self { op(.binInt, Self.littleEndian(UInt32(bitPattern: value))) }

    /// `MARK items… TUPLE`.
    func tuple(_ items: (PickleBuilder) -> Void) {
        op(.mark)
        items(self)
        op(.tuple)
    }

    @discardableResult
    func stop() -> Self { op(.stop) }

    static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    /// Bytes from a hex string (CPython's `pickle.dumps(...).hex()`).
    static func hex(_ text: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            result.append(UInt8(text[index ..< next], radix: 16) ?? 0)
            index = next
        }
        return result
    }
}

/// An unpickler that accepts the standard inert globals and the names given.
func unpickler(allowing names: Set<String> = [], limits: PickleLimits = .standard) -> Unpickler {
    let standard: Set<String> = ["collections.OrderedDict", "builtins.set", "builtins.frozenset", "_codecs.encode"]
    return Unpickler(limits: limits) { standard.union(names).contains($0.description) }
}
