import ArgumentParser
import Foundation
import RNNKit

/// Exit codes shared by every subcommand.
enum ExitStatus {
    /// Verification mismatch or any failure that is not the input's fault.
    static let failure: Int32 = 1
    /// Bad input: unreadable file, wrong shapes, bad flags.
    static let badInput: Int32 = 2
}

/// A message for the user and the exit code that goes with it.
struct CommandFailure: Error, CustomStringConvertible {
    var message: String
    var code: Int32 = ExitStatus.badInput
    var description: String { message }
}

/// Writes one line to standard error, control characters escaped (a file's
/// names can hold newlines and terminal escapes).
func printError(_ message: String) {
    FileHandle.standardError.write(Data((escapingControlCharacters(message) + "\n").utf8))
}

/// Runs `body`, turning every error into a message on stderr and an exit
/// code: 2 for bad input, 1 for anything else. Argument-parser errors pass
/// through unchanged so that usage errors keep their own codes.
func reportingErrors(_ body: () throws -> Void) throws {
    // A file truncated by another program while mapped is bad input too:
    // one line, temporaries removed, exit 2, not a SIGBUS crash.
    InputFaults.exitWithMessage { "rnnkit: error: " + escapingControlCharacters($0) }
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch let error as CommandFailure {
        printError("rnnkit: error: \(error.message)")
        throw ExitCode(error.code)
    } catch let error as BadInputError {
        printError("rnnkit: error: \(messageWithFlags(error))")
        throw ExitCode(ExitStatus.badInput)
    } catch {
        printError("rnnkit: error: \(error)")
        throw ExitCode(ExitStatus.failure)
    }
}
