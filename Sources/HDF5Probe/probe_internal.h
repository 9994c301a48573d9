#ifndef RNNKIT_PROBE_INTERNAL_H
#define RNNKIT_PROBE_INTERNAL_H
// What the files of the HDF5 child share (not part of the module's interface).
//
// libhdf5 meets every HDF5 file only in a forked child: the child describes
// the file (describe.c), reads one dataset (read.c) or writes a file
// (write.c), and sends records and its progress to the parent on a pipe
// (child_protocol.c); the parent side (child_process.c) forks, collects them with a
// time limit and reports how the child ended. The Swift reader
// (Sources/TensorFiles/HDF5/) decides from the records alone.
// The child is written in C because after fork() only async-signal-safe work
// is safe in a multi-threaded process: no Swift runtime, no Foundation, no
// stdio. glibc's malloc is fork-safe, and libhdf5 is idle because the caller
// holds rnnkit's libhdf5 lock across the fork.
#include "hdf5_probe.h"

#include <hdf5.h>
#include <stddef.h>

#define PROBE_INTERNAL __attribute__((visibility("hidden")))

/// What a child is asked to do: the file (a path, or an image in memory),
/// and for a read the dataset, memory type and buffer, for a write the steps.
typedef struct {
    const char *path;
    const void *image;
    size_t image_size;
    const char *dataset;
    rk_memory_type type;
    void *buffer;
    const rk_write_op *ops;
    size_t op_count;
    unsigned long long userblock;
} probe_child_job;

// ---------------------------------------------------------- child_protocol.c

/// A line being built: a tag, then tab-separated fields in which '%', tab,
/// newline and other control bytes are written %XX (the parent decodes them).
typedef struct {
    char *text;
    size_t used, capacity;
} probe_line;

/// Starts a line with its one-letter tag (one line at a time: the child has one thread).
PROBE_INTERNAL probe_line *probe_line_start(char tag);
/// Appends a field, escaped.
PROBE_INTERNAL void probe_line_field(probe_line *line, const char *field);
PROBE_INTERNAL void probe_line_number(probe_line *line, long long value);
/// Sends the line (tag plus fields) and empties it.
PROBE_INTERNAL void probe_line_send(probe_line *line);
/// "P stage object attribute": where the child is, sent before each step.
PROBE_INTERNAL void probe_report(const char *stage, const char *object, const char *attribute);
/// Sends a failure record "<tag> [object] operation subject account" with
/// libhdf5's account of the failure (its error stack, then cleared).
PROBE_INTERNAL void probe_send_failure(char tag, const char *object, const char *operation, const char *subject);

/// A growing list of copied strings.
typedef struct {
    char **items;
    size_t count, capacity;
} probe_name_list;
PROBE_INTERNAL void probe_list_add(probe_name_list *list, const char *name);
PROBE_INTERNAL void probe_list_free(probe_name_list *list);

/// The child: reports on `fd`, runs `body`, sends "done" and exits; a crash
/// or a signal simply ends it.
PROBE_INTERNAL void probe_child_main(int fd, void (*body)(const probe_child_job *), const probe_child_job *job) __attribute__((noreturn));

// -------------------------------------------------------------------- read.c

/// Opens the file read-only (an "F" record when it cannot); -1 then.
PROBE_INTERNAL hid_t probe_open_file(const char *path, const void *image, size_t image_size);
/// The HDF5 memory type of `type`; `*owned` = 1 when the caller must close it.
PROBE_INTERNAL hid_t probe_memory_type(rk_memory_type type, int *owned);

// ---------------------------------------------------------- write_checksum.c

/// The CRC-32 of the file being written from `from` (the user block's end)
/// to its end, computed while it is written (see write_checksum.c).
typedef struct probe_checksum probe_checksum;
/// Starts one (and its helper thread); NULL without memory.
PROBE_INTERNAL probe_checksum *probe_checksum_start(unsigned long long from);
/// `size` bytes at `data` were written to `dataset` at byte `at` of its
/// data: their CRC-32 is computed from `data` (placed by the dataset's
/// address; nothing when it has none), which must stay unchanged until the
/// next drain. NULL `sum` is ignored.
PROBE_INTERNAL void probe_checksum_rows(probe_checksum *sum, hid_t dataset, unsigned long long at, const void *data,
                                        size_t size);
/// Computes what the helper has not taken and waits for the rest: no piece
/// refers to a buffer afterwards (NULL is ignored).
PROBE_INTERNAL void probe_checksum_drain(probe_checksum *sum);
/// After the file is closed: sends record `C` with the CRC-32 and length of
/// the file from `from` to its end, the bytes no piece covers read from
/// `fd`, when they can be told (else nothing); releases `sum` (NULL is ignored).
PROBE_INTERNAL void probe_checksum_report(probe_checksum *sum, int fd);

// ----------------------------------------------------------- child_process.c

/// Runs `body(job)` in a forked child and collects its records into `result`.
PROBE_INTERNAL void probe_run_child(void (*body)(const probe_child_job *), const probe_child_job *job,
                                    double timeout_seconds, rk_probe_result *result);

#endif
