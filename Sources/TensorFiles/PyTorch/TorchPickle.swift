import Foundation
import Pickle

/// Runs the `Pickle` module on a checkpoint's pickles and words its errors
/// as `TensorFileError`s that name the file, the pickle and the offset.
enum TorchPickle {
    /// Reads the data pickle of a zip checkpoint (`member` names it in errors).
    static func load(_ bytes: Data, file: String, member: String) throws -> PickleDocument {
        try bytes.withUnsafeBytes { raw in
            try load(raw, file: file, source: .member(member), fileOffset: { _ in nil })
        }
    }

    /// Reads the pickle starting at `offset` of a mapped legacy checkpoint.
    /// `allowGlobals` is false for the header pickles, which hold plain data.
    static func load(_ map: MappedFile, at offset: Int, what: String, allowGlobals: Bool = true) throws -> PickleDocument {
        let bytes = try map.slice(offset, map.count - offset)
        return try load(bytes, file: map.path, source: .legacy(what), fileOffset: { offset + $0 }, allowGlobals: allowGlobals)
    }

    private static func load(
        _ bytes: UnsafeRawBufferPointer, file: String, source: TensorFileError.PickleSource, fileOffset: (Int) -> Int?,
        allowGlobals: Bool = true
    ) throws -> PickleDocument {
        let unpickler = Unpickler(
            allowCall: TorchAllowList.mayBeCalled, persistentClass: TorchPickleDecoder.moduleClass,
            allowGlobal: { allowGlobals && TorchAllowList.mayAppear($0) })
        do {
            return try unpickler.load(bytes)
        } catch let error as PickleError {
            throw TensorFileError(file: file, offset: fileOffset(error.offset), .unpickling(error, source: source))
        }
    }

    /// The file name without its extension: the name of a tensor saved alone.
    static func stem(of path: String) -> String {
        ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    }
}
