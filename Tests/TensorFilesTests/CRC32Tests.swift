import Foundation
import OutputSafety
import XCTest

/// `rk_crc32` (PCLMULQDQ folding when the CPU has it, Sources/OutputSafety/crc32.c)
/// equals zlib's `crc32` (`rk_crc32_zlib`) for every length up to 4 KiB at
/// every alignment within 16 bytes, for large buffers, any starting CRC, and
/// the standard check value.
final class CRC32Tests: XCTestCase {
    func testTheCheckValue() {
        let text = Array("123456789".utf8)
        XCTAssertEqual(text.withUnsafeBytes { rk_crc32(0, $0.baseAddress, $0.count) }, 0xCBF4_3926)
        let long = [UInt8](repeating: 0, count: 4096)
        XCTAssertEqual(long.withUnsafeBytes { rk_crc32(0, $0.baseAddress, $0.count) },
                       long.withUnsafeBytes { rk_crc32_zlib(0, $0.baseAddress, $0.count) })
    }

    func testBothPathsAgreeOnEveryLengthAndAlignment() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0 ..< 4096 + 16).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
        var mismatches = 0
        bytes.withUnsafeBytes { raw in
            for offset in 0 ..< 16 {
                for length in 0 ... 4096 {
                    let seed = length % 3 == 0 ? 0 : UInt32.random(in: 0 ... .max, using: &generator)
                    let fast = rk_crc32(seed, raw.baseAddress! + offset, length)
                    let zlib = rk_crc32_zlib(seed, raw.baseAddress! + offset, length)
                    if fast != zlib {
                        mismatches += 1
                        if mismatches < 5 { XCTFail("offset \(offset), \(length) bytes, seed \(seed): \(fast) vs zlib \(zlib)") }
                    }
                }
            }
        }
        XCTAssertEqual(mismatches, 0)
    }

    func testBothPathsAgreeOnLargeBuffers() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0 ..< (5 << 20) + 7).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
        bytes.withUnsafeBytes { raw in
            for length in [65_536, 1 << 20, (1 << 20) + 13, raw.count] {
                XCTAssertEqual(rk_crc32(0xDEAD_BEEF, raw.baseAddress, length), rk_crc32_zlib(0xDEAD_BEEF, raw.baseAddress, length), "\(length) bytes")
            }
        }
    }

    /// The fast path is taken where the CPU has PCLMULQDQ (so the tests above compare two paths there).
    func testPCLMULIsDetectedAsTheCPUReports() throws {
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ") ?? []
        try XCTSkipIf(flags.isEmpty, "no /proc/cpuinfo flags here")
        XCTAssertEqual(rk_has_pclmul() != 0, flags.contains("pclmulqdq") && flags.contains("sse4_1"))
    }
}
