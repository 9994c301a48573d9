// See include/output_safety.h ("Inputs that shrink while mapped"). The
// SIGBUS handler uses only async-signal-safe calls: write, unlink, open,
// getdents64, unlinkat, rmdir, close (rk_output_remove_all), sigaction,
// raise, _exit.
#define _GNU_SOURCE
#include "output_safety.h"
#include "output_safety_internal.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { map_capacity = 4096 };

/// One mapped input: its address range and the line to print when a read
/// of it faults. `active` is set last and cleared first, so that the
/// handler, which takes no lock, sees only whole entries.
static struct {
    _Atomic int active;
    uintptr_t base;
    size_t length;
    char *line;
} maps[map_capacity];
static pthread_mutex_t maps_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t handler_installed = PTHREAD_ONCE_INIT;
static struct sigaction previous_action;

static void write_all(int fd, const char *text, size_t length) {
    while (length > 0) {
        ssize_t written = write(fd, text, length);
        if (written <= 0) return;
        text += written;
        length -= (size_t)written;
    }
}

static void on_bus_error(int signal_number, siginfo_t *info, void *context) {
    (void)context;
    if (info && info->si_code == BUS_ADRERR) {
        const uintptr_t address = (uintptr_t)info->si_addr;
        for (int slot = 0; slot < map_capacity; slot++) {
            if (!atomic_load_explicit(&maps[slot].active, memory_order_acquire)) continue;
            if (address < maps[slot].base || address - maps[slot].base >= maps[slot].length) continue;
            write_all(STDERR_FILENO, maps[slot].line, strlen(maps[slot].line));
            rk_output_remove_all();
            _exit(2);
        }
    }
    // Not a read past the end of a mapped input: whoever handled SIGBUS
    // before (the Swift runtime's backtracer, or the default action) takes
    // it. A fault repeats when the handler returns; a sent signal is raised again.
    sigaction(signal_number, &previous_action, NULL);
    if (!info || info->si_code <= 0) raise(signal_number);
}

static void install_handler(void) {
    struct sigaction handler;
    memset(&handler, 0, sizeof handler);
    handler.sa_sigaction = on_bus_error;
    handler.sa_flags = SA_SIGINFO;
    sigemptyset(&handler.sa_mask);
    sigaction(SIGBUS, &handler, &previous_action);
}

void rk_input_faults_install(void) { pthread_once(&handler_installed, install_handler); }

int rk_input_map_register(const void *base, size_t length, const char *line) {
    if (!base || length == 0 || !line) return -1;
    char *copy = strdup(line);
    if (!copy) return -1;
    pthread_mutex_lock(&maps_lock);
    int found = -1;
    for (int slot = 0; slot < map_capacity; slot++) {
        if (atomic_load_explicit(&maps[slot].active, memory_order_relaxed)) continue;
        free(maps[slot].line);
        maps[slot].base = (uintptr_t)base;
        maps[slot].length = length;
        maps[slot].line = copy;
        atomic_store_explicit(&maps[slot].active, 1, memory_order_release);
        found = slot;
        break;
    }
    pthread_mutex_unlock(&maps_lock);
    if (found < 0) free(copy);
    return found;
}

void rk_input_map_unregister(int slot) {
    if (slot < 0 || slot >= map_capacity) return;
    pthread_mutex_lock(&maps_lock);
    // The line stays until the slot is reused: a handler running in another
    // thread may still be reading it.
    atomic_store_explicit(&maps[slot].active, 0, memory_order_release);
    pthread_mutex_unlock(&maps_lock);
}
