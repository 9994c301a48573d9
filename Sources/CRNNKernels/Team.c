// A persistent thread team: workers are started on first use and wait for
// work (spinning for a short while, then sleeping), so that a forward pass
// pays no thread creation and a step pays only a spin barrier.
#include "CRNNKernels.h"
#include <pthread.h>
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
    _Atomic int arrived;     // members at the barrier
    _Atomic unsigned barrierGeneration;
} team = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_MUTEX_INITIALIZER};

// Members of the team this thread is running a task for (1 outside a team).
static _Thread_local int memberCount = 1;

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
            memberCount = team.count;
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
        memberCount = 1;
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
    atomic_store(&team.arrived, 0);
    atomic_fetch_add_explicit(&team.generation, 1, memory_order_acq_rel);
    if (team.sleepers > 0) pthread_cond_broadcast(&team.wake);
    pthread_mutex_unlock(&team.lock);

    const unsigned saved = rk_flush_denormals();
    memberCount = count;
    task(context, 0, count);
    memberCount = 1;
    rk_restore_denormals(saved);
    SPIN_UNTIL(atomic_load_explicit(&team.finished, memory_order_acquire) == count - 1);
    pthread_mutex_unlock(&team.run);
}

void rk_team_barrier(void) {
    const int count = memberCount;
    if (count <= 1) return;
    const unsigned generation = atomic_load_explicit(&team.barrierGeneration, memory_order_acquire);
    if (atomic_fetch_add_explicit(&team.arrived, 1, memory_order_acq_rel) == count - 1) {
        atomic_store_explicit(&team.arrived, 0, memory_order_relaxed);
        atomic_fetch_add_explicit(&team.barrierGeneration, 1, memory_order_acq_rel);
    } else {
        SPIN_UNTIL(atomic_load_explicit(&team.barrierGeneration, memory_order_acquire) != generation);
    }
}
