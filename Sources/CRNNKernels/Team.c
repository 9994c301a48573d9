// A persistent thread team: workers are started on first use and wait for
// work (spinning for a short while, then sleeping), so that a forward pass
// pays no thread creation; members share work through rk_split counters.
#include "CRNNKernels.h"
#include <pthread.h>
#include <stdlib.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#include <immintrin.h>

enum { MAX_MEMBERS = 64 };

static struct {
    pthread_mutex_t lock;    // guards sleeping workers and starting new ones
    pthread_cond_t wake;
    pthread_mutex_t run;     // one team run at a time
    int workers;             // workers started
    int sleepers;            // workers waiting on `wake`
    _Atomic unsigned long generation;  // bumped for every run
    rk_task task;
    void *context;
    int count;
    _Atomic int finished;    // workers done with the current run
} team = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_MUTEX_INITIALIZER};


static double seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

/// Spins on `condition` with `pause`, yielding the core after a while so
/// that an oversubscribed machine still makes progress.
#define SPIN_UNTIL(condition)                              \
    do {                                                   \
        for (unsigned spins = 0; !(condition); spins++) {  \
            if (spins < 2000) _mm_pause(); else sched_yield(); \
        }                                                  \
    } while (0)

static void *worker(void *argument) {
    const int member = (int)(long)argument;
    unsigned long seen = 0;
    for (;;) {
        // Wait for a new run: spin up to 200 µs (back-to-back runs), then sleep.
        unsigned long now = atomic_load_explicit(&team.generation, memory_order_acquire);
        const double deadline = seconds() + 2e-4;
        for (unsigned spins = 0; now == seen; spins++) {
            _mm_pause();
            if ((spins & 255) == 0 && seconds() > deadline) {
                pthread_mutex_lock(&team.lock);
                team.sleepers++;
                while ((now = atomic_load_explicit(&team.generation, memory_order_acquire)) == seen)
                    pthread_cond_wait(&team.wake, &team.lock);
                team.sleepers--;
                pthread_mutex_unlock(&team.lock);
                break;
            }
            now = atomic_load_explicit(&team.generation, memory_order_acquire);
        }
        seen = now;
        if (member < team.count) {
            const unsigned saved = rk_flush_denormals();
            team.task(team.context, member, team.count);
            rk_restore_denormals(saved);
            atomic_fetch_add_explicit(&team.finished, 1, memory_order_acq_rel);
        }
    }
    return 0;
}

void rk_team_run(int count, rk_task task, void *context) {
    if (count > MAX_MEMBERS) count = MAX_MEMBERS;
    if (count <= 1) {
        const unsigned saved = rk_flush_denormals();
        task(context, 0, 1);
        rk_restore_denormals(saved);
        return;
    }
    pthread_mutex_lock(&team.run);
    pthread_mutex_lock(&team.lock);
    while (team.workers < count - 1) {
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&thread, &attributes, worker, (void *)(long)(team.workers + 1)) != 0) {
            pthread_attr_destroy(&attributes);
            break;
        }
        pthread_attr_destroy(&attributes);
        team.workers++;
    }
    if (count > team.workers + 1) count = team.workers + 1;  // could not start more threads
    team.task = task;
    team.context = context;
    team.count = count;
    atomic_store(&team.finished, 0);
    atomic_fetch_add_explicit(&team.generation, 1, memory_order_acq_rel);
    if (team.sleepers > 0) pthread_cond_broadcast(&team.wake);
    pthread_mutex_unlock(&team.lock);

    const unsigned saved = rk_flush_denormals();
    task(context, 0, count);
    rk_restore_denormals(saved);
    SPIN_UNTIL(atomic_load_explicit(&team.finished, memory_order_acquire) == count - 1);
    pthread_mutex_unlock(&team.run);
}

struct rk_split {
    _Alignas(64) _Atomic long next[RK_SPLIT_PARTS][16];  // next[p][0]: next item of part p, one cache line pair each
    _Alignas(64) _Atomic long done;                      // items finished
    long total;
    int parts;
};

rk_split *rk_splits_create(long count) {
    void *memory = 0;
    if (count < 1) count = 1;
    if (posix_memalign(&memory, 64, sizeof(rk_split) * (size_t)count) != 0) return 0;
    return memory;
}

void rk_splits_free(rk_split *splits) { free(splits); }

rk_split *rk_split_at(rk_split *splits, long index) { return splits + index; }

static long part_begin(const rk_split *split, int part) { return split->total * part / split->parts; }

void rk_split_init(rk_split *split, long total, int parts) {
    if (parts < 1) parts = 1;
    if (parts > RK_SPLIT_PARTS) parts = RK_SPLIT_PARTS;
    split->total = total;
    split->parts = parts;
    for (int p = 0; p < parts; p++) atomic_init(&split->next[p][0], part_begin(split, p));
    atomic_init(&split->done, 0);
}

int rk_split_claim(rk_split *split, int member, long chunk, long *begin, long *end) {
    const int parts = split->parts;
    for (int i = 0; i < parts; i++) {
        const int part = (member + i) % parts;
        const long limit = part_begin(split, part + 1);
        _Atomic long *next = &split->next[part][0];
        if (atomic_load_explicit(next, memory_order_relaxed) >= limit) continue;
        const long first = atomic_fetch_add_explicit(next, chunk, memory_order_relaxed);
        if (first < limit) {
            *begin = first;
            *end = first + chunk < limit ? first + chunk : limit;
            return 1;
        }
    }
    return 0;
}

void rk_split_finish(rk_split *split, long count) {
    atomic_fetch_add_explicit(&split->done, count, memory_order_release);
}

void rk_split_wait(rk_split *split) {
    SPIN_UNTIL(atomic_load_explicit(&split->done, memory_order_acquire) >= split->total);
}
