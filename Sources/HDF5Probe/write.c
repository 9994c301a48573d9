// rk_hdf5_write: a file written by libhdf5 in the child, step by step: groups,
// datasets (from the caller's memory or filled band by band) and string attributes.
#define _GNU_SOURCE
#include "probe_internal.h"
#include "output_safety.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/// Sends "E errno" when libhdf5's error stack names a system error
/// ("errno = 28" in its file driver's message); leaves the stack as it is.
static herr_t find_errno(unsigned depth, const H5E_error2_t *record, void *context) {
    (void)depth;
    int *found = context;
    const char *mark = record->desc ? strstr(record->desc, "errno = ") : NULL;
    if (mark && !*found) *found = atoi(mark + 8);
    return 0;
}

/// Sends "E errno" (when libhdf5 names one) and the "F" failure record of
/// the write `operation` (a code, as for send_failure) of `object`.
static void send_write_failure(const char *object, const char *operation) {
    int code = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, find_errno, &code);
    if (code) {
        probe_line *line = probe_line_start('E');
        probe_line_number(line, code);
        probe_line_send(line);
    }
    probe_send_failure('F', NULL, operation, object);
}

static int write_string_attribute(hid_t file, const rk_write_op *op) {
    hid_t object = H5Oopen(file, op->object, H5P_DEFAULT);
    if (object < 0) return -1;
    if (H5Aexists(object, op->name) > 0) H5Adelete(object, op->name);
    hid_t type = H5Tcopy(H5T_C_S1);
    hid_t space;
    if (op->kind == RK_WRITE_STRING) {
        H5Tset_size(type, H5T_VARIABLE);
        H5Tset_cset(type, H5T_CSET_UTF8);
        space = H5Screate(H5S_SCALAR);
    } else {
        size_t width = 1;
        for (size_t i = 0; i < op->string_count; i++) {
            size_t length = strlen(op->strings[i]);
            if (length > width) width = length;
        }
        H5Tset_size(type, width);
        H5Tset_strpad(type, H5T_STR_NULLPAD);
        hsize_t count = op->string_count;
        space = H5Screate_simple(1, &count, NULL);
    }
    hid_t attribute = H5Acreate2(object, op->name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t status = -1;
    if (attribute >= 0 && op->kind == RK_WRITE_STRING) {
        status = H5Awrite(attribute, type, &op->strings[0]);
    } else if (attribute >= 0) {
        size_t width = H5Tget_size(type);
        char *buffer = calloc(op->string_count ? op->string_count : 1, width);
        if (buffer) {
            for (size_t i = 0; i < op->string_count; i++) memcpy(buffer + i * width, op->strings[i], strlen(op->strings[i]));
            status = H5Awrite(attribute, type, buffer);
            free(buffer);
        }
    }
    if (attribute >= 0) H5Aclose(attribute);
    H5Sclose(space);
    H5Tclose(type);
    H5Oclose(object);
    return status < 0 ? -1 : 0;
}

/// The file being written, opened a second time (read-only) so that the
/// child can start its writeback; -1 when it could not be opened.
static int writeback_fd = -1;

/// Bytes of dataset data written since writeback was last started.
static size_t unflushed_bytes = 0;

/// The CRC-32 of the file after its user block, computed while it is
/// written when there is a user block (a `.keras` archive); else NULL.
static probe_checksum *checksum = NULL;

/// Writeback is started every this many bytes of data (as FileOutput does in
/// the parent): the disk writes while libhdf5 and the fillers work, instead
/// of everything waiting for the final fsync.
#define WRITEBACK_BYTES ((size_t)16 << 20)

/// Counts `bytes` written and, every WRITEBACK_BYTES, asks the kernel to
/// start writing the file's dirty pages to disk (without waiting).
/// The range ends a band short of the file's end, at a page boundary: the
/// pages still being written are left alone.
static void written(size_t bytes) {
    unflushed_bytes += bytes;
    if (unflushed_bytes < WRITEBACK_BYTES || writeback_fd < 0) return;
    struct stat status;
    if (fstat(writeback_fd, &status) != 0 || status.st_size <= (off_t)WRITEBACK_BYTES) return;
    off_t end = (status.st_size - (off_t)WRITEBACK_BYTES) & ~(off_t)4095;
    (void)sync_file_range(writeback_fd, 0, end, SYNC_FILE_RANGE_WRITE);
    unflushed_bytes = 0;
}

/// The most bytes one H5Dwrite (so one pwrite) carries. On Linux 6.x ext4
/// gives larger writes larger page-cache folios, 2 MiB ones from 2 MiB on;
/// in VMs whose host reclaims free guest memory (free page reporting) those
/// come back from the host on first touch: 512 MiB written in 2 MiB or
/// 12 MiB pieces cost 0.5–0.95 s of system time against 0.17–0.21 s in
/// 1 MiB pieces on Zen 1 (docs/performance.md, "Conversion on Zen 1").
#define WRITE_PIECE_BYTES ((size_t)1 << 20)

/// Writes rows `first ..< first + rows` of the dataset from `buffer`, in
/// pieces of at most WRITE_PIECE_BYTES (at least one row), each prefaulted
/// (`rk_prefault`: write(2) from unmapped pages of a map copies short at each
/// one, and ext4 zeroes the rest of the new page-cache folio before retrying).
static herr_t write_rows(hid_t dataset, hid_t type, hid_t space, const rk_write_op *op, hsize_t first, hsize_t rows,
                         const void *buffer) {
    size_t row_bytes = op->size / op->dims[0];
    hsize_t piece = row_bytes > 0 && row_bytes < WRITE_PIECE_BYTES ? WRITE_PIECE_BYTES / row_bytes : 1;
    hsize_t start[64] = {0}, count[64];
    for (int i = 0; i < op->rank; i++) count[i] = op->dims[i];
    herr_t status = 0;
    for (hsize_t done = 0; done < rows && status >= 0; done += piece) {
        hsize_t now = rows - done < piece ? rows - done : piece;
        const char *data = (const char *)buffer + done * row_bytes;
        rk_prefault(data, now * row_bytes);  // see output_safety.h
        start[0] = first + done;
        count[0] = now;
        hid_t memory = H5Screate_simple(op->rank, count, NULL);
        status = memory < 0 ? -1 : H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL);
        if (status >= 0) status = H5Dwrite(dataset, type, memory, space, H5P_DEFAULT, data);
        if (memory >= 0) H5Sclose(memory);
        if (status >= 0) probe_checksum_rows(checksum, dataset, start[0] * row_bytes, data, now * row_bytes);
    }
    if (status >= 0) written((size_t)rows * row_bytes);
    return status;
}

