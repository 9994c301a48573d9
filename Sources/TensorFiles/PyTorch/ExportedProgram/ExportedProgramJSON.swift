import Foundation

/// One value of an exported program's JSON members (`models/<name>.json`,
/// the weights config), with where it sits for messages. Parsed by
/// Foundation's `JSONSerialization`; every access checks the kind
/// `torch.export` writes and throws `ExportedProgramProblem.unexpected`
/// naming the member and path otherwise.
struct ExportedProgramJSON {
    let value: Any
    /// `graph_module.graph.nodes[3].target`.
    let path: String
    /// The archive member, as messages name it (`models/model.json`).
    let member: String
    /// The archive, as the user named it.
    let file: String

    /// Parses `data`, the contents of `member`.
    static func parse(_ data: Data, member: String, file: String) throws -> ExportedProgramJSON {
        guard let value = try? JSONSerialization.jsonObject(with: data) else {
            throw TensorFileError(file: file, .exportedProgram(.unparsable(member: member)))
        }
        return ExportedProgramJSON(value: value, path: "the document", member: member, file: file)
    }

    func fail(_ expected: String) -> TensorFileError {
        TensorFileError(file: file, .exportedProgram(.unexpected(member: member, path: path, expected: expected)))
    }

    private func child(_ value: Any, _ path: String) -> ExportedProgramJSON {
        ExportedProgramJSON(value: value, path: path, member: member, file: file)
    }

    private func childPath(_ key: String) -> String { path == "the document" ? key : path + "." + key }

    /// The member `key` of this object, nil when absent (or JSON null).
    func optional(_ key: String) throws -> ExportedProgramJSON? {
        guard let object = value as? [String: Any] else { throw fail("an object") }
        guard let found = object[key], !(found is NSNull) else { return nil }
        return child(found, childPath(key))
    }

    /// The member `key` of this object.
    func required(_ key: String) throws -> ExportedProgramJSON {
        guard let found = try optional(key) else { throw child(NSNull(), childPath(key)).fail("present") }
        return found
    }

    /// This object's keys.
    func keys() throws -> [String] {
        guard let object = value as? [String: Any] else { throw fail("an object") }
        return Array(object.keys)
    }

    /// This array's elements.
    func elements() throws -> [ExportedProgramJSON] {
        guard let array = value as? [Any] else { throw fail("a list") }
        return array.enumerated().map { child($1, "\(path)[\($0)]") }
    }

    func string() throws -> String {
        guard let text = value as? String else { throw fail("a string") }
        return text
    }

    func int() throws -> Int {
        guard let number = value as? Int else { throw fail("an integer") }
        return number
    }

    func bool() throws -> Bool {
        guard let flag = value as? Bool else { throw fail("true or false") }
        return flag
    }

    func double() throws -> Double {
        guard let number = value as? Double else { throw fail("a number") }
        return number
    }

    /// An argument of the export schema (`{"as_int": 3}`): its one kind and value.
    func argument() throws -> (kind: String, value: ExportedProgramJSON) {
        let keys = try keys()
        guard keys.count == 1, let kind = keys.first else { throw fail("an argument of one kind") }
        return (kind, try required(kind))
    }

    /// A symbolic integer that must be concrete (`{"as_int": 12}`).
    func concreteInt() throws -> Int {
        let (kind, value) = try argument()
        guard kind == "as_int" else { throw fail("a concrete integer (as_int)") }
        return try value.int()
    }

    /// Every tensor name this value refers to, at any depth
    /// (`{"as_tensor": {"name": …}}`, `{"as_tensors": [{"name": …}]}`).
    func tensorNames() -> [String] {
        var names: [String] = []
        func walk(_ value: Any) {
            if let object = value as? [String: Any] {
                for (key, inner) in object {
                    if key == "as_tensor", let tensor = inner as? [String: Any], let name = tensor["name"] as? String {
                        names.append(name)
                    } else if key == "as_tensors", let list = inner as? [Any] {
                        names += list.compactMap { ($0 as? [String: Any])?["name"] as? String }
                    } else {
                        walk(inner)
                    }
                }
            } else if let array = value as? [Any] {
                array.forEach(walk)
            }
        }
        walk(value)
        return names
    }
}
