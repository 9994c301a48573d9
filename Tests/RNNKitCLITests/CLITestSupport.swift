import Foundation
import XCTest

/// Runs the built `rnnkit` binary and captures what it prints.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum CLI {
    /// The folder holding the built products (`.build/debug`).
    static var productsDirectory: URL {
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent()
        }
        return Bundle.main.bundleURL
    }

    /// The package root (the folder holding Package.swift).
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The committed fixtures folder.
    static var fixtures: URL { packageRoot.appendingPathComponent("Fixtures") }

    /// Runs `rnnkit` with `arguments` and waits for it. With `wrappedIn`,
    /// runs that command line with the binary's path and `arguments` after it
    /// (e.g. `setpriv … --`).
    static func run(_ arguments: [String], currentDirectory: URL? = nil, wrappedIn prefix: [String] = []) throws -> CLIResult {
        let (result, signalled) = try execute(arguments, currentDirectory: currentDirectory, wrappedIn: prefix)
        XCTAssertFalse(signalled, "rnnkit \(arguments) died of a signal")
        return result
    }

    /// Runs several command lines, a few at a time, and returns their results
    /// in order; fails the test for any that died of a signal.
    static func runAll(_ commands: [[String]]) throws -> [CLIResult] {
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var list: [Result<(CLIResult, Bool), Error>?]
            init(count: Int) { list = Array(repeating: nil, count: count) }
        }
        let results = Results(count: commands.count)
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 4
        for (index, arguments) in commands.enumerated() {
            queue.addOperation {
                let outcome = Result { try execute(arguments, currentDirectory: nil, wrappedIn: []) }
                results.lock.lock()
                results.list[index] = outcome
                results.lock.unlock()
            }
        }
        queue.waitUntilAllOperationsAreFinished()
        return try zip(commands, results.list).map { arguments, outcome in
            let (result, signalled) = try outcome!.get()
            XCTAssertFalse(signalled, "rnnkit \(arguments) died of a signal")
            return result
        }
    }

    private static func execute(_ arguments: [String], currentDirectory: URL?, wrappedIn prefix: [String]) throws -> (CLIResult, Bool) {
        let process = Process()
        let binary = productsDirectory.appendingPathComponent("rnnkit")
        if let first = prefix.first {
            process.executableURL = URL(fileURLWithPath: first)
            process.arguments = Array(prefix.dropFirst()) + [binary.path] + arguments
        } else {
            process.executableURL = binary
            process.arguments = arguments
        }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes before waiting so a large output cannot block the child.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (CLIResult(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self)), process.terminationReason != .exit)
    }
}
