#ifndef RNNKIT_HDF5_PROBE_H
#define RNNKIT_HDF5_PROBE_H
// Walks an HDF5 file in a forked child process, so that a damaged file that
// makes libhdf5 crash, abort or hang inside a single call ends the child,
// not the caller. See docs/reliability.md.
#include <stddef.h>

/// How the child's walk ended.
typedef enum {
    RK_PROBE_OK = 0,          ///< the child walked the whole file (libhdf5 errors included) and exited 0
    RK_PROBE_SIGNAL = 1,      ///< the child died of signal `detail`
    RK_PROBE_EXIT = 2,        ///< the child exited with status `detail` (a sanitizer report, or cut short)
    RK_PROBE_TIMEOUT = 3,     ///< the child did not finish within the time limit and was killed
    RK_PROBE_NO_CHILD = 4,    ///< no child could be started (`detail` is errno)
} rk_probe_outcome;

/// What the probe found, and where the child was when it stopped.
typedef struct {
    rk_probe_outcome outcome;
    int detail;
    /// What the child was doing last ("opening the dataset", "reading the data", …).
    char stage[64];
    /// The HDF5 path of the object it was working on ("/" for the root, "" before any).
    char object[512];
    /// For attributes: the attribute's name, else "".
    char attribute[256];
} rk_probe_result;

/// Walks the metadata of the file at `path` (or, when `image` is not NULL,
/// of the in-memory file `image` of `image_size` bytes, named `path`) in a
/// forked child, making every libhdf5 call the Swift reader makes before it
/// reads data: opens the file, lists every object, opens every dataset and
/// asks its type, shape, layout, chunks, filters and stored size, and reads
/// every single-string attribute of every object. Waits at most
/// `timeout_seconds`, then kills the child.
///
/// The caller must hold rnnkit's libhdf5 lock, so that no other thread is
/// inside libhdf5 when the process forks. The child runs only this C code,
/// libhdf5 and system calls, and leaves with `_exit`.
void rk_hdf5_probe(const char *path, const void *image, size_t image_size,
                   double timeout_seconds, rk_probe_result *result);

/// The in-memory types rnnkit reads datasets as (HDF5Dataset.memoryType).
typedef enum {
    RK_MEMORY_FLOAT16 = 1, RK_MEMORY_BFLOAT16, RK_MEMORY_BOOL, RK_MEMORY_FLOAT32, RK_MEMORY_FLOAT64,
    RK_MEMORY_INT8, RK_MEMORY_UINT8, RK_MEMORY_INT16, RK_MEMORY_INT32, RK_MEMORY_INT64,
} rk_memory_type;

/// Reads the whole dataset `dataset` (an HDF5 path) of the file at `path`
/// (or `image`) as `type` into `buffer` (`size` bytes) in a forked child:
/// `buffer` must be a MAP_SHARED mapping, so the child's writes reach the
/// caller. Same rules and time limit as `rk_hdf5_probe`; the buffer's content
/// is meaningful only when the outcome is RK_PROBE_OK and `detail` is 0
/// (`detail` 1: libhdf5 reported an error, found in `stage`).
void rk_hdf5_read(const char *path, const void *image, size_t image_size, const char *dataset,
                  rk_memory_type type, void *buffer, size_t size,
                  double timeout_seconds, rk_probe_result *result);

#endif
