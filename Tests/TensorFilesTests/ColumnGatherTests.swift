import Foundation
@testable import TensorFiles
import XCTest

/// The transposing gather of the Keras kernel writer (`ColumnGather`): the
/// AVX2 path (4-byte elements, chosen at run time) and the portable loop
/// give the same bytes as the definition, on shapes that are no multiple of
/// the 8×8 tiles, with columns starting anywhere (unaligned, reordered).
final class ColumnGatherTests: XCTestCase {
    /// out[i][c] = element i of the run at starts[c], byte by byte.
    private func reference(_ source: [UInt8], starts: [Int], count: Int, itemSize: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: starts.count * count * itemSize)
        for column in starts.indices {
            for index in 0 ..< count {
                for byte in 0 ..< itemSize {
                    out[(index * starts.count + column) * itemSize + byte] = source[starts[column] + index * itemSize + byte]
                }
            }
        }
        return out
    }

    private func gathered(_ source: [UInt8], starts: [Int], count: Int, itemSize: Int, vectorized: Bool) -> [UInt8] {
        // The output's first byte unaligned too; the guard bytes around it must stay.
        var out = [UInt8](repeating: 0xA5, count: starts.count * count * itemSize + 3 + 64)
        source.withUnsafeBytes { raw in
            starts.withUnsafeBufferPointer { starts in
                out.withUnsafeMutableBytes { output in
                    ColumnGather.gather(raw.baseAddress!, starts: starts, count: count, itemSize: itemSize,
                                        into: output.baseAddress! + 3, vectorized: vectorized)
                }
            }
        }
        XCTAssertEqual(out[0 ..< 3], [0xA5, 0xA5, 0xA5])
        XCTAssertEqual(Array(out.suffix(64)), [UInt8](repeating: 0xA5, count: 64))
        return Array(out[3 ..< 3 + starts.count * count * itemSize])
    }

    func testBothPathsMatchTheDefinitionOnOddShapes() {
        var generator = SystemRandomNumberGenerator()
        let paths = ColumnGather.hasAVX2 ? [false, true] : [false]
        for itemSize in [2, 4, 8] {
            for (columns, count) in [(1, 1), (7, 3), (8, 8), (9, 17), (13, 22), (52, 37), (64, 5), (203, 9), (16, 64), (520, 9), (1037, 13)] {
                // A PyTorch-like source: `columns` runs of `count + slack` elements, at an odd byte offset, reordered.
                let slack = 5
                let runBytes = (count + slack) * itemSize
                let source = (0 ..< columns * runBytes + 1).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
                let starts = (0 ..< columns).map { 1 + ((columns - 1 - $0) * 7 % columns) * runBytes + (slack / 2) * itemSize }
                let want = reference(source, starts: starts, count: count, itemSize: itemSize)
                for vectorized in paths {
                    XCTAssertEqual(gathered(source, starts: starts, count: count, itemSize: itemSize, vectorized: vectorized), want,
                                   "item \(itemSize), \(columns) columns × \(count), vectorized \(vectorized)")
                }
            }
        }
    }

    /// `gatherHalves`: the same gather, each float32 stored as float16 —
    /// `HalfPrecision.half(fromFloat:)` of it, bit for bit, on both paths,
    /// for random bit patterns (NaNs, infinities, subnormals, ties included).
    func testHalvesOfBothPathsMatchTheScalarConversion() {
        var generator = SystemRandomNumberGenerator()
        let paths = ColumnGather.hasAVX2 ? [false, true] : [false]
        for (columns, count) in [(1, 1), (7, 3), (8, 8), (9, 17), (13, 22), (52, 37), (203, 9), (1037, 13)] {
            let run = count + 3
            var bits = (0 ..< columns * run).map { _ in UInt32.random(in: 0 ... .max, using: &generator) }
            for (index, special) in [0x7F80_0000, 0xFF80_0000, 0x7FC0_0001, 0x0000_0001, 0x3880_0000, 0x477F_F000, 0x3300_0000].enumerated()
            where index < bits.count { bits[index * bits.count / 7] = UInt32(special) }
            let starts = (0 ..< columns).map { ((columns - 1 - $0) * run + 1) * 4 }
            var want = [UInt16](repeating: 0, count: columns * count)
            for column in 0 ..< columns {
                for index in 0 ..< count {
                    want[index * columns + column] = HalfPrecision.half(fromFloat: Float(bitPattern: bits[starts[column] / 4 + index]))
                }
            }
            for vectorized in paths {
                var got = [UInt16](repeating: 0xDEAD, count: columns * count)
                bits.withUnsafeBytes { raw in
                    starts.withUnsafeBufferPointer { starts in
                        got.withUnsafeMutableBytes {
                            ColumnGather.gatherHalves(fromFloats: raw.baseAddress!, starts: starts, count: count, into: $0.baseAddress!, vectorized: vectorized)
                        }
                    }
                }
                XCTAssertEqual(got, want, "\(columns) columns × \(count), vectorized \(vectorized)")
            }
        }
    }

    /// The last run ends exactly at the end of a page followed by an
    /// unmapped one: the AVX2 path's masked loads of the last < 8 rows read
    /// nothing past it.
    func testNothingIsReadPastTheLastRun() throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard let mapped = mmap(nil, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), mapped != MAP_FAILED else {
            throw XCTSkip("mmap failed")
        }
        defer { munmap(mapped, 2 * page) }
        XCTAssertEqual(mprotect(mapped + page, page, PROT_NONE), 0)
        let count = 13, columns = 11
        let base = mapped + page - columns * count * 4
        for index in 0 ..< columns * count { base.storeBytes(of: UInt32(index), toByteOffset: index * 4, as: UInt32.self) }
        let starts = (0 ..< columns).map { $0 * count * 4 }
        var out = [UInt32](repeating: 0, count: columns * count)
        for vectorized in ColumnGather.hasAVX2 ? [false, true] : [false] {
            starts.withUnsafeBufferPointer { starts in
                out.withUnsafeMutableBytes { ColumnGather.gather(base, starts: starts, count: count, itemSize: 4, into: $0.baseAddress!, vectorized: vectorized) }
            }
            XCTAssertEqual(out, (0 ..< count).flatMap { index in (0 ..< columns).map { UInt32($0 * count + index) } })
        }
    }

    /// The AVX2 path is taken where the CPU has it (so the tests above compare two paths there).
    func testAVX2IsDetectedAsTheCPUReports() throws {
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ") ?? []
        try XCTSkipIf(flags.isEmpty, "no /proc/cpuinfo flags here")
        XCTAssertEqual(ColumnGather.hasAVX2, flags.contains("avx2") && flags.contains("avx") && flags.contains("f16c"))
    }
}
