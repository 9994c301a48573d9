// The child side is the only place rnnkit reads a file with libhdf5: it
// describes the file (every dataset's type, shape and storage, every string
// attribute) or reads one dataset's data, and sends records and its progress
// on a pipe; the parent side collects them with a time limit. The Swift
// reader (Sources/TensorFiles/HDF5/) decides from the records alone.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// Under a sanitizer (the fuzz build), a report in the child must not run the
// fuzzer's death callback, which would save the input as a crash of the parent.
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

// ---------------------------------------------------------------- child side

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

/// A line being built: a tag, then tab-separated fields in which '%', tab,
/// newline and other control bytes are written %XX (the parent decodes them).
typedef struct {
    char *text;
    size_t used, capacity;
} line_buffer;

static void line_put(line_buffer *line, const char *bytes, size_t count) {
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

static void line_field(line_buffer *line, const char *field) {
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

static void line_number(line_buffer *line, long long value) {
    char text[32];
    snprintf(text, sizeof text, "%lld", value);
    line_field(line, text);
}

/// Sends the line (tag plus fields) and empties it.
static void line_send(line_buffer *line) {
    line_put(line, "\n", 1);
    send_line(line->text, line->used);
    line->used = 0;
}

/// Starts a line with its one-letter tag.
static line_buffer *line_start(char tag) {
    static line_buffer line;
    line.used = 0;
    line_put(&line, &tag, 1);
    return &line;
}

/// "P stage object attribute": where the child is, sent before each step.
static void report(const char *stage, const char *object, const char *attribute) {
    line_buffer *line = line_start('P');
    line_field(line, stage);
    line_field(line, object);
    line_field(line, attribute);
    line_send(line);
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

/// The layout of a 2-byte float type: 1 = IEEE half, 2 = bfloat16, 0 = other (HDF5Dataset maps it to a DType).
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

/// Whether an enum type is h5py's boolean: one byte, FALSE = 0 / TRUE = 1.
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

static herr_t collect_error(unsigned depth, const H5E_error2_t *record, void *context) {
    (void)depth;
    name_list *lines = context;
    if (record->desc) list_add(lines, record->desc);
    return 0;
}

/// libhdf5's account of a failure into `message`: of its error stack (then
/// cleared) the outermost and the most specific description, repeats dropped.
static void failure_message(char *message, size_t capacity) {
    name_list lines = {0};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &lines);
    H5Eclear2(H5E_DEFAULT);
    const char *first = lines.count ? lines.items[0] : "libhdf5 reported a failure without details";
    const char *last = NULL;
    for (size_t i = lines.count; i-- > 1;) {
        if (strcmp(lines.items[i], first) != 0) { last = lines.items[i]; break; }
    }
    snprintf(message, capacity, "%s%s%s", first, last ? ": " : "", last ? last : "");
    list_free(&lines);
}

/// Sends a failure record: "<tag> [object] operation subject account": the
/// operation's code (HDF5Operation in Swift names each), what it concerns
/// (an attribute's name, the object written; "" for none) and libhdf5's account.
static void send_failure(char tag, const char *object, const char *operation, const char *subject) {
    char message[1024];
    failure_message(message, sizeof message);
    line_buffer *line = line_start(tag);
    if (object) line_field(line, object);
    line_field(line, operation);
    line_field(line, subject);
    line_field(line, message);
    line_send(line);
}

static const char *type_class_name(H5T_class_t class) {
    switch (class) {
    case H5T_INTEGER: return "integer";
    case H5T_FLOAT: return "float";
    case H5T_STRING: return "string";
    case H5T_BITFIELD: return "bitfield";
    case H5T_OPAQUE: return "opaque";
    case H5T_COMPOUND: return "compound";
    case H5T_REFERENCE: return "reference";
    case H5T_ENUM: return "enum";
    case H5T_VLEN: return "vlen";
    case H5T_ARRAY: return "array";
    default: return "other";
    }
}

static const char *layout_name(H5D_layout_t layout) {
    switch (layout) {
    case H5D_COMPACT: return "compact";
    case H5D_CONTIGUOUS: return "contiguous";
    case H5D_CHUNKED: return "chunked";
    case H5D_VIRTUAL: return "virtual";
    default: return "unknown";
    }
}

/// Sends a list of dimensions as one field "a,b,c" (unlimited: "u").
static void line_dims(line_buffer *line, const hsize_t *dims, int rank) {
    char text[32 * 24 + 1];
    size_t used = 0;
    text[0] = 0;
    for (int axis = 0; axis < rank; axis++) {
        if (dims[axis] == H5S_UNLIMITED) {
            used += (size_t)snprintf(text + used, sizeof text - used, "%su", axis ? "," : "");
        } else {
            used += (size_t)snprintf(text + used, sizeof text - used, "%s%llu", axis ? "," : "", (unsigned long long)dims[axis]);
        }
    }
    line_field(line, text);
}

/// Describes one dataset: a "D" record with everything rnnkit decides from
/// (HDF5Dataset), or a "d" record with the failure that stopped it:
/// D path extent rank dims maxdims layout external_count chunk_rank chunks
///   filters class size signed float16_kind boolean storage_size
static void walk_dataset(hid_t file, const char *path) {
    report("opening the dataset", path, "");
    hid_t dataset = H5Dopen2(file, path, H5P_DEFAULT);
    if (dataset < 0) { send_failure('d', path, "open-dataset", ""); return; }
    report("reading the dataset's type and shape", path, "");
    hid_t type = H5Dget_type(dataset);
    if (type < 0) { send_failure('d', path, "read-type", ""); H5Dclose(dataset); return; }
    hid_t space = H5Dget_space(dataset);
    if (space < 0) {
        send_failure('d', path, "read-shape", "");
        H5Tclose(type);
        H5Dclose(dataset);
        return;
    }
    hsize_t dims[32], max_dims[32];
    int rank = 0;
    const char *extent = "none";
    switch (H5Sget_simple_extent_type(space)) {
    case H5S_SCALAR: extent = "scalar"; break;
    case H5S_SIMPLE:
        extent = "simple";
        rank = H5Sget_simple_extent_ndims(space);
        if (rank < 0 || rank > 32) {
            send_failure('d', path, "read-rank", "");
            goto done;
        }
        if (H5Sget_simple_extent_dims(space, dims, max_dims) < 0) {
            send_failure('d', path, "read-dimensions", "");
            goto done;
        }
        break;
    default: break;
    }
    report("reading the dataset's storage properties", path, "");
    hid_t creation = H5Dget_create_plist(dataset);
    const char *layout = "unreadable";
    int external = 0, chunk_rank = 0, filters = 0;
    hsize_t chunk[32];
    if (creation >= 0) {
        layout = layout_name(H5Pget_layout(creation));
        external = H5Pget_external_count(creation);
        if (strcmp(layout, "chunked") == 0) chunk_rank = H5Pget_chunk(creation, 32, chunk);
        if (chunk_rank < 0 || chunk_rank > 32) chunk_rank = -1;
        filters = H5Pget_nfilters(creation);
        H5Pclose(creation);
    }
    report("reading the dataset's element type", path, "");
    H5T_class_t class = H5Tget_class(type);
    size_t size = H5Tget_size(type);
    int is_signed = class == H5T_INTEGER && H5Tget_sign(type) == H5T_SGN_2;
    int f16 = class == H5T_FLOAT && size == 2 ? float16_kind(type) : 0;
    int boolean = class == H5T_ENUM ? is_boolean(type) : 0;
    report("measuring the dataset's stored data", path, "");
    hsize_t stored = H5Dget_storage_size(dataset);
    H5Eclear2(H5E_DEFAULT);

    line_buffer *line = line_start('D');
    line_field(line, path);
    line_field(line, extent);
    line_number(line, rank);
    line_dims(line, dims, rank);
    line_dims(line, max_dims, rank);
    line_field(line, layout);
    line_number(line, external);
    line_number(line, chunk_rank);
    line_dims(line, chunk, chunk_rank > 0 ? chunk_rank : 0);
    line_number(line, filters);
    line_field(line, type_class_name(class));
    line_number(line, (long long)size);
    line_number(line, is_signed);
    line_number(line, f16);
    line_number(line, boolean);
    line_number(line, stored > (hsize_t)INT64_MAX ? INT64_MAX : (long long)stored);
    line_send(line);
done:
    H5Sclose(space);
    H5Tclose(type);
    H5Dclose(dataset);
}

/// A one-dimensional attribute of several strings (h5py's numpy `S` or
/// object arrays, Keras 2's `layer_names`): an "L object name value…" record.
/// An empty array of any type (h5py writes an empty list as float64) gives an
/// "L object name" record without values; other arrays are left out.
/// Returns -1 when libhdf5 cannot read it.
static int send_string_list(hid_t attribute, hid_t type, hid_t space, const char *path, const char *name) {
    hssize_t count = H5Sget_simple_extent_npoints(space);
    if (count < 0 || count > (1 << 20)) return 0;
    if (count > 0 && H5Tget_class(type) != H5T_STRING) return 0;
    line_buffer *line = line_start('L');
    line_field(line, path);
    line_field(line, name);
    if (count == 0) { line_send(line); return 0; }
    hid_t memory = H5Tcopy(H5T_C_S1);
    H5Tset_cset(memory, H5Tget_cset(type));
    int failed = 0;
    if (H5Tis_variable_str(type) > 0) {
        H5Tset_size(memory, H5T_VARIABLE);
        char **values = calloc((size_t)count, sizeof *values);
        failed = !values || H5Aread(attribute, memory, values) < 0;
        if (!failed) {
            for (hssize_t i = 0; i < count; i++) line_field(line, values[i] ? values[i] : "");
            H5Dvlen_reclaim(memory, space, H5P_DEFAULT, values);
        }
        free(values);
    } else {
        size_t size = H5Tget_size(type);
        char *values = size > 0 && size <= (1u << 20) && (size_t)count <= (64u << 20) / size ? calloc((size_t)count, size) : NULL;
        char *item = values ? calloc(1, size + 1) : NULL;
        H5Tset_strpad(memory, H5T_STR_NULLPAD);
        H5Tset_size(memory, size > 0 ? size : 1);
        failed = !item || H5Aread(attribute, memory, values) < 0;
        if (!failed) {
            for (hssize_t i = 0; i < count; i++) {
                memcpy(item, values + (size_t)i * size, size);
                line_field(line, item);
            }
        }
        free(item);
        free(values);
    }
    H5Tclose(memory);
    if (failed) return -1;
    line_send(line);
    return 0;
}

/// Every single-string attribute of `path`: an "A object name value" record
/// each, or an "a object message" record for the failure that stopped it.
static void walk_attributes(hid_t file, const char *path) {
    report("opening the object", path, "");
    hid_t object = H5Oopen(file, path, H5P_DEFAULT);
    if (object < 0) { send_failure('a', path, "open-object", ""); return; }
    report("listing the attributes", path, "");
    name_list names = {0};
    hsize_t index = 0;
    if (H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, &index, collect_attribute, &names) < 0) {
        send_failure('a', path, "list-attributes", "");
        names.count = 0;
    }
    for (size_t i = 0; i < names.count; i++) {
        const char *name = names.items[i];
        report("opening the attribute", path, name);
        hid_t attribute = H5Aopen(object, name, H5P_DEFAULT);
        if (attribute < 0) {
            send_failure('a', path, "open-attribute", name);
            break;
        }
        hid_t type = H5Aget_type(attribute);
        hid_t space = H5Aget_space(attribute);
        if (type >= 0 && space >= 0 && H5Tget_class(type) == H5T_STRING && H5Sget_simple_extent_npoints(space) == 1) {
            hid_t memory = H5Tcopy(H5T_C_S1);
            H5Tset_cset(memory, H5Tget_cset(type));
            report("reading the attribute", path, name);
            char *value = NULL;
            int failed = 0, owned_by_hdf5 = 0;
            if (H5Tis_variable_str(type) > 0) {
                H5Tset_size(memory, H5T_VARIABLE);
                failed = H5Aread(attribute, memory, &value) < 0;
                owned_by_hdf5 = 1;
            } else {
                size_t size = H5Tget_size(type);
                if (size > 0 && size <= (1u << 20)) {
                    // NUL-padded in memory: a string filling its width keeps its last byte.
                    H5Tset_strpad(memory, H5T_STR_NULLPAD);
                    H5Tset_size(memory, size);
                    value = calloc(1, size + 1);
                    if (value) failed = H5Aread(attribute, memory, value) < 0;
                }
            }
            if (failed) {
                send_failure('a', path, "read-attribute", name);
            } else if (value) {
                line_buffer *line = line_start('A');
                line_field(line, path);
                line_field(line, name);
                line_field(line, value);
                line_send(line);
            }
            if (owned_by_hdf5 && value && !failed) H5Dvlen_reclaim(memory, space, H5P_DEFAULT, &value);
            if (!owned_by_hdf5) free(value);
            H5Tclose(memory);
            if (failed) {
                H5Sclose(space);
                H5Tclose(type);
                H5Aclose(attribute);
                break;
            }
        } else if (type >= 0 && space >= 0 && H5Sget_simple_extent_type(space) == H5S_SIMPLE
                 && H5Sget_simple_extent_ndims(space) == 1 && H5Sget_simple_extent_npoints(space) != 1) {
            report("reading the attribute", path, name);
            if (send_string_list(attribute, type, space, path, name) < 0) {
                send_failure('a', path, "read-attribute", name);
                H5Sclose(space);
                H5Tclose(type);
                H5Aclose(attribute);
                break;
            }
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
    // Reading needs no lock file; some mounts refuse one.
    H5Pset_file_locking(access, 0, 1);
    char name[1200];
    if (image) {
        H5Pset_fapl_core(access, 1 << 20, 0);
        H5Pset_file_image(access, (void *)image, image_size);
        // The core driver knows in-memory files by name: a name of the
        // child's own opens a fresh copy of the image.
        snprintf(name, sizeof name, "%s (rnnkit child)", path);
        path = name;
    }
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, access);
    // Before any other call, which would clear libhdf5's error stack.
    if (file < 0) send_failure('F', NULL, "open-file", "");
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
    const rk_write_op *ops;
    size_t op_count;
    unsigned long long userblock;
} child_job;

/// The walk of rk_hdf5_describe: every object ("O path"), every dataset
/// (walk_dataset), every object's string attributes (walk_attributes).
static void walk_file(const child_job *job) {
    hid_t file = open_file(job->path, job->image, job->image_size);
    if (file < 0) return;
    report("listing the objects", "", "");
    visit_lists lists = {{0}, {0}};
    // Creation order when every group tracks it, else name order.
    if (H5Ovisit2(file, H5_INDEX_CRT_ORDER, H5_ITER_INC, collect_object, &lists, H5O_INFO_BASIC) < 0) {
        H5Eclear2(H5E_DEFAULT);
        list_free(&lists.datasets);
        list_free(&lists.objects);
        if (H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_INC, collect_object, &lists, H5O_INFO_BASIC) < 0) {
            send_failure('F', NULL, "list-objects", "");
            return;
        }
    }
    for (size_t i = 0; i < lists.objects.count; i++) {
        line_buffer *line = line_start('O');
        line_field(line, lists.objects.items[i]);
        line_send(line);
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

/// The data read of rk_hdf5_read: the whole dataset into the shared buffer,
/// or an "F message" record.
static void read_data(const child_job *job) {
    hid_t file = open_file(job->path, job->image, job->image_size);
    if (file < 0) return;
    report("opening the dataset", job->dataset, "");
    hid_t dataset = H5Dopen2(file, job->dataset, H5P_DEFAULT);
    if (dataset < 0) { send_failure('F', NULL, "open-dataset", ""); return; }
    int owned = 0;
    hid_t memory = make_memory_type(job->type, &owned);
    report("reading the data", job->dataset, "");
    if (H5Dread(dataset, memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, job->buffer) < 0) {
        send_failure('F', NULL, "read-data", "");
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

void rk_hdf5_describe(const char *path, const void *image, size_t image_size,
                      double timeout_seconds, rk_probe_result *result) {
    child_job job = {path, image, image_size, NULL, 0, NULL, NULL, 0};
    run_child(walk_file, &job, timeout_seconds, result);
}

void rk_hdf5_read(const char *path, const void *image, size_t image_size, const char *dataset,
                  rk_memory_type type, void *buffer, size_t size,
                  double timeout_seconds, rk_probe_result *result) {
    (void)size;
    child_job job = {path, image, image_size, dataset, type, buffer, NULL, 0};
    run_child(read_data, &job, timeout_seconds, result);
}

// ------------------------------------------------------------ writing (child)

/// Sends "E errno" when libhdf5's error stack names a system error
/// ("errno = 28" in its file driver's message); leaves the stack as it is.
static herr_t find_errno(unsigned depth, const H5E_error2_t *record, void *context) {
    (void)depth;
    int *found = context;
    const char *mark = record->desc ? strstr(record->desc, "errno = ") : NULL;
    if (mark && !*found) *found = atoi(mark + 8);
    return 0;
}

/// Sends "E errno" (when libhdf5 names one) and the "F" failure record of
/// the write `operation` (a code, as for send_failure) of `object`.
static void send_write_failure(const char *object, const char *operation) {
    int code = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, find_errno, &code);
    if (code) {
        line_buffer *line = line_start('E');
        line_number(line, code);
        line_send(line);
    }
    send_failure('F', NULL, operation, object);
}

static int write_string_attribute(hid_t file, const rk_write_op *op) {
    hid_t object = H5Oopen(file, op->object, H5P_DEFAULT);
    if (object < 0) return -1;
    if (H5Aexists(object, op->name) > 0) H5Adelete(object, op->name);
    hid_t type = H5Tcopy(H5T_C_S1);
    hid_t space;
    if (op->kind == RK_WRITE_STRING) {
        H5Tset_size(type, H5T_VARIABLE);
        H5Tset_cset(type, H5T_CSET_UTF8);
        space = H5Screate(H5S_SCALAR);
    } else {
        size_t width = 1;
        for (size_t i = 0; i < op->string_count; i++) {
            size_t length = strlen(op->strings[i]);
            if (length > width) width = length;
        }
        H5Tset_size(type, width);
        H5Tset_strpad(type, H5T_STR_NULLPAD);
        hsize_t count = op->string_count;
        space = H5Screate_simple(1, &count, NULL);
    }
    hid_t attribute = H5Acreate2(object, op->name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t status = -1;
    if (attribute >= 0 && op->kind == RK_WRITE_STRING) {
        status = H5Awrite(attribute, type, &op->strings[0]);
    } else if (attribute >= 0) {
        size_t width = H5Tget_size(type);
        char *buffer = calloc(op->string_count ? op->string_count : 1, width);
        if (buffer) {
            for (size_t i = 0; i < op->string_count; i++) memcpy(buffer + i * width, op->strings[i], strlen(op->strings[i]));
            status = H5Awrite(attribute, type, buffer);
            free(buffer);
        }
    }
    if (attribute >= 0) H5Aclose(attribute);
    H5Sclose(space);
    H5Tclose(type);
    H5Oclose(object);
    return status < 0 ? -1 : 0;
}

/// The file being written, opened a second time (read-only) so that the
/// child can start its writeback; -1 when it could not be opened.
static int writeback_fd = -1;
/// Bytes of dataset data written since writeback was last started.
static size_t unflushed_bytes = 0;
/// Writeback is started every this many bytes of data (as FileOutput does in
/// the parent): the disk writes while libhdf5 and the fillers work, instead
/// of everything waiting for the final fsync.
#define WRITEBACK_BYTES ((size_t)16 << 20)

/// Counts `bytes` written and, every WRITEBACK_BYTES, asks the kernel to
/// start writing the file's dirty pages to disk (without waiting).
/// The range ends a band short of the file's end, at a page boundary: the
/// pages still being written are left alone.
static void written(size_t bytes) {
    unflushed_bytes += bytes;
    if (unflushed_bytes < WRITEBACK_BYTES || writeback_fd < 0) return;
    struct stat status;
    if (fstat(writeback_fd, &status) != 0 || status.st_size <= (off_t)WRITEBACK_BYTES) return;
    off_t end = (status.st_size - (off_t)WRITEBACK_BYTES) & ~(off_t)4095;
    (void)sync_file_range(writeback_fd, 0, end, SYNC_FILE_RANGE_WRITE);
    unflushed_bytes = 0;
}

/// The most bytes one H5Dwrite (so one pwrite) carries. On Linux 6.x ext4
/// gives larger writes larger page-cache folios, 2 MiB ones from 2 MiB on;
/// in VMs whose host reclaims free guest memory (free page reporting) those
/// come back from the host on first touch: 512 MiB written in 2 MiB or
/// 12 MiB pieces cost 0.5–0.95 s of system time against 0.17–0.21 s in
/// 1 MiB pieces on Zen 1 (docs/performance.md, "Conversion on Zen 1").
#define WRITE_PIECE_BYTES ((size_t)1 << 20)

/// Reads one byte of every page of `bytes` at `data`, so that a memory map
/// is mapped before the kernel copies from it: a write(2) from pages not yet
/// mapped copies short at every unmapped page, and ext4 then zeroes the rest
/// of the new page-cache folio before retrying (0.3–0.8 s of system time for
/// 512 MiB from the input's map, 0.2 s prefaulted).
static void prefault(const void *data, size_t bytes) {
    const volatile unsigned char *page = data;
    unsigned char sink = 0;
    for (size_t offset = 0; offset < bytes; offset += 4096) sink ^= page[offset];
    if (bytes > 0) sink ^= page[bytes - 1];
    (void)sink;
}

/// Writes rows `first ..< first + rows` of the dataset from `buffer`, in
/// pieces of at most WRITE_PIECE_BYTES (at least one row), each prefaulted.
static herr_t write_rows(hid_t dataset, hid_t type, hid_t space, const rk_write_op *op, hsize_t first, hsize_t rows,
                         const void *buffer) {
    size_t row_bytes = op->size / op->dims[0];
    hsize_t piece = row_bytes > 0 && row_bytes < WRITE_PIECE_BYTES ? WRITE_PIECE_BYTES / row_bytes : 1;
    hsize_t start[64] = {0}, count[64];
    for (int i = 0; i < op->rank; i++) count[i] = op->dims[i];
    herr_t status = 0;
    for (hsize_t done = 0; done < rows && status >= 0; done += piece) {
        hsize_t now = rows - done < piece ? rows - done : piece;
        const char *data = (const char *)buffer + done * row_bytes;
        prefault(data, now * row_bytes);
        start[0] = first + done;
        count[0] = now;
        hid_t memory = H5Screate_simple(op->rank, count, NULL);
        status = memory < 0 ? -1 : H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL);
        if (status >= 0) status = H5Dwrite(dataset, type, memory, space, H5P_DEFAULT, data);
        if (memory >= 0) H5Sclose(memory);
    }
    if (status >= 0) written((size_t)rows * row_bytes);
    return status;
}

/// The band buffer of write_dataset_bands, kept for the next dataset (the
/// child ends after the file): fresh memory costs a page fault, zeroing and
/// on some VMs the host's first touch for every page, once per dataset.
static void *band_buffer = NULL;
static size_t band_capacity = 0;

/// Writes a dataset whose rows `op->fill` produces, `op->band_rows` at a time.
static herr_t write_dataset_bands(hid_t dataset, hid_t type, hid_t space, const hsize_t *dims, const rk_write_op *op) {
    size_t row_bytes = op->size / dims[0];
    hsize_t band = op->band_rows < dims[0] ? op->band_rows : dims[0];
    size_t needed = band * row_bytes > 0 ? band * row_bytes : 1;
    if (needed > band_capacity) {
        free(band_buffer);
        band_buffer = malloc(needed);
        band_capacity = band_buffer ? needed : 0;
    }
    void *buffer = band_buffer;
    if (!buffer) return -1;
    herr_t status = 0;
    for (hsize_t first = 0; first < dims[0] && status >= 0; first += band) {
        hsize_t rows = dims[0] - first < band ? dims[0] - first : band;
        if (op->fill(op->fill_context, first, rows, buffer) != 0) { status = -1; break; }
        status = write_rows(dataset, type, space, op, first, rows, buffer);
    }
    return status;
}

/// Writes a dataset from `op->data` in bands of rows of about
/// WRITEBACK_BYTES (straight from the caller's memory, nothing copied; each
/// in pieces of WRITE_PIECE_BYTES), so that its writeback starts while the
/// rest is written.
static herr_t write_dataset_data(hid_t dataset, hid_t type, hid_t space, const hsize_t *dims, const rk_write_op *op) {
    size_t row_bytes = op->size / dims[0];
    hsize_t band = row_bytes > 0 && row_bytes < WRITEBACK_BYTES ? WRITEBACK_BYTES / row_bytes : 1;
    herr_t status = 0;
    for (hsize_t first = 0; first < dims[0] && status >= 0; first += band) {
        hsize_t rows = dims[0] - first < band ? dims[0] - first : band;
        status = write_rows(dataset, type, space, op, first, rows, (const char *)op->data + first * row_bytes);
    }
    return status;
}

static int write_dataset(hid_t file, hid_t links, const rk_write_op *op) {
    hsize_t dims[64];
    if (op->rank < 0 || op->rank > 64) return -1;
    for (int i = 0; i < op->rank; i++) dims[i] = op->dims[i];
    hid_t space = op->rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(op->rank, dims, NULL);
    int owned = 0;
    hid_t type = make_memory_type(op->type, &owned);
    hid_t dataset = H5Dcreate2(file, op->object, type, space, links, H5P_DEFAULT, H5P_DEFAULT);
    herr_t status = dataset < 0 ? -1 : 0;
    if (dataset >= 0 && op->size > 0 && op->fill && op->rank >= 1 && dims[0] > 0 && op->band_rows > 0) {
        status = write_dataset_bands(dataset, type, space, dims, op);
    } else if (dataset >= 0 && op->size > WRITE_PIECE_BYTES && op->rank >= 1 && dims[0] > 1) {
        status = write_dataset_data(dataset, type, space, dims, op);
    } else if (dataset >= 0 && op->size > 0) {
        status = H5Dwrite(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, op->data);
    }
    if (dataset >= 0 && H5Dclose(dataset) < 0) status = -1;
    if (owned) H5Tclose(type);
    H5Sclose(space);
    return status < 0 ? -1 : 0;
}

/// The body of rk_hdf5_write.
static void write_file(const child_job *job) {
    // A file-size limit must fail the write (EFBIG), not kill the child silently.
    signal(SIGXFSZ, SIG_IGN);
    report("creating the file", "", "");
    hid_t access = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_file_locking(access, 0, 1);
    hid_t creation = H5Pcreate(H5P_FILE_CREATE);
    if (job->userblock > 0) H5Pset_userblock(creation, job->userblock);
    hid_t file = H5Fcreate(job->path, H5F_ACC_EXCL, creation, access);
    H5Pclose(creation);
    H5Pclose(access);
    if (file < 0) { send_write_failure("", "create-file"); return; }
    writeback_fd = open(job->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    hid_t links = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(links, 1);
    for (size_t i = 0; i < job->op_count; i++) {
        const rk_write_op *op = &job->ops[i];
        int status = 0;
        switch (op->kind) {
        case RK_WRITE_GROUP:
            report("creating the group", op->object, "");
            if (H5Lexists(file, op->object, H5P_DEFAULT) > 0) break;
            H5Eclear2(H5E_DEFAULT);
            hid_t group = H5Gcreate2(file, op->object, links, H5P_DEFAULT, H5P_DEFAULT);
            status = group < 0 ? -1 : H5Gclose(group);
            break;
        case RK_WRITE_DATASET:
            report("writing the dataset", op->object, "");
            status = write_dataset(file, links, op);
            break;
        case RK_WRITE_STRING:
        case RK_WRITE_STRINGS:
            report("writing the attribute", op->object, op->name);
            status = write_string_attribute(file, op);
            break;
        }
        if (status < 0) {
            send_write_failure(op->object, op->kind == RK_WRITE_GROUP ? "create-group"
                               : op->kind == RK_WRITE_DATASET ? "write-dataset" : "write-attribute");
            return;
        }
    }
    H5Pclose(links);
    report("closing the file", "", "");
    if (H5Fclose(file) < 0) send_write_failure("", "finish-file");
}

void rk_hdf5_write(const char *path, unsigned long long userblock, const rk_write_op *ops, size_t op_count,
                   double timeout_seconds, rk_probe_result *result) {
    child_job job = {path, NULL, 0, NULL, 0, NULL, ops, op_count, userblock};
    run_child(write_file, &job, timeout_seconds, result);
}

void rk_probe_result_free(rk_probe_result *result) {
    free(result->records);
    result->records = NULL;
    result->records_size = 0;
}