/// The band buffer of write_dataset_bands, kept for the next dataset (the
/// child ends after the file): fresh memory costs a page fault, zeroing and
/// on some VMs the host's first touch for every page, once per dataset.
static void *band_buffer = NULL;

static size_t band_capacity = 0;

/// Writes a dataset whose rows `op->fill` produces, `op->band_rows` at a time.
static herr_t write_dataset_bands(hid_t dataset, hid_t type, hid_t space, const hsize_t *dims, const rk_write_op *op) {
    size_t row_bytes = op->size / dims[0];
    hsize_t band = op->band_rows < dims[0] ? op->band_rows : dims[0];
    size_t needed = band * row_bytes > 0 ? band * row_bytes : 1;
    probe_checksum_drain(checksum);  // no piece may still refer to the buffer freed here
    if (needed > band_capacity) {
        free(band_buffer);
        band_buffer = malloc(needed);
        band_capacity = band_buffer ? needed : 0;
    }
    void *buffer = band_buffer;
    if (!buffer) return -1;
    herr_t status = 0;
    for (hsize_t first = 0; first < dims[0] && status >= 0; first += band) {
        hsize_t rows = dims[0] - first < band ? dims[0] - first : band;
        probe_checksum_drain(checksum);  // the band before is checksummed: the buffer may change
        if (op->fill(op->fill_context, first, rows, buffer) != 0) { status = -1; break; }
        status = write_rows(dataset, type, space, op, first, rows, buffer);
    }
    return status;
}

/// Writes a dataset from `op->data` in bands of rows of about
/// WRITEBACK_BYTES (straight from the caller's memory, nothing copied; each
/// in pieces of WRITE_PIECE_BYTES), so that its writeback starts while the
/// rest is written.
static herr_t write_dataset_data(hid_t dataset, hid_t type, hid_t space, const hsize_t *dims, const rk_write_op *op) {
    size_t row_bytes = op->size / dims[0];
    hsize_t band = row_bytes > 0 && row_bytes < WRITEBACK_BYTES ? WRITEBACK_BYTES / row_bytes : 1;
    herr_t status = 0;
    for (hsize_t first = 0; first < dims[0] && status >= 0; first += band) {
        hsize_t rows = dims[0] - first < band ? dims[0] - first : band;
        status = write_rows(dataset, type, space, op, first, rows, (const char *)op->data + first * row_bytes);
    }
    return status;
}

