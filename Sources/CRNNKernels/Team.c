// A persistent thread team: workers are started on first use and wait for
// work (spinning for a short while, then sleeping), so that a forward pass
// pays no thread creation; members share work through rk_split counters.
#define _GNU_SOURCE
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

int rk_usable_cores(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;
    return CPU_COUNT(&set);
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
    _Alignas(64) _Atomic long next[RK_SPLIT_PARTS][16];  // next[p][0]: first unclaimed item of part p, a cache line pair each
    _Alignas(64) _Atomic long done;                      // items finished, over every phase
    int parts;
};

rk_split *rk_split_create(int parts) {
    void *memory = 0;
    if (posix_memalign(&memory, 64, sizeof(rk_split)) != 0) return 0;
    rk_split *split = memory;
    if (parts < 1) parts = 1;
    if (parts > RK_SPLIT_PARTS) parts = RK_SPLIT_PARTS;
    split->parts = parts;
    for (int p = 0; p < RK_SPLIT_PARTS; p++) atomic_init(&split->next[p][0], 0);
    atomic_init(&split->done, 0);
    return split;
}

void rk_split_free(rk_split *split) { free(split); }

/// The first item of part `part` of a phase of `total` items.
static long part_begin(long total, int part, int parts) { return total * part / parts; }

int rk_split_claim(rk_split *split, long base, long total, int member, long chunk, long *begin, long *end) {
    const int parts = split->parts;
    for (int i = 0; i < parts; i++) {
        const int part = (member + i) % parts;
        const long low = base + part_begin(total, part, parts), high = base + part_begin(total, part + 1, parts);
        _Atomic long *next = &split->next[part][0];
        long seen = atomic_load_explicit(next, memory_order_relaxed);
        for (;;) {
            // Below `low`: what is left of an earlier phase, all of it finished.
            const long first = seen > low ? seen : low;
            if (first >= high) break;
            const long last = first + chunk < high ? first + chunk : high;
            if (atomic_compare_exchange_weak_explicit(next, &seen, last, memory_order_relaxed, memory_order_relaxed)) {
                *begin = first - base;
                *end = last - base;
                return 1;
            }
        }
    }
    return 0;
}

void rk_split_finish(rk_split *split, long count) {
    atomic_fetch_add_explicit(&split->done, count, memory_order_release);
}

void rk_split_wait(rk_split *split, long until) {
    SPIN_UNTIL(atomic_load_explicit(&split->done, memory_order_acquire) >= until);
}
