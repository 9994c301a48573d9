// The child side walks the file with libhdf5 the way the Swift reader
// (Sources/TensorFiles/HDF5/) does, step for step, and reports each step on a
// pipe before taking it; the parent side waits for it with a time limit.
// The walk is written in C because after fork() only async-signal-safe work is
// safe in a multi-threaded process: no Swift runtime, no Foundation, no stdio.
// glibc's malloc is fork-safe, and libhdf5 is idle because the caller holds
// rnnkit's libhdf5 lock across the fork.
#define _GNU_SOURCE
#include "hdf5_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// Under a sanitizer (the fuzz build), a report in the child must not run the
// fuzzer's death callback, which would save the input as a crash of the parent.
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

// ---------------------------------------------------------------- child side

static int report_fd = -1;

/// Sends "stage \t object \t attribute \n" to the parent (best effort).
static void report(const char *stage, const char *object, const char *attribute) {
    char line[1024];
    size_t used = 0;
    const char *parts[3] = {stage, object, attribute};
    for (int i = 0; i < 3; i++) {
        for (const char *c = parts[i]; c && *c && used < sizeof line - 4; c++) {
            line[used++] = (*c == '\t' || *c == '\n') ? ' ' : *c;
        }
        line[used++] = i < 2 ? '\t' : '\n';
    }
    size_t sent = 0;
    while (sent < used) {
        ssize_t n = write(report_fd, line + sent, used - sent);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) _exit(3);
        sent += (size_t)n;
    }
}

typedef struct {
    char **items;
    size_t count, capacity;
} name_list;

