import ArgumentParser
import Foundation
import RNNKit

/// `rnnkit verify`: runs fixtures and compares the engine with PyTorch's stored outputs.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Run fixture folders and compare output, h_n, c_n with PyTorch's stored results.",
        discussion: """
            A fixture is a folder holding fixture.json, a weight file, input.npy (and optional \
            lengths.npy, h0.npy, c0.npy) and expected.npz; any other folder is searched for \
            fixtures recursively. Each fixture's renames and flags are applied.

            An element passes when |actual − expected| ≤ atol + rtol·|expected|. Defaults: \
            computed in float32, atol 1e-5; in float64, atol 1e-10; rtol 0.

            Exit codes: 0 every fixture passes, 1 some tensor is outside the tolerance, \
            2 a fixture cannot be read or run.

            EXAMPLES:
              rnnkit verify Fixtures/
              rnnkit verify Fixtures/lstm_2l_bi_packed Fixtures/gru_cell
              rnnkit verify Fixtures/ --json > report.json
              rnnkit verify my_fixture/ --atol 1e-4 --rtol 1e-4
            """)

    @Argument(help: "Fixture folders, or folders to search for them.")
    var fixtures: [String]

    @Flag(help: "Print one JSON report instead of tables.")
    var json = false

    @Option(help: "Relative tolerance (default 0).")
    var rtol: Double?

    @Option(help: "Absolute tolerance (default 1e-5 for float32, 1e-10 for float64).")
    var atol: Double?

    @OptionGroup
    var acceptance: AcceptanceOptions

    func validate() throws {
        if let rtol, !(rtol >= 0) { throw ValidationError("--rtol must be zero or positive") }
        if let atol, !(atol >= 0) { throw ValidationError("--atol must be zero or positive") }
    }

    func run() throws {
        stopIdleBLASThreads()  // the packed path runs no OpenBLAS: its spinning workers would take the team's cores
        var status: Int32 = 0
        try reportingErrors {
            let folders = try Fixture.find(in: fixtures)
            var outcomes: [VerifyOutcome] = []
            for folder in folders {
                do {
                    let result = try FixtureVerifier.verify(folder: folder, atol: atol, rtol: rtol,
                                                               fullPrecision: acceptance.fullPrecision,
                                                               assumePyTorchForward: acceptance.assumePytorchForward)
                    outcomes.append(.checked(result))
                } catch {
                    outcomes.append(.unreadable(folder: folder, message: messageWithFlags(error)))
                }
                if !json { print(VerifyReport.text(outcomes[outcomes.count - 1])) }
            }
            if json {
                print(try VerifyReport.json(outcomes))
            } else {
                print(VerifyReport.summary(outcomes))
            }
            if outcomes.contains(where: \.isUnreadable) {
                status = ExitStatus.badInput
            } else if outcomes.contains(where: { !$0.passed }) {
                status = ExitStatus.failure
            }
        }
        if status != 0 { throw ExitCode(status) }
    }
}
