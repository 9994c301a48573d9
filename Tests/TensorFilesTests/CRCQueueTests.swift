import Foundation
import OutputSafety
import XCTest

/// rnnkit's CRC queue (Sources/OutputSafety/crc_queue.c), the one mechanism
/// behind the stored-zip writer's CRC-32 (`ChecksumHelper`) and the HDF5
/// child's (`HDF5WriteChecksumTests`): jobs a helper thread and the caller
/// take in turn, read back in position order whatever order they were
/// queued in, with a helper thread and without one.
final class CRCQueueTests: XCTestCase {
    private static let jobBytes = 256 << 10

    /// Pieces of many sizes queued out of order (some drained between, as a
    /// writer does before it refills a buffer) join to zlib's CRC-32 of the
    /// whole; `sorted` lists them by position, cut into jobs of at most 256 KiB.
    func testPiecesQueuedInAnyOrderJoinToZlibsCRCOfTheWhole() throws {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0 ..< 3_000_017).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
        let whole = bytes.withUnsafeBytes { rk_crc32(0xDEAD_BEEF, $0.baseAddress, $0.count) }
        // Pieces of 1 B … 1 MiB + 1 covering the bytes once.
        let lengths = [1, 7, 4096, Self.jobBytes - 1, Self.jobBytes, Self.jobBytes + 1, 1 << 20, (1 << 20) + 1, 65_536, 3]
        var pieces: [Range<Int>] = []
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + lengths[pieces.count % lengths.count])
            pieces.append(offset ..< end)
            offset = end
        }
        for helper in [1, 0] {
            let queue = try XCTUnwrap(rk_crc_queue_start(Int32(helper)))
            defer { rk_crc_queue_stop(queue) }
            for round in 0 ..< 2 {
                var crc: UInt32 = 0
                bytes.withUnsafeBytes { buffer in
                    for (index, piece) in pieces.shuffled(using: &generator).enumerated() {
                        XCTAssertEqual(rk_crc_queue_add(queue, UInt64(piece.lowerBound), buffer.baseAddress! + piece.lowerBound, piece.count), 0)
                        if index % 5 == 4 { rk_crc_queue_drain(queue) }
                    }
                    let count = rk_crc_queue_sorted(queue)
                    XCTAssertGreaterThanOrEqual(count, Int64(pieces.count))
                    var next: UInt64 = 0
                    for index in 0 ..< Int(count) {
                        var position: UInt64 = 0, size = 0, jobCRC: UInt32 = 0
                        rk_crc_queue_piece(queue, index, &position, &size, &jobCRC)
                        XCTAssertEqual(position, next, "job \(index)")
                        XCTAssertLessThanOrEqual(size, Self.jobBytes)
                        XCTAssertEqual(jobCRC, rk_crc32(0, buffer.baseAddress! + Int(position), size))
                        next = position + UInt64(size)
                    }
                    XCTAssertEqual(next, UInt64(bytes.count))
                    XCTAssertEqual(rk_crc_queue_take(queue, 0xDEAD_BEEF, &crc), 0)
                }
                XCTAssertEqual(crc, whole, "helper \(helper), round \(round)")
            }
            // Emptied by take: nothing queued continues the CRC unchanged.
            var crc: UInt32 = 0
            XCTAssertEqual(rk_crc_queue_take(queue, 0x1234_5678, &crc), 0)
            XCTAssertEqual(crc, 0x1234_5678)
        }
    }

    /// Without a queue (no memory for one) nothing is queued and no result is
    /// reported: callers compute the CRC-32 themselves.
    func testNoQueueReportsNothing() {
        var byte: UInt8 = 1
        XCTAssertEqual(rk_crc_queue_add(nil, 0, &byte, 1), -1)
        var crc: UInt32 = 0
        XCTAssertEqual(rk_crc_queue_take(nil, 0, &crc), -1)
        XCTAssertEqual(rk_crc_queue_sorted(nil), -1)
        rk_crc_queue_drain(nil)
        rk_crc_queue_stop(nil)
    }
}
