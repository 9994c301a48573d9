import Foundation
import XCTest
@testable import TensorFiles

/// The records the describing child sends, and what the reader makes of them.
final class HDF5DescriptionTests: XCTestCase {
    func testRecordsAreParsed() throws {
        let records = """
        O\t.
        O\tlstm
        D\tlstm/w\tsimple\t2\t8,4\tu,4\tchunked\t0\t2\t2,4\t1\tfloat\t2\t0\t2\t0\t40
        d\tlstm/bad\topen-dataset\t\tunable to open dataset
        A\t/\tnote\ttab%09newline%0Apercent%25
        a\tlstm\tread-attribute\tx\tno

        """
        let description = try HDF5Description(records: records)
        XCTAssertNil(description.failure)
        XCTAssertEqual(description.objects, [".", "lstm"])
        XCTAssertEqual(description.datasets.count, 2)
        let dataset = try description.datasets[0].result.get()
        XCTAssertEqual(dataset.dims, [8, 4])
        XCTAssertEqual(dataset.maxDims, [nil, 4])
        XCTAssertEqual(dataset.chunk, [2, 4])
        XCTAssertEqual(dataset.float16Kind, 2)
        XCTAssertEqual(dataset.storedBytes, 40)
        guard case .failure(let failure) = description.datasets[1].result else { return XCTFail("lstm/bad was described") }
        XCTAssertEqual(failure, HDF5LibraryFailure(.openDataset, account: "unable to open dataset"))
        XCTAssertEqual(description.attributes["/"], ["note": "tab\tnewline\npercent%"])
        XCTAssertEqual(description.attributeFailures["lstm"], HDF5LibraryFailure(.readAttribute("x"), account: "no"))
        // What failed, of which object, then libhdf5's account.
        XCTAssertEqual(TensorFileError(file: "w.h5", .hdf5(.library(HDF5LibraryFailure(.readAttribute("x"), account: "no"), object: "lstm"))).description,
                       "w.h5: HDF5: cannot read attribute 'x' of 'lstm': no")
        XCTAssertTrue(description.contains(object: "/lstm/"))
        XCTAssertTrue(description.contains(object: "/"))
        XCTAssertFalse(description.contains(object: "gru"))
    }

    func testMalformedRecordsAreErrors() {
        for records in ["D\tonly\tthree\tfields", "Z\twhat", "D\tp\tsimple\t1\tx\tx\tcontiguous\t0\t0\t\t0\tfloat\t4\t0\t0\t0\t0",
                        "F\tcannot open the file: old format", "F\tno-such-operation\t\twhy"] {
            XCTAssertThrowsError(try HDF5Description(records: records), records)
        }
    }

    /// Names and values with tabs, newlines and '%' survive the trip from the child.
    func testEscapedCharactersSurviveTheChild() throws {
        let path = try FormatSamples.temporaryDirectory(self).appendingPathComponent("odd.h5").path
        let odd = "a\tb\nc%41"
        try HDF5Writer.write(to: path) { file in
            try file.createGroup(odd)
            try file.setAttribute(odd, odd, on: odd)
            try file.setAttribute("root", odd)
            try file.writeDataset("\(odd)/w", Tensor(shape: [2], floats: [1, 2]))
        }
        let back = try HDF5Reader.read(path: path)
        XCTAssertEqual(back.metadata, ["root": odd])
        XCTAssertEqual(back.tensors.map(\.name), ["\(odd).w"])
        XCTAssertEqual(try back.tensors[0].tensor.floats(), [1, 2])
        XCTAssertEqual(try HDF5Reader.stringAttributes(path: path, object: odd), [odd: odd])
    }
}
