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
