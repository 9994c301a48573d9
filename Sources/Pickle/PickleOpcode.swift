/// The pickle opcodes, named as in Python's `pickletools`.
///
/// The unpickler implements the binary opcodes of protocols 2–5 (plus the
/// protocol-1 binary opcodes they build on). The text opcodes of protocol 0,
/// `INST` / `OBJ`, the extension registry and out-of-band buffers are listed
/// only so that errors can name them; they are refused.
public enum PickleOpcode: UInt8, CustomStringConvertible, Sendable {
    // Structure.
    case mark = 0x28            // (
    case stop = 0x2E            // .
    case pop = 0x30             // 0
    case popMark = 0x31         // 1
    case dup = 0x32             // 2
    case proto = 0x80
    case frame = 0x95

    // Scalars.
    case none = 0x4E            // N
    case newTrue = 0x88
    case newFalse = 0x89
    case binInt = 0x4A          // J
    case binInt1 = 0x4B         // K
    case binInt2 = 0x4D         // M
    case long1 = 0x8A
    case long4 = 0x8B
    case binFloat = 0x47        // G
    case binString = 0x54       // T
    case shortBinString = 0x55  // U
    case binUnicode = 0x58      // X
    case shortBinUnicode = 0x8C
    case binUnicode8 = 0x8D
    case binBytes = 0x42        // B
    case shortBinBytes = 0x43   // C
    case binBytes8 = 0x8E
    case byteArray8 = 0x96

    // Containers.
    case emptyTuple = 0x29      // )
    case tuple = 0x74           // t
    case tuple1 = 0x85
    case tuple2 = 0x86
    case tuple3 = 0x87
    case emptyList = 0x5D       // ]
    case list = 0x6C            // l
    case append = 0x61          // a
    case appends = 0x65         // e
    case emptyDict = 0x7D       // }
    case dict = 0x64            // d
    case setItem = 0x73         // s
    case setItems = 0x75        // u
    case emptySet = 0x8F
    case addItems = 0x90
    case frozenSet = 0x91

    // Memo.
    case binPut = 0x71          // q
    case longBinPut = 0x72      // r
    case memoize = 0x94
    case binGet = 0x68          // h
    case longBinGet = 0x6A      // j

    // Objects.
    case global = 0x63          // c
    case stackGlobal = 0x93
    case reduce = 0x52          // R
    case build = 0x62           // b
    case newObj = 0x81
    case newObjEx = 0x92
    case binPersId = 0x51       // Q

    // Refused: text protocol, instance creation by name, extensions, buffers.
    case int = 0x49             // I
    case long = 0x4C            // L
    case float = 0x46           // F
    case string = 0x53          // S
    case unicode = 0x56         // V
    case get = 0x67             // g
    case put = 0x70             // p
    case persId = 0x50          // P
    case inst = 0x69            // i
    case obj = 0x6F             // o
    case ext1 = 0x82
    case ext2 = 0x83
    case ext4 = 0x84
    case nextBuffer = 0x97
    case readonlyBuffer = 0x98

    /// The `pickletools` name (`SHORT_BINUNICODE`, `STACK_GLOBAL`, …).
    public var description: String {
        switch self {
        case .mark: return "MARK"
        case .stop: return "STOP"
        case .pop: return "POP"
        case .popMark: return "POP_MARK"
        case .dup: return "DUP"
        case .proto: return "PROTO"
        case .frame: return "FRAME"
        case .none: return "NONE"
        case .newTrue: return "NEWTRUE"
        case .newFalse: return "NEWFALSE"
        case .binInt: return "BININT"
        case .binInt1: return "BININT1"
        case .binInt2: return "BININT2"
        case .long1: return "LONG1"
        case .long4: return "LONG4"
        case .binFloat: return "BINFLOAT"
        case .binString: return "BINSTRING"
        case .shortBinString: return "SHORT_BINSTRING"
        case .binUnicode: return "BINUNICODE"
        case .shortBinUnicode: return "SHORT_BINUNICODE"
        case .binUnicode8: return "BINUNICODE8"
        case .binBytes: return "BINBYTES"
        case .shortBinBytes: return "SHORT_BINBYTES"
        case .binBytes8: return "BINBYTES8"
        case .byteArray8: return "BYTEARRAY8"
        case .emptyTuple: return "EMPTY_TUPLE"
        case .tuple: return "TUPLE"
        case .tuple1: return "TUPLE1"
        case .tuple2: return "TUPLE2"
        case .tuple3: return "TUPLE3"
        case .emptyList: return "EMPTY_LIST"
        case .list: return "LIST"
        case .append: return "APPEND"
        case .appends: return "APPENDS"
        case .emptyDict: return "EMPTY_DICT"
        case .dict: return "DICT"
        case .setItem: return "SETITEM"
        case .setItems: return "SETITEMS"
        case .emptySet: return "EMPTY_SET"
        case .addItems: return "ADDITEMS"
        case .frozenSet: return "FROZENSET"
        case .binPut: return "BINPUT"
        case .longBinPut: return "LONG_BINPUT"
        case .memoize: return "MEMOIZE"
        case .binGet: return "BINGET"
        case .longBinGet: return "LONG_BINGET"
        case .global: return "GLOBAL"
        case .stackGlobal: return "STACK_GLOBAL"
        case .reduce: return "REDUCE"
        case .build: return "BUILD"
        case .newObj: return "NEWOBJ"
        case .newObjEx: return "NEWOBJ_EX"
        case .binPersId: return "BINPERSID"
        case .int: return "INT"
        case .long: return "LONG"
        case .float: return "FLOAT"
        case .string: return "STRING"
        case .unicode: return "UNICODE"
        case .get: return "GET"
        case .put: return "PUT"
        case .persId: return "PERSID"
        case .inst: return "INST"
        case .obj: return "OBJ"
        case .ext1: return "EXT1"
        case .ext2: return "EXT2"
        case .ext4: return "EXT4"
        case .nextBuffer: return "NEXT_BUFFER"
        case .readonlyBuffer: return "READONLY_BUFFER"
        }
    }
}
