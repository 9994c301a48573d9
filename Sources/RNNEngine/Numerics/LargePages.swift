import Foundation

/// Zeroed memory straight from the kernel for the engine's large buffers,
/// 2 MB aligned and marked for transparent huge pages (`MADV_HUGEPAGE`), so
/// that a forward pass that touches tens of megabytes for the first time
/// (every `rnnkit run`) takes a page fault per 2 MB instead of per 4 KB. Where
/// the system gives no huge pages the memory is still zero and usable.
enum LargePages {
    /// Buffers from this size up are mapped here (smaller ones gain nothing).
    static let threshold = 1 << 20
    /// The huge-page size on x86-64.
    static let alignment = 2 << 20

    /// `byteCount` (rounded up to 2 MB) zero bytes, 2 MB aligned; nil if the
    /// kernel refuses the mapping.
    static func allocate(byteCount: Int) -> (pointer: UnsafeMutableRawPointer, byteCount: Int)? {
        let size = (byteCount + alignment - 1) / alignment * alignment
        let (reserved, overflow) = size.addingReportingOverflow(alignment)
        guard !overflow,
              let base = mmap(nil, reserved, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              base != MAP_FAILED else { return nil }
        // Keep the 2 MB-aligned `size` bytes inside the reservation; give back the rest.
        let address = Int(bitPattern: base)
        let start = (address + alignment - 1) / alignment * alignment
        if start > address { munmap(base, start - address) }
        let tail = address + reserved - (start + size)
        if tail > 0, let end = UnsafeMutableRawPointer(bitPattern: start + size) { munmap(end, tail) }
        guard let pointer = UnsafeMutableRawPointer(bitPattern: start) else { return nil }
        _ = madvise(pointer, size, MADV_HUGEPAGE)
        return (pointer, size)
    }

    /// Returns memory from `allocate`.
    static func release(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        munmap(pointer, byteCount)
    }
}

/// Zeroed bytes for a result tensor that the engine writes in place (from
/// `LargePages` when large), handed out once as `Data` without a copy.
final class OutputBytes {
    /// The first byte.
    let pointer: UnsafeMutableRawPointer
    private let byteCount: Int
    private let mappedBytes: Int
    private var owned = true

    /// `byteCount` zero bytes, 64-byte aligned.
    init(byteCount: Int) {
        self.byteCount = byteCount
        if byteCount >= LargePages.threshold, let mapped = LargePages.allocate(byteCount: byteCount) {
            pointer = mapped.pointer
            mappedBytes = mapped.byteCount
        } else {
            pointer = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
            pointer.initializeMemory(as: UInt8.self, repeating: 0, count: max(byteCount, 1))
            mappedBytes = 0
        }
    }

    /// The bytes, which the `Data` owns from now on: call once, after the last write
    /// (a small `Data` copies its bytes when made).
    func data() -> Data {
        precondition(owned, "OutputBytes handed out twice")
        owned = false
        let mapped = mappedBytes
        return Data(bytesNoCopy: pointer, count: byteCount, deallocator: .custom { pointer, _ in
            if mapped > 0 { LargePages.release(pointer, byteCount: mapped) } else { pointer.deallocate() }
        })
    }

    deinit {
        guard owned else { return }
        if mappedBytes > 0 { LargePages.release(pointer, byteCount: mappedBytes) } else { pointer.deallocate() }
    }
}
