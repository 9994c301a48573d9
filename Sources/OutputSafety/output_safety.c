// See include/output_safety.h. The signal handler uses only
// async-signal-safe calls: unlink, open, getdents64 (syscall), unlinkat,
// rmdir, close, sigaction, raise.
#define _GNU_SOURCE
#include "output_safety.h"
#include "output_safety_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <zlib.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

enum { slot_count = 64, path_capacity = 4096 };

static char paths[slot_count][path_capacity];
static volatile sig_atomic_t in_use[slot_count];
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t installed = PTHREAD_ONCE_INIT;
static const int handled[] = {SIGINT, SIGTERM, SIGHUP};

/// Removes the files directly inside the folder `path`, then the folder.
static void remove_folder(const char *path) {
    int folder = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (folder < 0) return;
    char buffer[8192] __attribute__((aligned(8)));
    for (;;) {
        long got = syscall(SYS_getdents64, folder, buffer, sizeof buffer);
        if (got <= 0) break;
        for (long offset = 0; offset < got;) {
            // struct linux_dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name.
            unsigned short length;
            memcpy(&length, buffer + offset + 16, sizeof length);
            const char *name = buffer + offset + 19;
            if (!(name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0)))) unlinkat(folder, name, 0);
            offset += length;
        }
    }
    close(folder);
    rmdir(path);
}

void rk_output_remove_all(void) {
    int saved = errno;
    for (int slot = 0; slot < slot_count; slot++) {
        if (!in_use[slot]) continue;
        if (unlink(paths[slot]) != 0 && (errno == EISDIR || errno == EPERM)) remove_folder(paths[slot]);
    }
    errno = saved;
}

static void remove_registered(int signal_number) {
    int saved = errno;
    rk_output_remove_all();
    struct sigaction plain;
    memset(&plain, 0, sizeof plain);
    plain.sa_handler = SIG_DFL;
    sigaction(signal_number, &plain, NULL);
    errno = saved;
    raise(signal_number);
}

static void install_once(void) {
    for (size_t i = 0; i < sizeof handled / sizeof *handled; i++) {
        struct sigaction current;
        if (sigaction(handled[i], NULL, &current) != 0) continue;
        // A signal the process was told to ignore (nohup) stays ignored; a
        // handler someone else installed is left alone.
        if (current.sa_handler != SIG_DFL || (current.sa_flags & SA_SIGINFO)) continue;
        struct sigaction handler;
        memset(&handler, 0, sizeof handler);
        handler.sa_handler = remove_registered;
        sigfillset(&handler.sa_mask);
        sigaction(handled[i], &handler, NULL);
    }
    signal(SIGXFSZ, SIG_IGN);
}

void rk_output_install(void) { pthread_once(&installed, install_once); }

/// Blocks the handled signals in this thread while the registry changes.
static void block(sigset_t *previous) {
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof handled / sizeof *handled; i++) sigaddset(&set, handled[i]);
    pthread_sigmask(SIG_BLOCK, &set, previous);
}

int rk_output_register(const char *path) {
    rk_output_install();
    size_t length = strlen(path);
    if (length >= path_capacity) return -1;
    sigset_t previous;
    block(&previous);
    pthread_mutex_lock(&registry_lock);
    int found = -1;
    for (int slot = 0; slot < slot_count; slot++) {
        if (in_use[slot]) continue;
        memcpy(paths[slot], path, length + 1);
        in_use[slot] = 1;
        found = slot;
        break;
    }
    pthread_mutex_unlock(&registry_lock);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    return found;
}

void rk_output_unregister(int slot) {
    if (slot < 0 || slot >= slot_count) return;
    sigset_t previous;
    block(&previous);
    pthread_mutex_lock(&registry_lock);
    in_use[slot] = 0;
    pthread_mutex_unlock(&registry_lock);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
}

int rk_rename_noreplace(const char *from, const char *to) {
    if (syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0) return 0;
    if (errno != EINVAL && errno != ENOSYS) return -1;
    // No RENAME_NOREPLACE on this file system: link(2) fails with EEXIST
    // when `to` exists, atomically; directories cannot be linked.
    if (link(from, to) != 0) {
        if (errno == EPERM || errno == EISDIR) errno = ENOTSUP;
        return -1;
    }
    unlink(from);
    return 0;
}

int rk_rename_exchange(const char *from, const char *to) {
    return (int)syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, RENAME_EXCHANGE);
}

unsigned int rk_crc32(unsigned int crc, const void *data, size_t size) {
    const unsigned char *bytes = data;
    uLong value = crc;
    while (size > 0) {
        uInt piece = size > (1u << 30) ? (1u << 30) : (uInt)size;
        value = crc32(value, bytes, piece);
        bytes += piece;
        size -= piece;
    }
    return (unsigned int)value;
}

unsigned int rk_crc32_combine(unsigned int first, unsigned int second, unsigned long long second_size) {
    return (unsigned int)crc32_combine(first, second, (z_off_t)second_size);
}

void rk_prefault(const void *data, size_t size) {
    const volatile unsigned char *bytes = data;
    unsigned char sink = 0;
    for (size_t offset = 0; offset < size; offset += 4096) sink ^= bytes[offset];
    if (size > 0) sink ^= bytes[size - 1];
    (void)sink;
}

void rk_start_writeback(int fd, unsigned long long offset, unsigned long long size) {
#ifdef __linux__
    if (size > 0) (void)sync_file_range(fd, (off64_t)offset, (off64_t)size, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd; (void)offset; (void)size;
#endif
}