static void list_add(name_list *list, const char *name) {
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

static void list_free(name_list *list) {
    for (size_t i = 0; i < list->count; i++) free(list->items[i]);
    free(list->items);
    memset(list, 0, sizeof *list);
}

typedef struct {
    name_list datasets;
    name_list objects;
} visit_lists;

static herr_t collect_object(hid_t root, const char *name, const H5O_info_t *info, void *context) {
    (void)root;
    visit_lists *lists = context;
    list_add(&lists->objects, name);
    if (info->type == H5O_TYPE_DATASET) list_add(&lists->datasets, name);
    return 0;
}

static herr_t collect_attribute(hid_t object, const char *name, const H5A_info_t *info, void *context) {
    (void)object;
    (void)info;
    list_add(context, name);
    return 0;
}

/// As HDF5Library.float16Kind: 1 = half, 2 = bfloat16, 0 = other.
static int float16_kind(hid_t type) {
    size_t sign, exponent_position, exponent_size, mantissa_position, mantissa_size;
    if (H5Tget_fields(type, &sign, &exponent_position, &exponent_size, &mantissa_position, &mantissa_size) < 0) return 0;
    size_t bias = H5Tget_ebias(type);
    if (sign == 15 && exponent_position == 10 && exponent_size == 5 && mantissa_position == 0 && mantissa_size == 10 && bias == 15) return 1;
    if (sign == 15 && exponent_position == 7 && exponent_size == 8 && mantissa_position == 0 && mantissa_size == 7 && bias == 127) return 2;
    return 0;
}

static hid_t make_float16_type(int bfloat) {
    hid_t type = H5Tcopy(H5T_IEEE_F32LE);
    if (bfloat) {
        H5Tset_fields(type, 15, 7, 8, 0, 7);
        H5Tset_size(type, 2);
        H5Tset_ebias(type, 127);
    } else {
        H5Tset_fields(type, 15, 10, 5, 0, 10);
        H5Tset_size(type, 2);
        H5Tset_ebias(type, 15);
    }
    return type;
}

/// As HDF5Dataset.isBoolean: h5py's one-byte FALSE = 0 / TRUE = 1 enum.
static int is_boolean(hid_t type) {
    if (H5Tget_size(type) != 1 || H5Tget_nmembers(type) != 2) return 0;
    int found = 0;
    for (unsigned index = 0; index < 2; index++) {
        char *name = H5Tget_member_name(type, index);
        if (!name) return 0;
        signed char value = -1;
        herr_t status = H5Tget_member_value(type, index, &value);
        if (status >= 0 && strcmp(name, "FALSE") == 0 && value == 0) found |= 1;
        if (status >= 0 && strcmp(name, "TRUE") == 0 && value == 1) found |= 2;
        H5free_memory(name);
    }
    return found == 3;
}

/// The memory type rnnkit reads a datatype as (HDF5Dataset.elementType and
/// memoryType), its size in `item_size`, and whether to close it; -1 when
/// rnnkit lists the dataset without reading it.
static hid_t memory_type(hid_t type, size_t *item_size, int *owned) {
    size_t size = H5Tget_size(type);
    *owned = 0;
    switch (H5Tget_class(type)) {
    case H5T_FLOAT:
        if (size == 2) {
            int kind = float16_kind(type);
            if (!kind) return -1;
            *owned = 1;
            *item_size = 2;
            return make_float16_type(kind == 2);
        }
        if (size == 4) { *item_size = 4; return H5T_NATIVE_FLOAT; }
        if (size == 8) { *item_size = 8; return H5T_NATIVE_DOUBLE; }
        return -1;
    case H5T_INTEGER: {
        int is_signed = H5Tget_sign(type) == H5T_SGN_2;
        if (size == 1) { *item_size = 1; return is_signed ? H5T_NATIVE_INT8 : H5T_NATIVE_UINT8; }
        if (size == 2 && is_signed) { *item_size = 2; return H5T_NATIVE_INT16; }
        if ((size == 2 && !is_signed) || (size == 4 && is_signed)) { *item_size = 4; return H5T_NATIVE_INT32; }
        if ((size == 4 && !is_signed) || (size == 8 && is_signed)) { *item_size = 8; return H5T_NATIVE_INT64; }
        return -1;
    }
    case H5T_ENUM:
        if (!is_boolean(type)) return -1;
        *owned = 1;
        *item_size = 1;
        hid_t boolean = H5Tenum_create(H5T_NATIVE_INT8);
        signed char no = 0, yes = 1;
        H5Tenum_insert(boolean, "FALSE", &no);
        H5Tenum_insert(boolean, "TRUE", &yes);
        return boolean;
    default:
        return -1;
    }
}

/// HDF5Dataset.describe, then the metadata calls of HDF5Dataset.load
/// (checkStorage): everything short of reading the data.
static void walk_dataset(hid_t file, const char *path) {
    report("opening the dataset", path, "");
    hid_t dataset = H5Dopen2(file, path, H5P_DEFAULT);
    if (dataset < 0) return;
    report("reading the dataset's type and shape", path, "");
    hid_t type = H5Dget_type(dataset);
    hid_t space = H5Dget_space(dataset);
    hid_t creation = H5Dget_create_plist(dataset);
    if (type >= 0 && space >= 0 && creation >= 0) {
        hsize_t dims[32];
        H5S_class_t extent = H5Sget_simple_extent_type(space);
        if (extent == H5S_SIMPLE) {
            int rank = H5Sget_simple_extent_ndims(space);
            if (rank >= 0 && rank <= 32) H5Sget_simple_extent_dims(space, dims, NULL);
        }
        report("reading the dataset's storage properties", path, "");
        H5Pget_layout(creation);
        H5Pget_external_count(creation);
        hsize_t chunk[32];
        if (H5Pget_layout(creation) == H5D_CHUNKED) H5Pget_chunk(creation, 32, chunk);
        H5Pget_nfilters(creation);
        report("reading the dataset's element type", path, "");
        size_t item_size = 0;
        int owned = 0;
        hid_t memory = memory_type(type, &item_size, &owned);
        if (owned && memory >= 0) H5Tclose(memory);
        H5Tget_size(type);
        report("measuring the dataset's stored data", path, "");
        H5Dget_storage_size(dataset);
    }
    if (creation >= 0) H5Pclose(creation);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    H5Dclose(dataset);
}

/// HDF5Attributes.strings: every single-string attribute of `path`.
static void walk_attributes(hid_t file, const char *path) {
    report("opening the object", path, "");
    hid_t object = H5Oopen(file, path, H5P_DEFAULT);
    if (object < 0) return;
    report("listing the attributes", path, "");
    name_list names = {0};
    hsize_t index = 0;
    H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, &index, collect_attribute, &names);
    for (size_t i = 0; i < names.count; i++) {
        const char *name = names.items[i];
        report("opening the attribute", path, name);
        hid_t attribute = H5Aopen(object, name, H5P_DEFAULT);
        if (attribute < 0) continue;
        hid_t type = H5Aget_type(attribute);
        hid_t space = H5Aget_space(attribute);
        if (type >= 0 && space >= 0 && H5Tget_class(type) == H5T_STRING && H5Sget_simple_extent_npoints(space) == 1) {
            hid_t memory = H5Tcopy(H5T_C_S1);
            H5Tset_cset(memory, H5Tget_cset(type));
            report("reading the attribute", path, name);
            if (H5Tis_variable_str(type) > 0) {
                H5Tset_size(memory, H5T_VARIABLE);
                char *value = NULL;
                if (H5Aread(attribute, memory, &value) >= 0) H5Dvlen_reclaim(memory, space, H5P_DEFAULT, &value);
            } else {
                size_t size = H5Tget_size(type);
                if (size > 0 && size <= (1u << 20)) {
                    H5Tset_size(memory, size);
                    void *buffer = calloc(1, size);
                    if (buffer) {
                        H5Aread(attribute, memory, buffer);
                        free(buffer);
                    }
                }
            }
            H5Tclose(memory);
        }
        if (space >= 0) H5Sclose(space);
        if (type >= 0) H5Tclose(type);
        H5Aclose(attribute);
    }
    list_free(&names);
    H5Oclose(object);
}

