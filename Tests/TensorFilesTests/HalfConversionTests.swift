import CTensorKernels
import Foundation
@testable import TensorFiles
import XCTest

/// float32 → float16 in bulk (`HalfPrecision.halves(fromFloats:…)`, what
/// `--dtype float16` spends its time in): the F16C path (chosen at run time)
/// and the portable one give the same bits, and both give numpy's float16.
final class HalfConversionTests: XCTestCase {
    private func halves(_ floats: [UInt32], useF16C: Bool) -> [UInt16] {
        var out = [UInt16](repeating: 0xDEAD, count: floats.count)
        floats.withUnsafeBytes { input in
            out.withUnsafeMutableBytes { output in
                HalfPrecision.halves(fromFloats: input.baseAddress!, into: output.baseAddress!, count: floats.count, useF16C: useF16C)
            }
        }
        return out
    }

    private func numpySamples() throws -> (inputs: [UInt32], expected: [UInt16]) {
        let folder = FormatSamples.root.appendingPathComponent("float16")
        let inputs = try XCTUnwrap(NPYReader.read(path: folder.appendingPathComponent("inputs.npy").path).tensors.first?.tensor)
        let expected = try XCTUnwrap(NPYReader.read(path: folder.appendingPathComponent("expected.npy").path).tensors.first?.tensor)
        XCTAssertEqual(inputs.dtype, .float32)
        XCTAssertEqual(expected.dtype, .float16)
        XCTAssertEqual(inputs.elementCount, expected.elementCount)
        let bits = try inputs.data().withUnsafeBytes { Array($0.bindMemory(to: UInt32.self)) }
        let halves = try expected.data().withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)) }
        return (bits, halves)
    }

    /// numpy's `astype(np.float16)` of ties, values one ulp either side of
    /// them, subnormal and overflow boundaries, zeros, infinities and quiet
    /// NaNs (Fixtures/formats/float16, scripts/make_float16_samples.py).
    func testBothPathsGiveNumpysFloat16() throws {
        let (inputs, expected) = try numpySamples()
        XCTAssertGreaterThan(inputs.count, 50_000)
        let paths = HalfPrecision.hasF16C ? [false, true] : [false]
        for useF16C in paths {
            let got = halves(inputs, useF16C: useF16C)
            var mismatches = 0
            for index in inputs.indices where got[index] != expected[index] {
                if mismatches < 5 {
                    XCTFail(String(format: "F16C %@: %08x → %04x, numpy %04x", "\(useF16C)", inputs[index], got[index], expected[index]))
                }
                mismatches += 1
            }
            XCTAssertEqual(mismatches, 0, "F16C \(useF16C)")
        }
        // Odd counts and offsets go through the vector loop's tail.
        if HalfPrecision.hasF16C {
            for count in [1, 7, 9, 15, 17] {
                XCTAssertEqual(halves(Array(inputs[3 ..< 3 + count]), useF16C: true), Array(expected[3 ..< 3 + count]))
            }
        }
    }

    /// The F16C path equals the portable one on every float32 whose low 16
    /// bits are one of 40 patterns (the rounding edges of every exponent:
    /// ties, ±1 around them, signalling NaN payloads) and on a stride
    /// through all 2^32 bit patterns.
    func testF16CPathMatchesThePortablePathBitForBit() throws {
        try XCTSkipUnless(HalfPrecision.hasF16C, "this CPU has no F16C: only the portable path runs here")
        var lows: [UInt32] = [0, 1, 2, 0x0FFF, 0x1000, 0x1001, 0x1FFF, 0x2000, 0x2001, 0x3000, 0x3001, 0x5FFF, 0x6000, 0x7FFF,
                              0x8000, 0x8001, 0xBFFF, 0xC000, 0xDFFF, 0xE000, 0xF000, 0xFFFF]
        lows += (0 ..< 18).map { UInt32(1) << ($0 % 16) | UInt32($0 * 2654435761 & 0xFFFF) }
        var inputs: [UInt32] = []
        inputs.reserveCapacity(65536 * lows.count + 1_100_000)
        for high in 0 ..< UInt32(65536) {
            for low in lows { inputs.append(high << 16 | low) }
        }
        var pattern: UInt64 = 0
        while pattern <= UInt64(UInt32.max) {
            inputs.append(UInt32(pattern))
            pattern += 4093
        }
        let portable = halves(inputs, useF16C: false)
        let f16c = halves(inputs, useF16C: true)
        let first = inputs.indices.first { portable[$0] != f16c[$0] }
        XCTAssertNil(first, first.map { String(format: "%08x: portable %04x, F16C %04x", inputs[$0], portable[$0], f16c[$0]) } ?? "")
        // And the scalar conversion writers of single values use.
        XCTAssertEqual(inputs.prefix(200_000).map { HalfPrecision.half(fromFloat: Float(bitPattern: $0)) }, Array(portable.prefix(200_000)))
    }

    /// The CPU check agrees with what the CPU reports.
    func testF16CIsDetectedAsTheCPUReports() throws {
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ") ?? []
        try XCTSkipIf(flags.isEmpty, "no /proc/cpuinfo flags here")
        XCTAssertEqual(HalfPrecision.hasF16C, flags.contains("f16c") && flags.contains("avx"))
        XCTAssertEqual(rk_has_f16c() != 0, HalfPrecision.hasF16C)
    }
}
