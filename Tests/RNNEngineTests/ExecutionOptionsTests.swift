import Foundation
import XCTest

@testable import RNNEngine

/// `threads: 0` means the cores the process may run on, not every core the machine has.
final class ExecutionOptionsTests: XCTestCase {
    /// glibc's sched_getaffinity / sched_setaffinity (not imported into Swift: GNU extensions).
    private typealias Affinity = @convention(c) (pid_t, Int, UnsafeMutableRawPointer) -> Int32

    private func affinityCall(_ name: String) throws -> Affinity {
        let symbol = try XCTUnwrap(dlsym(UnsafeMutableRawPointer(bitPattern: 0), name), name)
        return unsafeBitCast(symbol, to: Affinity.self)
    }

    func testAutomaticThreadsFollowTheCPUAffinity() throws {
        let get = try affinityCall("sched_getaffinity"), set = try affinityCall("sched_setaffinity")
        var saved = [UInt8](repeating: 0, count: 128)  // cpu_set_t: 1 024 bits
        XCTAssertEqual(saved.withUnsafeMutableBytes { get(0, 128, $0.baseAddress!) }, 0)
        defer { _ = saved.withUnsafeMutableBytes { set(0, 128, $0.baseAddress!) } }
        let first = try XCTUnwrap((0 ..< 1024).first { saved[$0 / 8] & UInt8(1 << ($0 % 8)) != 0 })
        var one = [UInt8](repeating: 0, count: 128)
        one[first / 8] = UInt8(1 << (first % 8))
        XCTAssertEqual(one.withUnsafeMutableBytes { set(0, 128, $0.baseAddress!) }, 0)
        XCTAssertEqual(ExecutionOptions.automatic.resolvedThreads, 1)
        XCTAssertEqual(ExecutionOptions(threads: 3).resolvedThreads, 3)
    }
}