static hid_t open_file(const char *path, const void *image, size_t image_size) {
    report("opening the file", "", "");
    hid_t access = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_file_locking(access, 0, 1);
    char name[1200];
    if (image) {
        H5Pset_fapl_core(access, 1 << 20, 0);
        H5Pset_file_image(access, (void *)image, image_size);
        // The core driver knows in-memory files by name, and the parent may
        // hold this one open already: a name of its own opens a fresh copy.
        snprintf(name, sizeof name, "%s (rnnkit child)", path);
        path = name;
    }
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, access);
    H5Pclose(access);
    return file;
}

typedef struct {
    const char *path;
    const void *image;
    size_t image_size;
    const char *dataset;
    rk_memory_type type;
    void *buffer;
} child_job;

/// The metadata walk of rk_hdf5_probe.
static void walk_file(const child_job *job) {
    hid_t file = open_file(job->path, job->image, job->image_size);
    if (file < 0) return;
    report("listing the objects", "", "");
    visit_lists lists = {{0}, {0}};
    if (H5Ovisit2(file, H5_INDEX_CRT_ORDER, H5_ITER_INC, collect_object, &lists, H5O_INFO_BASIC) < 0) {
        list_free(&lists.datasets);
        list_free(&lists.objects);
        H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_INC, collect_object, &lists, H5O_INFO_BASIC);
    }
    for (size_t i = 0; i < lists.datasets.count; i++) walk_dataset(file, lists.datasets.items[i]);
    walk_attributes(file, "/");
    for (size_t i = 0; i < lists.objects.count; i++) {
        if (strcmp(lists.objects.items[i], ".") != 0) walk_attributes(file, lists.objects.items[i]);
    }
}

static hid_t make_memory_type(rk_memory_type type, int *owned) {
    *owned = 0;
    switch (type) {
    case RK_MEMORY_FLOAT16: *owned = 1; return make_float16_type(0);
    case RK_MEMORY_BFLOAT16: *owned = 1; return make_float16_type(1);
    case RK_MEMORY_BOOL: {
        *owned = 1;
        hid_t boolean = H5Tenum_create(H5T_NATIVE_INT8);
        signed char no = 0, yes = 1;
        H5Tenum_insert(boolean, "FALSE", &no);
        H5Tenum_insert(boolean, "TRUE", &yes);
        return boolean;
    }
    case RK_MEMORY_FLOAT32: return H5T_NATIVE_FLOAT;
    case RK_MEMORY_FLOAT64: return H5T_NATIVE_DOUBLE;
    case RK_MEMORY_INT8: return H5T_NATIVE_INT8;
    case RK_MEMORY_UINT8: return H5T_NATIVE_UINT8;
    case RK_MEMORY_INT16: return H5T_NATIVE_INT16;
    case RK_MEMORY_INT32: return H5T_NATIVE_INT32;
    case RK_MEMORY_INT64: return H5T_NATIVE_INT64;
    }
    return -1;
}

static herr_t collect_error(unsigned depth, const H5E_error2_t *record, void *context) {
    (void)depth;
    name_list *lines = context;
    if (record->desc) list_add(lines, record->desc);
    return 0;
}

/// libhdf5's error stack as HDF5Library.errorStackMessage makes it: the
/// outermost and the most specific description.
static void report_failure(const char *what) {
    name_list lines = {0};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &lines);
    char message[900];
    const char *first = lines.count ? lines.items[0] : "libhdf5 reported a failure without details";
    const char *last = lines.count > 1 && strcmp(lines.items[lines.count - 1], first) != 0 ? lines.items[lines.count - 1] : NULL;
    snprintf(message, sizeof message, "%s: %s%s%s", what, first, last ? ": " : "", last ? last : "");
    report("failed", message, "");
    list_free(&lines);
}

