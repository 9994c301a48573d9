// PLACEHOLDER (skeleton): replaced by the inspector work.
import ArgumentParser
import TensorFiles

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "List what a weight file holds.")

    @Argument(help: "The weight file.")
    var file: String

    func run() throws {
        try reportingErrors {
            let contents = try TensorFile.open(file)
            for named in contents.tensors {
                print(named.name, named.tensor.dtype.rawValue, named.tensor.shape)
            }
        }
    }
}
