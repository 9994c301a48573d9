#ifndef RNNKIT_OUTPUT_SAFETY_H
#define RNNKIT_OUTPUT_SAFETY_H
// The system-level half of rnnkit's output rules (docs/reliability.md,
// "Outputs"): a registry of temporary output paths that signal handlers
// remove on SIGINT, SIGTERM and SIGHUP (and, for inputs, what a SIGBUS from
// a file truncated while mapped does), and the atomic publishing steps
// (rename without replacing, exchange) Foundation does not offer; and
// zlib's CRC-32 for the zip archives rnnkit writes (computed beside the
// writing by the queue of crc_queue.h).
#include <stddef.h>

/// Installs, once per process, handlers for SIGINT, SIGTERM and SIGHUP that
/// remove every registered temporary path and then end the process by the
/// same signal (a signal the process ignores stays ignored), and sets SIGXFSZ
/// to be ignored, so that a file-size limit (`ulimit -f`) makes a write fail
/// with EFBIG instead of killing the process.
void rk_output_install(void);

/// Registers `path` (a temporary file or a folder of files) for removal by
/// the signal handlers. Returns a slot for `rk_output_unregister`, or -1 when
/// every slot is taken or the path is too long (the path is then not
/// protected; writing goes on).
int rk_output_register(const char *path);

/// Forgets the path of `slot` (from `rk_output_register`; -1 is ignored).
void rk_output_unregister(int slot);

/// Renames `from` to `to` only when `to` does not exist, atomically:
/// renameat2(RENAME_NOREPLACE), or, where the file system lacks it, link(2)
/// then unlink(2) of `from` (files only). Returns 0, or -1 with errno set
/// (EEXIST: `to` exists; ENOTSUP: no atomic way for a directory here).
int rk_rename_noreplace(const char *from, const char *to);

/// Swaps `from` and `to` atomically (renameat2(RENAME_EXCHANGE)). Returns 0,
/// or -1 with errno set.
int rk_rename_exchange(const char *from, const char *to);

/// Asks the kernel to start writing `size` bytes at `offset` of the file
/// `fd` to disk now (sync_file_range(SYNC_FILE_RANGE_WRITE); nothing
/// elsewhere), without waiting for them: a writer calls it every few MiB so
/// that the disk works while it computes and the final fsync finds little
/// left. A hint only: errors are ignored (the final fsync reports them).
void rk_start_writeback(int fd, unsigned long long offset, unsigned long long size);

/// Reads one byte of every page of the `size` bytes at `data`, so that a
/// memory map (a writer's input) is mapped before write(2) copies from it:
/// the kernel's copy from unmapped pages stops short at each one, and ext4
/// then zeroes the rest of the new page-cache folio before retrying.
void rk_prefault(const void *data, size_t size);

/// zlib's CRC-32 of `size` bytes at `data`, continuing `crc` (0 to start).
unsigned int rk_crc32(unsigned int crc, const void *data, size_t size);

/// zlib's crc32_combine: the CRC-32 of A then B from that of A (`first`),
/// that of B alone (`second`) and B's length.
unsigned int rk_crc32_combine(unsigned int first, unsigned int second, unsigned long long second_size);

/// Results of `rk_inflate`.
enum {
    RK_INFLATE_END = 0,       ///< the deflate stream ended
    RK_INFLATE_FULL = 1,      ///< `output` is full and the stream goes on (`check_end` 0)
    RK_INFLATE_TOO_LONG = 2,  ///< the stream produces more than `skip + output_size` bytes (`check_end` 1)
    RK_INFLATE_TRUNCATED = 3, ///< the input ends before the stream does
    RK_INFLATE_CORRUPT = 4,   ///< zlib reports invalid deflate data
    RK_INFLATE_NO_MEMORY = 5, ///< zlib could not allocate its state
};

/// zlib's inflate of the raw deflate stream in `source` (a zip member):
/// the first `skip` bytes it produces are dropped, the next ones written to
/// `output`, at most `output_size`. With `check_end`, inflating goes on past
/// a full `output` only to make sure the stream then ends without producing
/// another byte. `produced` receives the bytes produced (skipped ones
/// included), `crc` zlib's CRC-32 of all of them.
int rk_inflate(const void *source, size_t source_size, size_t skip, void *output, size_t output_size,
               int check_end, size_t *produced, unsigned int *crc);

/// Inputs that shrink while mapped. rnnkit reads its inputs through
/// memory maps; when another program truncates a file meanwhile (rewriting
/// it in place, as `torch.save` does), a read of a page the file no longer
/// has raises SIGBUS. Each map is registered with the line to print then;
/// once `rk_input_faults_install` has run, such a fault writes that line to
/// standard error, removes every registered temporary output and ends the
/// process with exit code 2. Any other SIGBUS goes to the handler that was
/// there before (or the default action).
void rk_input_faults_install(void);

/// Registers the map of `length` bytes at `base` and the line (ending with a
/// newline) to print when a read of it faults. Returns a slot for
/// `rk_input_map_unregister`, or -1 when the registry (4096 maps) is full.
int rk_input_map_register(const void *base, size_t length, const char *line);

/// Forgets the map of `slot` (before it is unmapped; -1 is ignored).
void rk_input_map_unregister(int slot);

#endif
