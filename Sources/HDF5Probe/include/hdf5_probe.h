#ifndef RNNKIT_HDF5_PROBE_H
#define RNNKIT_HDF5_PROBE_H
// libhdf5 reads files only in forked child processes, so that a damaged file
// that makes libhdf5 crash, abort or hang inside a single call ends the child,
// not the caller. See docs/reliability.md.
#include <stddef.h>

/// How a child's work ended.
typedef enum {
    RK_PROBE_OK = 0,          ///< the child finished (libhdf5 errors are among its records) and exited 0
    RK_PROBE_SIGNAL = 1,      ///< the child died of signal `detail`
    RK_PROBE_EXIT = 2,        ///< the child exited with status `detail` (a sanitizer report, or cut short)
    RK_PROBE_TIMEOUT = 3,     ///< the child did not finish within the time limit and was killed
    RK_PROBE_NO_CHILD = 4,    ///< no child could be started (`detail` is errno)
    RK_PROBE_TOO_MUCH = 5,    ///< the child sent more than 64 MiB of records and was killed
} rk_probe_outcome;

/// What a child sent, and where it was when it stopped.
typedef struct {
    rk_probe_outcome outcome;
    int detail;
    /// What the child was doing last ("opening the dataset", "reading the data", …).
    char stage[64];
    /// The HDF5 path of the object it was working on ("/" for the root, "" before any).
    char object[512];
    /// For attributes: the attribute's name, else "".
    char attribute[256];
    /// When the outcome is RK_PROBE_OK: the child's records, lines of a
    /// one-letter tag and tab-separated fields (%XX escapes for '%', tab and
    /// control bytes); release with rk_probe_result_free.
    ///   F operation subject account   the file could not be opened or listed (or, for a read, the data;
    ///                                 for a write, a step): the operation's code ("open-file", …), the
    ///                                 attribute or object it concerns ("" for none), libhdf5's account
    ///   O path                        an object (group, dataset, …), in visiting order
    ///   D path extent rank dims maxdims layout external_count chunk_rank chunks
    ///     filters class size signed float16_kind boolean storage_size     a dataset
    ///   d path operation subject account   a dataset whose description failed
    ///   A object name value           a single-string attribute
    ///   L object name value…          a one-dimensional array of strings (no values: an empty array)
    ///   K path kind target            a link that is not a hard link ("soft", "external", "user-defined"),
    ///                                 with its target ("file:object" for an external one); not followed
    ///   a object operation subject account the failure that stopped reading an object's attributes
    char *records;
    size_t records_size;
} rk_probe_result;

/// Describes the file at `path` (or, when `image` is not NULL, the in-memory
/// file `image` of `image_size` bytes, named `path`) in a forked child: opens
/// it, lists every object, describes every dataset (type, shape, layout,
/// chunks, filters, stored size) and reads every single-string attribute (and every one-dimensional
/// array of strings) of every object. Waits at most `timeout_seconds`, then kills the child.
///
/// The caller must hold rnnkit's libhdf5 lock, so that no other thread is
/// inside libhdf5 when the process forks. The child runs only this C code,
/// libhdf5 and system calls, and leaves with `_exit`.
void rk_hdf5_describe(const char *path, const void *image, size_t image_size,
                      double timeout_seconds, rk_probe_result *result);

/// The in-memory types rnnkit reads datasets as. RK_MEMORY_BFLOAT16_OPAQUE
/// (reads only) is Keras 3's bfloat16: 2-byte opaque data whose bytes are
/// copied as stored (no conversion); a dataset of another type is not read.
typedef enum {
    RK_MEMORY_FLOAT16 = 1, RK_MEMORY_BFLOAT16, RK_MEMORY_BOOL, RK_MEMORY_FLOAT32, RK_MEMORY_FLOAT64,
    RK_MEMORY_INT8, RK_MEMORY_UINT8, RK_MEMORY_INT16, RK_MEMORY_INT32, RK_MEMORY_INT64,
    RK_MEMORY_BFLOAT16_OPAQUE,
} rk_memory_type;

/// Reads the whole dataset `dataset` (an HDF5 path) of the file at `path`
/// (or `image`) as `type` into `buffer` (`size` bytes) in a forked child:
/// `buffer` must be a MAP_SHARED mapping, so the child's writes reach the
/// caller. Same rules and time limit as `rk_hdf5_describe`; the buffer's
/// content is meaningful only when the outcome is RK_PROBE_OK and the
/// records hold no "F" line.
void rk_hdf5_read(const char *path, const void *image, size_t image_size, const char *dataset,
                  rk_memory_type type, void *buffer, size_t size,
                  double timeout_seconds, rk_probe_result *result);

/// One step of writing an HDF5 file (see `rk_hdf5_write`).
typedef enum {
    RK_WRITE_GROUP = 1,    ///< create group `object` and missing parents (an existing one is kept)
    RK_WRITE_DATASET,      ///< create dataset `object` (`type`, `rank`, `dims`) and write `data` (`size` bytes)
    RK_WRITE_STRING,       ///< attribute `name` of `object`: one variable-length UTF-8 string, `strings[0]`
    RK_WRITE_STRINGS,      ///< attribute `name` of `object`: `string_count` fixed-length NUL-padded strings
} rk_write_kind;

typedef struct {
    rk_write_kind kind;
    const char *object;
    const char *name;
    rk_memory_type type;
    int rank;
    const unsigned long long *dims;
    const void *data;
    size_t size;
    const char *const *strings;
    size_t string_count;
    /// When set (RK_WRITE_DATASET, rank >= 1), the data is produced in the
    /// child band by band instead of read from `data`: `fill(fill_context,
    /// first, count, buffer)` writes rows `first ..< first + count` (along
    /// `dims[0]`, C order, `size / dims[0]` bytes each) into `buffer`, at
    /// most `band_rows` rows at a time, and returns 0 (nonzero: failure).
    /// Memory stays bounded by one band, whatever the dataset's size.
    int (*fill)(void *fill_context, unsigned long long first, unsigned long long count, void *buffer);
    void *fill_context;
    unsigned long long band_rows;
} rk_write_op;

/// Creates the new HDF5 file `path` (which must not exist) and carries out
/// `ops` in a forked child, then closes the file; the data is read from the
/// caller's memory as the child inherited it. Same rules and time limit as
/// `rk_hdf5_describe`: a libhdf5 crash or a write failure (disk full, the
/// file-size limit) ends the child, not the caller. Records:
///   F operation subject account   a step failed (the file is then incomplete); fields as for reads
///   E errno       the system error libhdf5 reported for a failed write
///   C crc size    with a user block, once the file is closed: zlib's CRC-32 and the length
///                 of the file from the user block's end to its end (computed while writing:
///                 see write_checksum.c); absent when it could not be told
/// A `userblock` (0, or a power of two >= 512) leaves that many bytes at the
/// start of the file to the caller (a zip archive's headers before the
/// HDF5 file as a stored member); the HDF5 data follows it.
void rk_hdf5_write(const char *path, unsigned long long userblock, const rk_write_op *ops, size_t op_count,
                   double timeout_seconds, rk_probe_result *result);

/// Releases the records of a result.
void rk_probe_result_free(rk_probe_result *result);

#endif
