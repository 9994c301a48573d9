import Foundation
import RNNLayouts
import XCTest

final class ONNXLayoutTests: XCTestCase {
    func testPlaceholder() {}
}
