import Foundation
import RNNKit
import TensorFiles
import XCTest

/// Paths and comparisons the RNNKit tests share.
enum Fixtures {
    /// The repository's `Fixtures/` folder.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    /// The arrays of an `.npz` (or any container), by name.
    static func arrays(_ url: URL) throws -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: try TensorFile.open(url.path).tensors.map { ($0.name, $0.tensor) })
    }

    /// A fresh empty folder, removed when the test ends.
    static func temporaryFolder(_ test: XCTestCase) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnnkit-facade-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder
    }
}

/// Fails unless `actual` has `expected`'s shape and every element is within
/// `atol` (the engine's parity tolerance: 1e-5 in float32, 1e-10 in float64).
func assertClose(_ actual: Tensor?, _ expected: Tensor?, atol: Double? = nil, _ label: String,
                 file: StaticString = #filePath, line: UInt = #line) throws {
    guard let actual, let expected else {
        XCTAssertTrue(actual == nil && expected == nil, "\(label): one of the tensors is missing", file: file, line: line)
        return
    }
    XCTAssertEqual(actual.shape, expected.shape, "\(label): shape", file: file, line: line)
    let tolerance = atol ?? (actual.dtype == .float64 ? 1e-10 : 1e-5)
    let a = try actual.doubles(), e = try expected.doubles()
    guard a.count == e.count else { return }
    let worst = zip(a, e).map { abs($0 - $1) }.max() ?? 0
    XCTAssertLessThanOrEqual(worst, tolerance, "\(label): max |Δ| \(worst)", file: file, line: line)
}
