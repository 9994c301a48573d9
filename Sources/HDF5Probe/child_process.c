// The parent's side: fork the child, collect its records with a time limit
// and a size limit, and say how it ended.
#define _GNU_SOURCE
#include "probe_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/// Decodes the %XX escapes of field `index` of a tab-separated line (after
/// its tag) into `out`.
static void copy_field(const char *line, size_t length, int index, char *out, size_t capacity) {
    size_t start = 0;
    for (int field = 0; field <= index; field++) {
        while (start < length && line[start] != '\t') start++;
        if (start < length) start++;
    }
    size_t used = 0;
    for (size_t i = start; i < length && line[i] != '\t' && used + 1 < capacity; i++) {
        char c = line[i];
        if (c == '%' && i + 2 < length) {
            char hex[3] = {line[i + 1], line[i + 2], 0};
            c = (char)strtol(hex, NULL, 16);
            i += 2;
        }
        out[used++] = c;
    }
    out[used] = 0;
}

/// The records a child may send, at most (a description of ~100 000
/// datasets); a child sending more is stopped and the file refused.
static const size_t records_limit = 64u << 20;

void probe_run_child(void (*body)(const probe_child_job *), const probe_child_job *job, double timeout_seconds,
                      rk_probe_result *result) {
    memset(result, 0, sizeof *result);
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
        result->outcome = RK_PROBE_NO_CHILD;
        result->detail = errno;
        return;
    }
    pid_t child = fork();
    if (child < 0) {
        result->outcome = RK_PROBE_NO_CHILD;
        result->detail = errno;
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        return;
    }
    if (child == 0) {
        close(pipe_fds[0]);
        probe_child_main(pipe_fds[1], body, job);
    }
    close(pipe_fds[1]);

    // Records are kept; of the progress lines only the last complete one.
    char *records = NULL;
    size_t records_used = 0, records_capacity = 0;
    char *pending = NULL;
    size_t pending_used = 0, pending_capacity = 0;
    char last[2048];
    size_t last_used = 0;
    int timed_out = 0, too_much = 0;
    double deadline = now_seconds() + timeout_seconds;
    for (;;) {
        double left = deadline - now_seconds();
        if (left <= 0) { timed_out = 1; break; }
        struct pollfd wait_for = {pipe_fds[0], POLLIN, 0};
        int ready = poll(&wait_for, 1, left > 1e6 ? 1000000000 : (int)(left * 1000) + 1);
        if (ready < 0 && errno == EINTR) continue;
        if (ready == 0) continue;
        if (ready < 0) break;
        char chunk[65536];
        ssize_t got = read(pipe_fds[0], chunk, sizeof chunk);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        for (ssize_t i = 0; i < got && !too_much; i++) {
            if (pending_used == pending_capacity) {
                size_t capacity = pending_capacity ? pending_capacity * 2 : 4096;
                char *grown = capacity <= records_limit ? realloc(pending, capacity) : NULL;
                if (!grown) { too_much = 1; break; }
                pending = grown;
                pending_capacity = capacity;
            }
            pending[pending_used++] = chunk[i];
            if (chunk[i] != '\n') continue;
            if (pending[0] == 'P') {
                last_used = pending_used - 1 < sizeof last ? pending_used - 1 : sizeof last;
                memcpy(last, pending, last_used);
            } else {
                if (records_used + pending_used > records_capacity) {
                    size_t capacity = records_capacity ? records_capacity : 65536;
                    while (records_used + pending_used > capacity) capacity *= 2;
                    char *grown = capacity <= records_limit ? realloc(records, capacity) : NULL;
                    if (!grown) { too_much = 1; break; }
                    records = grown;
                    records_capacity = capacity;
                }
                memcpy(records + records_used, pending, pending_used);
                records_used += pending_used;
            }
            pending_used = 0;
        }
        if (too_much) break;
    }
    free(pending);
    close(pipe_fds[0]);
    if (timed_out || too_much) kill(child, SIGKILL);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}

    copy_field(last, last_used, 0, result->stage, sizeof result->stage);
    copy_field(last, last_used, 1, result->object, sizeof result->object);
    copy_field(last, last_used, 2, result->attribute, sizeof result->attribute);
    if (too_much) {
        result->outcome = RK_PROBE_TOO_MUCH;
    } else if (timed_out) {
        result->outcome = RK_PROBE_TIMEOUT;
    } else if (WIFSIGNALED(status)) {
        result->outcome = RK_PROBE_SIGNAL;
        result->detail = WTERMSIG(status);
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || strcmp(result->stage, "done") != 0) {
        result->outcome = RK_PROBE_EXIT;
        result->detail = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    } else {
        result->outcome = RK_PROBE_OK;
    }
    if (result->outcome == RK_PROBE_OK) {
        result->records = records;
        result->records_size = records_used;
    } else {
        free(records);
    }
}

void rk_probe_result_free(rk_probe_result *result) {
    free(result->records);
    result->records = NULL;
    result->records_size = 0;
}
