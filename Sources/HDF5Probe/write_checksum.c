// The CRC-32 of the file the writing child makes, from the end of its user
// block to its end: what a `.keras` archive's zip directory needs for the
// HDF5 file stored in it. Computed while the file is written, so that the
// parent need not read the file back once more: every piece of dataset data
// is checksummed from the buffer libhdf5 wrote it from (the same bytes: the
// memory type is the dataset's type, the layout contiguous, no filters), by
// a helper thread beside the writing thread, which takes what the helper has
// not reached before it refills a buffer; the rest of the file (libhdf5's
// metadata, small datasets) is read back after the file is closed, and
// zlib's crc32_combine joins the parts in file order.
#define _GNU_SOURCE
#include "probe_internal.h"
#include "output_safety.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/// A helper's unit of work: the helper and the writing thread take pieces
/// of this size from the queue in turn.
#define JOB_BYTES ((size_t)256 << 10)

typedef struct {
    unsigned long long offset;
    const void *data;
    size_t size;
    unsigned int crc;
} checksum_job;

struct probe_checksum {
    unsigned long long from;
    pthread_t thread;
    int has_thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    checksum_job *jobs;
    size_t count, capacity;
    size_t next;      // the first job no thread has taken
    size_t finished;  // jobs whose CRC is computed
    int stopping;
    int failed;       // no memory for a job: no checksum is reported
};

/// Takes the next job (the lock held) and computes it (the lock released).
/// Returns 0 when the queue is empty.
static int run_one(probe_checksum *sum) {
    if (sum->next >= sum->count) return 0;
    size_t index = sum->next++;
    const void *data = sum->jobs[index].data;
    size_t size = sum->jobs[index].size;
    pthread_mutex_unlock(&sum->lock);
    unsigned int crc = rk_crc32(0, data, size);
    pthread_mutex_lock(&sum->lock);
    sum->jobs[index].crc = crc;
    sum->finished++;
    pthread_cond_broadcast(&sum->changed);
    return 1;
}

static void *helper_main(void *context) {
    probe_checksum *sum = context;
    pthread_mutex_lock(&sum->lock);
    for (;;) {
        while (sum->next >= sum->count && !sum->stopping) pthread_cond_wait(&sum->changed, &sum->lock);
        if (!run_one(sum) && sum->stopping) break;
    }
    pthread_mutex_unlock(&sum->lock);
    return NULL;
}

probe_checksum *probe_checksum_start(unsigned long long from) {
    probe_checksum *sum = calloc(1, sizeof *sum);
    if (!sum) return NULL;
    sum->from = from;
    pthread_mutex_init(&sum->lock, NULL);
    pthread_cond_init(&sum->changed, NULL);
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    // Without a helper the writing thread computes every piece itself (in probe_checksum_drain).
    sum->has_thread = pthread_create(&sum->thread, NULL, helper_main, sum) == 0;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    return sum;
}

void probe_checksum_add(probe_checksum *sum, unsigned long long offset, const void *data, size_t size) {
    if (!sum) return;
    pthread_mutex_lock(&sum->lock);
    for (size_t done = 0; done < size && !sum->failed; done += JOB_BYTES) {
        if (sum->count == sum->capacity) {
            size_t capacity = sum->capacity ? sum->capacity * 2 : 256;
            checksum_job *grown = realloc(sum->jobs, capacity * sizeof *grown);
            if (!grown) { sum->failed = 1; break; }
            sum->jobs = grown;
            sum->capacity = capacity;
        }
        size_t now = size - done < JOB_BYTES ? size - done : JOB_BYTES;
        sum->jobs[sum->count++] = (checksum_job){offset + done, (const char *)data + done, now, 0};
    }
    pthread_cond_broadcast(&sum->changed);
    pthread_mutex_unlock(&sum->lock);
}

void probe_checksum_drain(probe_checksum *sum) {
    if (!sum) return;
    pthread_mutex_lock(&sum->lock);
    while (run_one(sum)) {}
    while (sum->finished < sum->count) pthread_cond_wait(&sum->changed, &sum->lock);
    pthread_mutex_unlock(&sum->lock);
}

static int by_offset(const void *left, const void *right) {
    unsigned long long a = ((const checksum_job *)left)->offset, b = ((const checksum_job *)right)->offset;
    return a < b ? -1 : a > b;
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

int probe_checksum_finish(probe_checksum *sum, int fd, unsigned int *crc, unsigned long long *size) {
    if (!sum) return -1;
    probe_checksum_drain(sum);
    if (sum->has_thread) {
        pthread_mutex_lock(&sum->lock);
        sum->stopping = 1;
        pthread_cond_broadcast(&sum->changed);
        pthread_mutex_unlock(&sum->lock);
        pthread_join(sum->thread, NULL);
    }
    int status = sum->failed ? -1 : 0;
    struct stat file;
    if (status == 0 && (fd < 0 || fstat(fd, &file) != 0 || (unsigned long long)file.st_size < sum->from)) status = -1;
    size_t capacity = (size_t)1 << 20;
    unsigned char *buffer = status == 0 ? malloc(capacity) : NULL;
    if (!buffer) status = -1;
    if (status == 0) {
        unsigned long long end = (unsigned long long)file.st_size;
        qsort(sum->jobs, sum->count, sizeof *sum->jobs, by_offset);
        unsigned long long position = sum->from;
        unsigned int value = 0;
        for (size_t i = 0; i < sum->count && status == 0; i++) {
            const checksum_job *job = &sum->jobs[i];
            // Pieces that overlap or leave the file mean the offsets were not what they seemed: report nothing.
            if (job->offset < position || job->size > end - job->offset) { status = -1; break; }
            status = checksum_file_range(fd, position, job->offset, buffer, capacity, &value);
            value = rk_crc32_combine(value, job->crc, job->size);
            position = job->offset + job->size;
        }
        if (status == 0) status = checksum_file_range(fd, position, end, buffer, capacity, &value);
        *crc = value;
        *size = end - sum->from;
    }
    free(buffer);
    free(sum->jobs);
    pthread_cond_destroy(&sum->changed);
    pthread_mutex_destroy(&sum->lock);
    free(sum);
    return status;
}
