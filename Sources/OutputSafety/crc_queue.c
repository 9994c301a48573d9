// rnnkit's one way to compute zlib's CRC-32 beside the writing: a queue of
// jobs (≤ RK_CRC_JOB_BYTES each) that a helper thread and the caller take in
// turn, joined in position order with zlib's crc32_combine (see crc_queue.h).
// Users: the stored-zip writer (ChecksumHelper.swift: a piece checksummed
// while it is written, or a block read back on two threads) and the HDF5
// writing child (Sources/HDF5Probe/write_checksum.c: dataset data
// checksummed from the buffers libhdf5 wrote it from).
#include "crc_queue.h"
#include "output_safety.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

typedef struct {
    unsigned long long position;
    const void *data;  // until the job is finished; not read after a drain
    size_t size;
    unsigned int crc;
} crc_job;

struct rk_crc_queue {
    pthread_t thread;
    int has_thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    crc_job *jobs;
    size_t count, capacity;
    size_t next;      // the first job no thread has taken
    size_t finished;  // jobs whose CRC is computed
    int stopping;
    int failed;       // a job could not be queued (no memory): no result is reported
};

/// Takes the next job (the lock held) and computes it (the lock released).
/// Returns 0 when no job is left to take.
static int run_one(rk_crc_queue *queue) {
    if (queue->next >= queue->count) return 0;
    size_t index = queue->next++;
    const void *data = queue->jobs[index].data;
    size_t size = queue->jobs[index].size;
    pthread_mutex_unlock(&queue->lock);
    unsigned int crc = rk_crc32(0, data, size);
    pthread_mutex_lock(&queue->lock);
    queue->jobs[index].crc = crc;
    queue->finished++;
    pthread_cond_broadcast(&queue->changed);
    return 1;
}

static void *helper_main(void *context) {
    rk_crc_queue *queue = context;
    pthread_mutex_lock(&queue->lock);
    for (;;) {
        while (queue->next >= queue->count && !queue->stopping) pthread_cond_wait(&queue->changed, &queue->lock);
        if (!run_one(queue) && queue->stopping) break;
    }
    pthread_mutex_unlock(&queue->lock);
    return NULL;
}

rk_crc_queue *rk_crc_queue_start(int helper) {
    rk_crc_queue *queue = calloc(1, sizeof *queue);
    if (!queue) return NULL;
    pthread_mutex_init(&queue->lock, NULL);
    pthread_cond_init(&queue->changed, NULL);
    if (helper) {
        // The helper takes no signals: rk_output_install's handlers run on the writer's threads.
        sigset_t all, previous;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &previous);
        // Without a helper the caller computes every job itself (in rk_crc_queue_drain).
        queue->has_thread = pthread_create(&queue->thread, NULL, helper_main, queue) == 0;
        pthread_sigmask(SIG_SETMASK, &previous, NULL);
    }
    return queue;
}

int rk_crc_queue_add(rk_crc_queue *queue, unsigned long long position, const void *data, size_t size) {
    if (!queue) return -1;
    pthread_mutex_lock(&queue->lock);
    for (size_t done = 0; done < size && !queue->failed; done += RK_CRC_JOB_BYTES) {
        if (queue->count == queue->capacity) {
            size_t capacity = queue->capacity ? queue->capacity * 2 : 256;
            crc_job *grown = realloc(queue->jobs, capacity * sizeof *grown);
            if (!grown) { queue->failed = 1; break; }
            queue->jobs = grown;
            queue->capacity = capacity;
        }
        size_t now = size - done < RK_CRC_JOB_BYTES ? size - done : RK_CRC_JOB_BYTES;
        queue->jobs[queue->count++] = (crc_job){position + done, (const char *)data + done, now, 0};
    }
    int status = queue->failed ? -1 : 0;
    pthread_cond_broadcast(&queue->changed);
    pthread_mutex_unlock(&queue->lock);
    return status;
}

void rk_crc_queue_drain(rk_crc_queue *queue) {
    if (!queue) return;
    pthread_mutex_lock(&queue->lock);
    while (run_one(queue)) {}
    while (queue->finished < queue->count) pthread_cond_wait(&queue->changed, &queue->lock);
    pthread_mutex_unlock(&queue->lock);
}

static int by_position(const void *left, const void *right) {
    unsigned long long a = ((const crc_job *)left)->position, b = ((const crc_job *)right)->position;
    return a < b ? -1 : a > b;
}

long long rk_crc_queue_sorted(rk_crc_queue *queue) {
    if (!queue) return -1;
    rk_crc_queue_drain(queue);
    // Drained: no thread refers to a job now, and none takes one until the next add.
    if (queue->failed) return -1;
    int ordered = 1;
    for (size_t i = 1; i < queue->count && ordered; i++) ordered = queue->jobs[i - 1].position <= queue->jobs[i].position;
    if (!ordered) qsort(queue->jobs, queue->count, sizeof *queue->jobs, by_position);
    return (long long)queue->count;
}

void rk_crc_queue_piece(const rk_crc_queue *queue, size_t index, unsigned long long *position, size_t *size,
                        unsigned int *crc) {
    const crc_job *job = &queue->jobs[index];
    *position = job->position;
    *size = job->size;
    *crc = job->crc;
}

int rk_crc_queue_take(rk_crc_queue *queue, unsigned int crc, unsigned int *result) {
    if (!queue) return -1;
    long long count = rk_crc_queue_sorted(queue);
    for (long long i = 0; i < count; i++) crc = rk_crc32_combine(crc, queue->jobs[i].crc, queue->jobs[i].size);
    *result = crc;
    pthread_mutex_lock(&queue->lock);
    queue->count = queue->next = queue->finished = 0;  // emptied for the next pieces
    queue->failed = 0;
    pthread_mutex_unlock(&queue->lock);
    return count < 0 ? -1 : 0;
}

void rk_crc_queue_stop(rk_crc_queue *queue) {
    if (!queue) return;
    rk_crc_queue_drain(queue);
    if (queue->has_thread) {
        pthread_mutex_lock(&queue->lock);
        queue->stopping = 1;
        pthread_cond_broadcast(&queue->changed);
        pthread_mutex_unlock(&queue->lock);
        pthread_join(queue->thread, NULL);
    }
    free(queue->jobs);
    pthread_cond_destroy(&queue->changed);
    pthread_mutex_destroy(&queue->lock);
    free(queue);
}
