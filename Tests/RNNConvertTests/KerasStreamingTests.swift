import Foundation
import RNNLayouts
import TensorFiles
import XCTest
@testable import RNNConvert

/// The Keras kernels are written by the HDF5 child a row band (≤ 1 MiB) at a
/// time from the PyTorch weights (`KerasKernelRows`): a kernel of several
/// bands holds exactly what `KerasLayout.kerasVariables` computes whole.
final class KerasStreamingTests: XCTestCase {
    func testKernelsOfSeveralBandsMatchTheWholeTransposition() throws {
        try checkKernels(dtype: nil)
    }

    /// With `--dtype float16` the kernels are converted band by band from
    /// the float32 weights (F16C when the CPU has it), never whole: the
    /// same bits as the whole weights converted, then transposed.
    func testFloat16KernelsOfSeveralBandsMatchTheWholeConversion() throws {
        try checkKernels(dtype: .float16)
    }

    /// `KerasKernelRows.fill` on shapes that are no multiple of the AVX2
    /// path's 8×8 tiles, in bands of odd sizes: the vectorized path (AVX2
    /// gather, F16C) and the portable one both give exactly the kernel
    /// `KerasLayout.kerasVariables` computes whole, for every dtype.
    func testVectorizedAndPortableFillsGiveTheWholeKernel() throws {
        for mode in [RNNMode.lstm, .gru, .rnn] {
            for (input, hidden) in [(37, 13), (5, 3), (64, 16), (19, 1)] {
                let architecture = RNNArchitecture(mode: mode, inputSize: input, hiddenSize: hidden)
                let module = ModuleFactory.module(architecture)
                for (from, to) in [(DType.float32, DType.float32), (.float32, .float16), (.float64, .float64), (.float16, .float16)] {
                    let stored = try XCTUnwrap(module.tensor(ParameterName(.weightIH, layer: 0))).converted(to: from)
                    let weight = from == to ? stored : try stored.convertedWhenWritten(to: to)
                    let parameters = KerasLayout.Parameters(weightIH: try stored.converted(to: to), weightHH: try stored.converted(to: to), biases: nil)
                    let want = try KerasLayout.kerasVariables(parameters, mode: mode).kernel.data()
                    let rows = try KerasKernelRows(weight, mode: mode)
                    let rowBytes = want.count / input
                    for vectorized in [false, true] {
                        var got = Data(count: want.count)
                        for band in [1, 3, 8, 11, input] {
                            got.resetBytes(in: 0 ..< got.count)
                            var first = 0
                            while first < input {
                                let count = min(band, input - first)
                                let ok = got.withUnsafeMutableBytes { raw in
                                    rows.fill(first, count, UnsafeMutableRawBufferPointer(rebasing: raw[first * rowBytes ..< (first + count) * rowBytes]),
                                              vectorized: vectorized)
                                }
                                XCTAssertTrue(ok)
                                first += count
                            }
                            XCTAssertEqual(got, want, "\(mode) \(input)×\(hidden) \(from)→\(to) bands of \(band), vectorized \(vectorized)")
                        }
                    }
                }
            }
        }
    }

    private func checkKernels(dtype: DType?) throws {
        let folder = try ModuleFactory.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // LSTM: 256 Keras columns × 4 B = 1 KiB a row, 1024 rows a band, 4500 rows; GRU: 192 × 4 B, 1365 a band, 6000 rows
        // (float16: 2048 and 2730 rows a band).
        for architecture in [RNNArchitecture(mode: .lstm, inputSize: 4500, hiddenSize: 64, bidirectional: true),
                             RNNArchitecture(mode: .gru, inputSize: 6000, hiddenSize: 64)] {
            let module = ModuleFactory.module(architecture)
            let path = folder.appendingPathComponent("\(architecture.mode).weights.h5").path
            try KerasExporter.writeWeights(module, options: KerasExportOptions(dtype: dtype), to: path)
            let file = try HDF5Reader.read(path: path)
            for direction in 0 ..< architecture.directions {
                let parameters = KerasLayout.Parameters(
                    weightIH: try XCTUnwrap(module.tensor(ParameterName(.weightIH, layer: 0, reverse: direction == 1))).converted(to: dtype ?? .float32),
                    weightHH: try XCTUnwrap(module.tensor(ParameterName(.weightHH, layer: 0, reverse: direction == 1))).converted(to: dtype ?? .float32),
                    biases: nil)
                let expected = try KerasLayout.kerasVariables(parameters, mode: architecture.mode)
                for (index, want) in [expected.kernel, expected.recurrentKernel].enumerated() {
                    let suffix = (architecture.bidirectional ? (direction == 0 ? "forward_layer" : "backward_layer") + "." : "")
                    let got = try XCTUnwrap(file.tensors.first { $0.name.hasSuffix("\(suffix)cell.vars.\(index)") }?.tensor,
                                            "\(architecture.mode) \(suffix)cell.vars.\(index) in \(file.tensors.map(\.name))")
                    XCTAssertEqual(got.shape, want.shape)
                    XCTAssertEqual(got.dtype, dtype ?? .float32)
                    XCTAssertEqual(try got.data(), try want.data(), "\(architecture.mode) direction \(direction) vars/\(index)")
                }
            }
        }
    }
}
