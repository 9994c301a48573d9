import Foundation

/// Writes a new file piece by piece, so that large tensors are copied from
/// their storage (often a memory map) straight to disk.
enum FileSink {
    /// Creates `path`, which must not exist yet, and passes `body` a function
    /// that appends bytes to it. `target` (the file the user asked for) names
    /// the file in errors.
    static func create(_ path: String, target: String, _ body: (_ append: (Data) throws -> Void) throws -> Void) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path)
        else {
            throw TensorFileError(file: target, .unreadable("cannot create a file in its folder: \(String(cString: strerror(errno)))"))
        }
        do {
            try body { data in try handle.write(contentsOf: data) }
            try handle.synchronize()
            try handle.close()
        } catch let error as TensorFileError {
            try? handle.close()
            throw error
        } catch {
            try? handle.close()
            throw TensorFileError(file: target, .unwritable("\(error.localizedDescription)"))
        }
    }
}