static int write_dataset(hid_t file, hid_t links, const rk_write_op *op) {
    hsize_t dims[64];
    if (op->rank < 0 || op->rank > 64) return -1;
    for (int i = 0; i < op->rank; i++) dims[i] = op->dims[i];
    hid_t space = op->rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(op->rank, dims, NULL);
    int owned = 0;
    hid_t type = probe_memory_type(op->type, &owned);
    hid_t dataset = H5Dcreate2(file, op->object, type, space, links, H5P_DEFAULT, H5P_DEFAULT);
    herr_t status = dataset < 0 ? -1 : 0;
    if (dataset >= 0 && op->size > 0 && op->fill && op->rank >= 1 && dims[0] > 0 && op->band_rows > 0) {
        status = write_dataset_bands(dataset, type, space, dims, op);
    } else if (dataset >= 0 && op->size > WRITE_PIECE_BYTES && op->rank >= 1 && dims[0] > 1) {
        status = write_dataset_data(dataset, type, space, dims, op);
    } else if (dataset >= 0 && op->size > 0) {
        status = H5Dwrite(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, op->data);
    }
    if (dataset >= 0 && H5Dclose(dataset) < 0) status = -1;
    if (owned) H5Tclose(type);
    H5Sclose(space);
    return status < 0 ? -1 : 0;
}

/// The body of rk_hdf5_write.
static void write_file(const probe_child_job *job) {
    // A file-size limit must fail the write (EFBIG), not kill the child silently.
    signal(SIGXFSZ, SIG_IGN);
    probe_report("creating the file", "", "");
    hid_t access = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_file_locking(access, 0, 1);
    hid_t creation = H5Pcreate(H5P_FILE_CREATE);
    if (job->userblock > 0) H5Pset_userblock(creation, job->userblock);
    hid_t file = H5Fcreate(job->path, H5F_ACC_EXCL, creation, access);
    H5Pclose(creation);
    H5Pclose(access);
    if (file < 0) { send_write_failure("", "create-file"); return; }
    writeback_fd = open(job->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (job->userblock > 0) checksum = probe_checksum_start(job->userblock);
    hid_t links = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(links, 1);
    for (size_t i = 0; i < job->op_count; i++) {
        const rk_write_op *op = &job->ops[i];
        int status = 0;
        switch (op->kind) {
        case RK_WRITE_GROUP:
            probe_report("creating the group", op->object, "");
            if (H5Lexists(file, op->object, H5P_DEFAULT) > 0) break;
            H5Eclear2(H5E_DEFAULT);
            hid_t group = H5Gcreate2(file, op->object, links, H5P_DEFAULT, H5P_DEFAULT);
            status = group < 0 ? -1 : H5Gclose(group);
            break;
        case RK_WRITE_DATASET:
            probe_report("writing the dataset", op->object, "");
            status = write_dataset(file, links, op);
            break;
        case RK_WRITE_STRING:
        case RK_WRITE_STRINGS:
            probe_report("writing the attribute", op->object, op->name);
            status = write_string_attribute(file, op);
            break;
        }
        if (status < 0) {
            send_write_failure(op->object, op->kind == RK_WRITE_GROUP ? "create-group"
                               : op->kind == RK_WRITE_DATASET ? "write-dataset" : "write-attribute");
            return;
        }
    }
    H5Pclose(links);
    probe_report("closing the file", "", "");
    if (H5Fclose(file) < 0) { send_write_failure("", "finish-file"); return; }
    probe_checksum_report(checksum, writeback_fd);
    checksum = NULL;
}

void rk_hdf5_write(const char *path, unsigned long long userblock, const rk_write_op *ops, size_t op_count,
                   double timeout_seconds, rk_probe_result *result) {
    probe_child_job job = {path, NULL, 0, NULL, 0, NULL, ops, op_count, userblock};
    probe_run_child(write_file, &job, timeout_seconds, result);
}
