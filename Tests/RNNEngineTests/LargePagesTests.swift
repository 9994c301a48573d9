import RNNLayouts
import TensorFiles
import XCTest
@testable import RNNEngine

/// The engine's large buffers: mapped zeroed memory, 2 MB aligned, the whole
/// requested size writable, and a forward pass on them equal to one on small ones.
final class LargePagesTests: XCTestCase {
    func testLargeBuffersAreZeroAlignedAndWritable() {
        let count = (3 << 20) / 4 + 5  // a little over 3 MB of floats
        let buffer = AlignedBuffer<Float>(zeros: count)
        XCTAssertEqual(Int(bitPattern: buffer.pointer) % LargePages.alignment, 0)
        XCTAssertTrue(buffer.array.allSatisfy { $0 == 0 })
        for i in stride(from: 0, to: count, by: 1021) { buffer.pointer[i] = Float(i) }
        buffer.pointer[count - 1] = 1
        XCTAssertEqual(buffer.pointer[count - 1], 1)
        XCTAssertEqual(buffer.pointer[1021 * 7], Float(1021 * 7))
        buffer.zero()
        XCTAssertTrue(buffer.array.allSatisfy { $0 == 0 })
    }

    /// 400 steps × 24 sequences of an LSTM 64: workspaces of several MB (mapped) against the
    /// same sequences run one at a time (every buffer under 1 MB, from the allocator).
    func testForwardOnMappedBuffersEqualsForwardOnSmallOnes() throws {
        let architecture = RNNArchitecture(mode: .lstm, inputSize: 48, hiddenSize: 64)
        let network = try RNNNetwork(module: try TestModules.pytorchInitialised(architecture, seed: 1))
        var numbers = SeededNumbers(seed: 2)
        let input = numbers.floats([400, 24, 48])
        let whole = try network.forward(input: input, options: ExecutionOptions(threads: 2))
        let all = try input.floats()
        let got = try whole.output.floats()
        for first in stride(from: 0, to: 24, by: 5) {
            var part = [Float]()
            for t in 0 ..< 400 { part += all[(t * 24 + first) * 48 ..< (t * 24 + first + 1) * 48] }
            let result = try network.forward(input: Tensor(shape: [400, 1, 48], floats: part), options: ExecutionOptions(threads: 2))
            let expected = try result.output.floats()
            var largest: Float = 0
            for t in 0 ..< 400 {
                let wholeRow = (t * 24 + first) * 64, partRow = t * 64
                for j in 0 ..< 64 {
                    let difference: Float = got[wholeRow + j] - expected[partRow + j]
                    largest = max(largest, abs(difference))
                }
            }
            XCTAssertLessThanOrEqual(largest, 1e-5, "sequence \(first)")
            XCTAssertFalse(expected.allSatisfy { $0 == 0 })
        }
    }
}
