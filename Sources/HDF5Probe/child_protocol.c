// The child's side of the pipe: lines of a one-letter tag and tab-separated
// fields (%XX escapes), progress reports, libhdf5's account of a failure, and
// the child's start (signals, stderr, core dumps) and end.
#define _GNU_SOURCE
#include "probe_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

// Under a sanitizer (the fuzz build), a report in the child must not run the
// fuzzer's death callback, which would save the input as a crash of the parent.
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static int report_fd = -1;

/// Writes all of `line` to the parent; a parent that stopped listening ends the child.
static void send_line(const char *line, size_t used) {
    size_t sent = 0;
    while (sent < used) {
        ssize_t n = write(report_fd, line + sent, used - sent);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) _exit(3);
        sent += (size_t)n;
    }
}

static void line_put(probe_line *line, const char *bytes, size_t count) {
    if (line->used + count + 2 > line->capacity) {
        size_t capacity = (line->capacity ? line->capacity : 256);
        while (line->used + count + 2 > capacity) capacity *= 2;
        char *text = realloc(line->text, capacity);
        if (!text) _exit(4);
        line->text = text;
        line->capacity = capacity;
    }
    memcpy(line->text + line->used, bytes, count);
    line->used += count;
}

void probe_line_field(probe_line *line, const char *field) {
    static const char hex[] = "0123456789ABCDEF";
    line_put(line, "\t", 1);
    for (const unsigned char *c = (const unsigned char *)(field ? field : ""); *c; c++) {
        if (*c == '%' || *c < 0x20 || *c == 0x7F) {
            char escaped[3] = {'%', hex[*c >> 4], hex[*c & 15]};
            line_put(line, escaped, 3);
        } else {
            line_put(line, (const char *)c, 1);
        }
    }
}

void probe_line_number(probe_line *line, long long value) {
    char text[32];
    snprintf(text, sizeof text, "%lld", value);
    probe_line_field(line, text);
}

/// Sends the line (tag plus fields) and empties it.
void probe_line_send(probe_line *line) {
    line_put(line, "\n", 1);
    send_line(line->text, line->used);
    line->used = 0;
}

/// Starts a line with its one-letter tag.
probe_line *probe_line_start(char tag) {
    static probe_line line;
    line.used = 0;
    line_put(&line, &tag, 1);
    return &line;
}

/// "P stage object attribute": where the child is, sent before each step.
void probe_report(const char *stage, const char *object, const char *attribute) {
    probe_line *line = probe_line_start('P');
    probe_line_field(line, stage);
    probe_line_field(line, object);
    probe_line_field(line, attribute);
    probe_line_send(line);
}

void probe_list_add(probe_name_list *list, const char *name) {
    if (list->count == list->capacity) {
        size_t capacity = list->capacity ? list->capacity * 2 : 16;
        char **items = realloc(list->items, capacity * sizeof *items);
        if (!items) return;
        list->items = items;
        list->capacity = capacity;
    }
    char *copy = strdup(name);
    if (copy) list->items[list->count++] = copy;
}

void probe_list_free(probe_name_list *list) {
    for (size_t i = 0; i < list->count; i++) free(list->items[i]);
    free(list->items);
    memset(list, 0, sizeof *list);
}

static herr_t collect_error(unsigned depth, const H5E_error2_t *record, void *context) {
    (void)depth;
    probe_name_list *lines = context;
    if (record->desc) probe_list_add(lines, record->desc);
    return 0;
}

/// libhdf5's account of a failure into `message`: of its error stack (then
/// cleared) the outermost and the most specific description, repeats dropped.
static void failure_message(char *message, size_t capacity) {
    probe_name_list lines = {0};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &lines);
    H5Eclear2(H5E_DEFAULT);
    const char *first = lines.count ? lines.items[0] : "libhdf5 reported a failure without details";
    const char *last = NULL;
    for (size_t i = lines.count; i-- > 1;) {
        if (strcmp(lines.items[i], first) != 0) { last = lines.items[i]; break; }
    }
    snprintf(message, capacity, "%s%s%s", first, last ? ": " : "", last ? last : "");
    probe_list_free(&lines);
}

/// Sends a failure record: "<tag> [object] operation subject account": the
/// operation's code (HDF5Operation in Swift names each), what it concerns
/// (an attribute's name, the object written; "" for none) and libhdf5's account.
void probe_send_failure(char tag, const char *object, const char *operation, const char *subject) {
    char message[1024];
    failure_message(message, sizeof message);
    probe_line *line = probe_line_start(tag);
    if (object) probe_line_field(line, object);
    probe_line_field(line, operation);
    probe_line_field(line, subject);
    probe_line_field(line, message);
    probe_line_send(line);
}

void probe_child_main(int fd, void (*body)(const probe_child_job *), const probe_child_job *job) {
    report_fd = fd;
    if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(NULL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    // The parent's crash handlers (the Swift runtime's backtracer, a
    // sanitizer's) must not run here: a crash simply ends the child.
    int fatal[] = {SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE, SIGTRAP, SIGSYS, SIGPIPE};
    struct sigaction plain;
    memset(&plain, 0, sizeof plain);
    plain.sa_handler = SIG_DFL;
    sigset_t unblock;
    sigemptyset(&unblock);
    for (size_t i = 0; i < sizeof fatal / sizeof *fatal; i++) {
        sigaction(fatal[i], &plain, NULL);
        sigaddset(&unblock, fatal[i]);
    }
    sigprocmask(SIG_UNBLOCK, &unblock, NULL);
    // glibc's "buffer overflow detected" and similar last words would land on
    // the user's terminal; rnnkit reports the child's end itself.
    int quiet = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (quiet >= 0) dup2(quiet, STDERR_FILENO);
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    body(job);
    probe_report("done", "", "");
    _exit(0);
}
