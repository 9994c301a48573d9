@testable import TensorFiles
import XCTest

/// `TracedCellForward` against the stock cells' traced code (as torch 2.13
/// writes it) and against code that is not a cell: a hook, a swapped
/// result, and hostile text that must neither crash nor take long.
final class TracedCellForwardTests: XCTestCase {
    private func body(_ signature: String, _ lines: [String]) -> [Substring] {
        (["  def forward(self: __torch__.torch.nn.modules.rnn.GRUCell,", "    input: Tensor\(signature)) -> Tensor:"]
            + lines.map { "    " + $0 }).map { Substring($0) }
    }

    private let gruLines = [
        "bias_hh = self.bias_hh", "weight_hh = self.weight_hh", "bias_ih = self.bias_ih", "weight_ih = self.weight_ih",
        "_0 = ops.prim.NumToTensor(torch.size(input, 0))",
        "hx = torch.zeros([int(_0), 7], dtype=6, layout=None, device=torch.device(\"cpu\"), pin_memory=False)",
        "_1 = torch.linear(input, weight_ih, bias_ih)", "_2, _3, _4, = torch.unsafe_chunk(_1, 3, 1)",
        "_5 = torch.linear(hx, weight_hh, bias_hh)", "_6, _7, _8, = torch.unsafe_chunk(_5, 3, 1)",
        "_9 = torch.sigmoid_(torch.add_(_6, _2))", "_10 = torch.sigmoid_(torch.add_(_7, _3))",
        "_11 = torch.tanh_(torch.add(_4, torch.mul_(_8, _9)))",
    ]

    func testTheStockGRUCellMatches() {
        let forward = TracedCellForward(body("", gruLines + ["_12 = torch.add_(torch.mul_(torch.sub(hx, _11), _10), _11)", "return _12"]), kind: .gru)
        XCTAssertEqual(forward.beyondRecurrence, [])
        XCTAssertEqual(forward.weights, ["weight_ih", "weight_hh", "bias_ih", "bias_hh"])
    }

    func testAnythingElseIsNamed() {
        // A hook's constant.
        var forward = TracedCellForward(body("", gruLines + ["out = torch.add_(torch.mul_(torch.sub(hx, _11), _10), _11)",
                                                             "return torch.mul(out, CONSTANTS.c0)"]), kind: .gru)
        XCTAssertEqual(forward.beyondRecurrence.count, 1)
        XCTAssertTrue(forward.beyondRecurrence[0].contains("torch.mul (with constants of the code)"), forward.beyondRecurrence[0])
        XCTAssertNil(forward.weights)
        // The same ops in another arrangement: (n − h) z + n is not the GRU's (h − n) z + n.
        forward = TracedCellForward(body("", gruLines + ["_12 = torch.add_(torch.mul_(torch.sub(_11, hx), _10), _11)", "return _12"]), kind: .gru)
        XCTAssertEqual(forward.beyondRecurrence.count, 1)
        XCTAssertTrue(forward.beyondRecurrence[0].contains("otherwise than PyTorch's GRUCell"), forward.beyondRecurrence[0])
        // A GRU's code read as an LSTMCell's.
        forward = TracedCellForward(body("", gruLines + ["_12 = torch.add_(torch.mul_(torch.sub(hx, _11), _10), _11)", "return _12"]), kind: .lstm)
        XCTAssertEqual(forward.beyondRecurrence.count, 1)
        // An op the cells do not use.
        forward = TracedCellForward(body("", gruLines + ["return torch.dropout(_11, 0.5, True)"]), kind: .gru)
        XCTAssertTrue(forward.beyondRecurrence.first?.contains("torch.dropout") == true, "\(forward.beyondRecurrence)")
    }

    func testHostileCodeEndsQuickly() {
        // Each line doubles the expansion: stopped by the node budget, not expanded 2^40 times.
        var lines = ["a0 = torch.add(input, input)"]
        for index in 1 ... 40 { lines.append("a\(index) = torch.add(a\(index - 1), a\(index - 1))") }
        let start = Date()
        var forward = TracedCellForward(body("", lines + ["return a40"]), kind: .gru)
        XCTAssertEqual(forward.beyondRecurrence.count, 1)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        // A name bound to itself, deep nesting, unbalanced brackets, an empty body.
        forward = TracedCellForward(body("", ["a = torch.tanh(a)", "return a"]), kind: .rnn)
        XCTAssertEqual(forward.beyondRecurrence.count, 1)
        forward = TracedCellForward(body("", ["return " + String(repeating: "torch.tanh(", count: 10_000) + "input" + String(repeating: ")", count: 10_000)]), kind: .rnn)
        XCTAssertEqual(forward.beyondRecurrence.count, 1)
        forward = TracedCellForward(body("", ["a = torch.tanh((input", "return a)"]), kind: .rnn)
        XCTAssertEqual(forward.beyondRecurrence.count, 1)
        forward = TracedCellForward([], kind: .lstm)
        XCTAssertEqual(forward.beyondRecurrence, ["rnnkit cannot read its traced forward"])
        XCTAssertNil(forward.weights)
    }
}