/// The data read of rk_hdf5_read: the whole dataset into the shared buffer.
static void read_data(const child_job *job) {
    hid_t file = open_file(job->path, job->image, job->image_size);
    if (file < 0) { report_failure("cannot open the file"); _exit(0); }
    report("opening the dataset", job->dataset, "");
    hid_t dataset = H5Dopen2(file, job->dataset, H5P_DEFAULT);
    if (dataset < 0) { report_failure("cannot open the dataset"); _exit(0); }
    int owned = 0;
    hid_t memory = make_memory_type(job->type, &owned);
    report("reading the data", job->dataset, "");
    if (H5Dread(dataset, memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, job->buffer) < 0) {
        report_failure("cannot read the data");
        _exit(0);
    }
}

static void child_main(int fd, void (*body)(const child_job *), const child_job *job) {
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
    report("done", "", "");
    _exit(0);
}

// --------------------------------------------------------------- parent side

static double now_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/// Copies field `index` of a "stage \t object \t attribute" line into `out`.
static void copy_field(const char *line, size_t length, int index, char *out, size_t capacity) {
    size_t start = 0;
    for (int field = 0; field < index; field++) {
        while (start < length && line[start] != '\t') start++;
        if (start < length) start++;
    }
    size_t end = start;
    while (end < length && line[end] != '\t') end++;
    size_t count = end - start < capacity - 1 ? end - start : capacity - 1;
    memcpy(out, line + start, count);
    out[count] = 0;
}

static void run_child(void (*body)(const child_job *), const child_job *job, double timeout_seconds,
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
        child_main(pipe_fds[1], body, job);
    }
    close(pipe_fds[1]);

    // Keep the last complete line the child sent.
    char pending[2048], last[2048];
    size_t pending_used = 0, last_used = 0;
    int timed_out = 0;
    double deadline = now_seconds() + timeout_seconds;
    for (;;) {
        double left = deadline - now_seconds();
        if (left <= 0) { timed_out = 1; break; }
        struct pollfd wait_for = {pipe_fds[0], POLLIN, 0};
        int ready = poll(&wait_for, 1, left > 1e6 ? 1000000000 : (int)(left * 1000) + 1);
        if (ready < 0 && errno == EINTR) continue;
        if (ready == 0) continue;
        if (ready < 0) break;
        char chunk[4096];
        ssize_t got = read(pipe_fds[0], chunk, sizeof chunk);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        for (ssize_t i = 0; i < got; i++) {
            if (chunk[i] == '\n') {
                memcpy(last, pending, pending_used);
                last_used = pending_used;
                pending_used = 0;
            } else if (pending_used < sizeof pending) {
                pending[pending_used++] = chunk[i];
            }
        }
    }
    close(pipe_fds[0]);
    if (timed_out) kill(child, SIGKILL);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}

    copy_field(last, last_used, 0, result->stage, sizeof result->stage);
    copy_field(last, last_used, 1, result->object, sizeof result->object);
    copy_field(last, last_used, 2, result->attribute, sizeof result->attribute);
    if (timed_out) {
        result->outcome = RK_PROBE_TIMEOUT;
    } else if (WIFSIGNALED(status)) {
        result->outcome = RK_PROBE_SIGNAL;
        result->detail = WTERMSIG(status);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && strcmp(result->stage, "failed") == 0) {
        result->outcome = RK_PROBE_OK;
        result->detail = 1;
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || strcmp(result->stage, "done") != 0) {
        result->outcome = RK_PROBE_EXIT;
        result->detail = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    } else {
        result->outcome = RK_PROBE_OK;
    }
}

void rk_hdf5_probe(const char *path, const void *image, size_t image_size,
                   double timeout_seconds, rk_probe_result *result) {
    child_job job = {path, image, image_size, NULL, 0, NULL};
    run_child(walk_file, &job, timeout_seconds, result);
}

void rk_hdf5_read(const char *path, const void *image, size_t image_size, const char *dataset,
                  rk_memory_type type, void *buffer, size_t size,
                  double timeout_seconds, rk_probe_result *result) {
    (void)size;
    child_job job = {path, image, image_size, dataset, type, buffer};
    run_child(read_data, &job, timeout_seconds, result);
}
