#ifndef RNNKIT_CRC_QUEUE_H
#define RNNKIT_CRC_QUEUE_H
// zlib's CRC-32 computed beside the writing, rnnkit's one mechanism for it
// (crc_queue.c): a writer queues the pieces it writes, each cut into jobs of
// RK_CRC_JOB_BYTES; a helper thread takes jobs while the writer writes, and
// the writer takes what the helper has not reached when it drains the queue
// (before a buffer is freed or refilled). The jobs' CRC-32s are then joined
// in position order with zlib's crc32_combine (rk_crc_queue_take), or read
// one by one (rk_crc_queue_sorted, rk_crc_queue_piece) by a caller that
// fills the gaps between them itself. One thread adds, drains and reads.
#include <stddef.h>

/// The most bytes one job covers: the helper and the caller take jobs of
/// this size in turn.
#define RK_CRC_JOB_BYTES ((size_t)256 << 10)

typedef struct rk_crc_queue rk_crc_queue;

/// Starts a queue, with a helper thread (which blocks every signal) when
/// `helper` is nonzero. When no thread can be started (or `helper` is 0) the
/// queue works without one: the caller computes every job in
/// `rk_crc_queue_drain`. Returns NULL only without memory.
rk_crc_queue *rk_crc_queue_start(int helper);

/// Queues the CRC-32 of `size` bytes at `data`, which come at `position` of
/// the bytes being checksummed (a job cut from them at `position + k` has
/// that position). The bytes must stay unchanged until the next
/// `rk_crc_queue_drain` (or `_sorted`, `_take`, `_stop`) returns. Returns 0,
/// or -1 when a job could not be queued (no memory, or `queue` NULL): the
/// queue then reports no result until `rk_crc_queue_take` empties it.
int rk_crc_queue_add(rk_crc_queue *queue, unsigned long long position, const void *data, size_t size);

/// Computes the jobs no thread has taken, then waits for the helper's: no
/// job refers to any bytes afterwards (NULL is ignored).
void rk_crc_queue_drain(rk_crc_queue *queue);

/// Drains the queue and puts its jobs in position order. Returns their
/// count, or -1 when a job could not be queued (no result can be told).
long long rk_crc_queue_sorted(rk_crc_queue *queue);

/// Job `index` (below the count `rk_crc_queue_sorted` returned): its
/// position, size and CRC-32 (of those bytes alone, as `rk_crc32(0, …)`).
void rk_crc_queue_piece(const rk_crc_queue *queue, size_t index, unsigned long long *position, size_t *size,
                        unsigned int *crc);

/// Drains the queue, continues `crc` over every job in position order (as
/// if they were one run of bytes) into `*result` and empties the queue for
/// the next pieces. Returns 0, or -1 when a job could not be queued (the
/// queue is emptied all the same; the caller computes the CRC-32 itself).
int rk_crc_queue_take(rk_crc_queue *queue, unsigned int crc, unsigned int *result);

/// Drains the queue, ends its helper thread and releases it (NULL is ignored).
void rk_crc_queue_stop(rk_crc_queue *queue);

#endif
