// The CRC-32 of the file the writing child makes, from the end of its user
// block to its end: what a `.keras` archive's zip directory needs for the
// HDF5 file stored in it. Computed while the file is written, so that the
// parent need not read the file back once more: every piece of dataset data
// is checksummed from the buffer libhdf5 wrote it from (the same bytes: the
// memory type is the dataset's type, the layout contiguous, no filters), at
// the dataset's address, on rnnkit's CRC queue (Sources/OutputSafety,
// crc_queue.h: a helper thread beside the writing thread, which takes what
// the helper has not reached before it refills a buffer); the rest of the
// file (libhdf5's metadata, small datasets) is read back after the file is
// closed, and zlib's crc32_combine joins the parts in file order.
#define _GNU_SOURCE
#include "probe_internal.h"
#include "crc_queue.h"
#include "output_safety.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

struct probe_checksum {
    unsigned long long from;
    rk_crc_queue *queue;  // pieces keyed by their offset in the file
};

probe_checksum *probe_checksum_start(unsigned long long from) {
    probe_checksum *sum = calloc(1, sizeof *sum);
    if (!sum) return NULL;
    sum->from = from;
    sum->queue = rk_crc_queue_start(1);
    if (!sum->queue) { free(sum); return NULL; }
    return sum;
}

void probe_checksum_rows(probe_checksum *sum, hid_t dataset, unsigned long long at, const void *data, size_t size) {
    if (!sum) return;
    // A contiguous dataset's rows lie at its address in row order; a
    // dataset without one (compact) is read back with the metadata.
    haddr_t address = H5Dget_offset(dataset);
    // A piece that cannot be queued (no memory) makes the queue report nothing: the parent reads the file back.
    if (address != HADDR_UNDEF) (void)rk_crc_queue_add(sum->queue, address + at, data, size);
}

void probe_checksum_drain(probe_checksum *sum) {
    if (sum) rk_crc_queue_drain(sum->queue);
}

/// Continues `*crc` over the file's bytes `offset ..< end` read from `fd`.
static int checksum_file_range(int fd, unsigned long long offset, unsigned long long end, unsigned char *buffer,
                               size_t capacity, unsigned int *crc) {
    while (offset < end) {
        size_t want = end - offset < capacity ? (size_t)(end - offset) : capacity;
        ssize_t got = pread(fd, buffer, want, (off_t)offset);
        if (got <= 0) return -1;
        *crc = rk_crc32(*crc, buffer, (size_t)got);
        offset += (unsigned long long)got;
    }
    return 0;
}

/// The CRC-32 and length of the file from `sum->from` to its end: the
/// queue's pieces joined in file order with the bytes between them read
/// from `fd`. Returns 0, or -1 when it cannot be told.
static int checksum_file(probe_checksum *sum, int fd, unsigned int *crc, unsigned long long *size) {
    long long count = rk_crc_queue_sorted(sum->queue);
    struct stat file;
    if (count < 0 || fd < 0 || fstat(fd, &file) != 0 || (unsigned long long)file.st_size < sum->from) return -1;
    size_t capacity = (size_t)1 << 20;
    unsigned char *buffer = malloc(capacity);
    if (!buffer) return -1;
    unsigned long long end = (unsigned long long)file.st_size;
    unsigned long long position = sum->from;
    unsigned int value = 0;
    int status = 0;
    for (long long i = 0; i < count && status == 0; i++) {
        unsigned long long offset;
        size_t bytes;
        unsigned int piece;
        rk_crc_queue_piece(sum->queue, (size_t)i, &offset, &bytes, &piece);
        // Pieces that overlap or leave the file mean the offsets were not what they seemed: report nothing.
        if (offset < position || offset > end || bytes > end - offset) { status = -1; break; }
        status = checksum_file_range(fd, position, offset, buffer, capacity, &value);
        value = rk_crc32_combine(value, piece, bytes);
        position = offset + bytes;
    }
    if (status == 0) status = checksum_file_range(fd, position, end, buffer, capacity, &value);
    free(buffer);
    *crc = value;
    *size = end - sum->from;
    return status;
}

void probe_checksum_report(probe_checksum *sum, int fd) {
    if (!sum) return;
    unsigned int crc = 0;
    unsigned long long size = 0;
    if (checksum_file(sum, fd, &crc, &size) == 0) {
        probe_line *line = probe_line_start('C');
        probe_line_number(line, crc);
        probe_line_number(line, (long long)size);
        probe_line_send(line);
    }
    rk_crc_queue_stop(sum->queue);
    free(sum);
}
