// rk_hdf5_describe: every object, every dataset's type, shape and storage and
// every string attribute of a file, as records (the list in hdf5_probe.h).
#define _GNU_SOURCE
#include "probe_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    probe_name_list datasets;
    probe_name_list objects;
} visit_lists;

static herr_t collect_object(hid_t root, const char *name, const H5O_info_t *info, void *context) {
    (void)root;
    visit_lists *lists = context;
    probe_list_add(&lists->objects, name);
    if (info->type == H5O_TYPE_DATASET) probe_list_add(&lists->datasets, name);
    return 0;
}

/// Sends "K path kind target" for a link that is not a hard link: a soft
/// link (its target path), an external link (file and object) or a
/// user-defined one. Nothing behind such a link is opened.
static herr_t report_link(hid_t group, const char *name, const H5L_info_t *info, void *context) {
    (void)context;
    if (info->type == H5L_TYPE_HARD) return 0;
    const char *kind = info->type == H5L_TYPE_SOFT ? "soft" : info->type == H5L_TYPE_EXTERNAL ? "external" : "user-defined";
    char target[512] = "";
    size_t size = info->u.val_size;
    if (info->type != H5L_TYPE_ERROR && size > 0 && size < 4096) {
        char *value = malloc(size);
        if (value != NULL && H5Lget_val(group, name, value, size, H5P_DEFAULT) >= 0) {
            const char *file = NULL, *object = NULL;
            if (info->type == H5L_TYPE_SOFT) {
                snprintf(target, sizeof target, "%.*s", (int)strnlen(value, size), value);
            } else if (info->type == H5L_TYPE_EXTERNAL && H5Lunpack_elink_val(value, size, NULL, &file, &object) >= 0) {
                snprintf(target, sizeof target, "%s:%s", file ? file : "", object ? object : "");
            }
        }
        free(value);
        H5Eclear2(H5E_DEFAULT);
    }
    probe_line *line = probe_line_start('K');
    probe_line_field(line, name);
    probe_line_field(line, kind);
    probe_line_field(line, target);
    probe_line_send(line);
    return 0;
}

static herr_t collect_attribute(hid_t object, const char *name, const H5A_info_t *info, void *context) {
    (void)object;
    (void)info;
    probe_list_add(context, name);
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
static void line_dims(probe_line *line, const hsize_t *dims, int rank) {
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
    probe_line_field(line, text);
}

/// Describes one dataset: a "D" record with everything rnnkit decides from
/// (HDF5Dataset), or a "d" record with the failure that stopped it:
/// D path extent rank dims maxdims layout external_count chunk_rank chunks
///   filters class size signed float16_kind boolean storage_size
static void walk_dataset(hid_t file, const char *path) {
    probe_report("opening the dataset", path, "");
    hid_t dataset = H5Dopen2(file, path, H5P_DEFAULT);
    if (dataset < 0) { probe_send_failure('d', path, "open-dataset", ""); return; }
    probe_report("reading the dataset's type and shape", path, "");
    hid_t type = H5Dget_type(dataset);
    if (type < 0) { probe_send_failure('d', path, "read-type", ""); H5Dclose(dataset); return; }
    hid_t space = H5Dget_space(dataset);
    if (space < 0) {
        probe_send_failure('d', path, "read-shape", "");
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
            probe_send_failure('d', path, "read-rank", "");
            goto done;
        }
        if (H5Sget_simple_extent_dims(space, dims, max_dims) < 0) {
            probe_send_failure('d', path, "read-dimensions", "");
            goto done;
        }
        break;
    default: break;
    }
    probe_report("reading the dataset's storage properties", path, "");
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
    probe_report("reading the dataset's element type", path, "");
    H5T_class_t class = H5Tget_class(type);
    size_t size = H5Tget_size(type);
    int is_signed = class == H5T_INTEGER && H5Tget_sign(type) == H5T_SGN_2;
    int f16 = class == H5T_FLOAT && size == 2 ? float16_kind(type) : 0;
    int boolean = class == H5T_ENUM ? is_boolean(type) : 0;
    probe_report("measuring the dataset's stored data", path, "");
    hsize_t stored = H5Dget_storage_size(dataset);
    H5Eclear2(H5E_DEFAULT);

    probe_line *line = probe_line_start('D');
    probe_line_field(line, path);
    probe_line_field(line, extent);
    probe_line_number(line, rank);
    line_dims(line, dims, rank);
    line_dims(line, max_dims, rank);
    probe_line_field(line, layout);
    probe_line_number(line, external);
    probe_line_number(line, chunk_rank);
    line_dims(line, chunk, chunk_rank > 0 ? chunk_rank : 0);
    probe_line_number(line, filters);
    probe_line_field(line, type_class_name(class));
    probe_line_number(line, (long long)size);
    probe_line_number(line, is_signed);
    probe_line_number(line, f16);
    probe_line_number(line, boolean);
    probe_line_number(line, stored > (hsize_t)INT64_MAX ? INT64_MAX : (long long)stored);
    probe_line_send(line);
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
    probe_line *line = probe_line_start('L');
    probe_line_field(line, path);
    probe_line_field(line, name);
    if (count == 0) { probe_line_send(line); return 0; }
    hid_t memory = H5Tcopy(H5T_C_S1);
    H5Tset_cset(memory, H5Tget_cset(type));
    int failed = 0;
    if (H5Tis_variable_str(type) > 0) {
        H5Tset_size(memory, H5T_VARIABLE);
        char **values = calloc((size_t)count, sizeof *values);
        failed = !values || H5Aread(attribute, memory, values) < 0;
        if (!failed) {
            for (hssize_t i = 0; i < count; i++) probe_line_field(line, values[i] ? values[i] : "");
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
                probe_line_field(line, item);
            }
        }
        free(item);
        free(values);
    }
    H5Tclose(memory);
    if (failed) return -1;
    probe_line_send(line);
    return 0;
}

/// Every single-string attribute of `path`: an "A object name value" record
/// each, or an "a object message" record for the failure that stopped it.
static void walk_attributes(hid_t file, const char *path) {
    probe_report("opening the object", path, "");
    hid_t object = H5Oopen(file, path, H5P_DEFAULT);
    if (object < 0) { probe_send_failure('a', path, "open-object", ""); return; }
    probe_report("listing the attributes", path, "");
    probe_name_list names = {0};
    hsize_t index = 0;
    if (H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, &index, collect_attribute, &names) < 0) {
        probe_send_failure('a', path, "list-attributes", "");
        names.count = 0;
    }
    for (size_t i = 0; i < names.count; i++) {
        const char *name = names.items[i];
        probe_report("opening the attribute", path, name);
        hid_t attribute = H5Aopen(object, name, H5P_DEFAULT);
        if (attribute < 0) {
            probe_send_failure('a', path, "open-attribute", name);
            break;
        }
        hid_t type = H5Aget_type(attribute);
        hid_t space = H5Aget_space(attribute);
        if (type >= 0 && space >= 0 && H5Tget_class(type) == H5T_STRING && H5Sget_simple_extent_npoints(space) == 1) {
            hid_t memory = H5Tcopy(H5T_C_S1);
            H5Tset_cset(memory, H5Tget_cset(type));
            probe_report("reading the attribute", path, name);
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
                probe_send_failure('a', path, "read-attribute", name);
            } else if (value) {
                probe_line *line = probe_line_start('A');
                probe_line_field(line, path);
                probe_line_field(line, name);
                probe_line_field(line, value);
                probe_line_send(line);
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
            probe_report("reading the attribute", path, name);
            if (send_string_list(attribute, type, space, path, name) < 0) {
                probe_send_failure('a', path, "read-attribute", name);
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
    probe_list_free(&names);
    H5Oclose(object);
}

/// The walk of rk_hdf5_describe: every object ("O path"), every dataset
/// (walk_dataset), every object's string attributes (walk_attributes).
static void walk_file(const probe_child_job *job) {
    hid_t file = probe_open_file(job->path, job->image, job->image_size);
    if (file < 0) return;
    probe_report("listing the objects", "", "");
    visit_lists lists = {{0}, {0}};
    // Creation order when every group tracks it, else name order.
    if (H5Ovisit2(file, H5_INDEX_CRT_ORDER, H5_ITER_INC, collect_object, &lists, H5O_INFO_BASIC) < 0) {
        H5Eclear2(H5E_DEFAULT);
        probe_list_free(&lists.datasets);
        probe_list_free(&lists.objects);
        if (H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_INC, collect_object, &lists, H5O_INFO_BASIC) < 0) {
            probe_send_failure('F', NULL, "list-objects", "");
            return;
        }
    }
    for (size_t i = 0; i < lists.objects.count; i++) {
        probe_line *line = probe_line_start('O');
        probe_line_field(line, lists.objects.items[i]);
        probe_line_send(line);
    }
    for (size_t i = 0; i < lists.datasets.count; i++) walk_dataset(file, lists.datasets.items[i]);
    probe_report("listing the links", "", "");
    if (H5Lvisit(file, H5_INDEX_NAME, H5_ITER_INC, report_link, NULL) < 0) H5Eclear2(H5E_DEFAULT);
    walk_attributes(file, "/");
    for (size_t i = 0; i < lists.objects.count; i++) {
        if (strcmp(lists.objects.items[i], ".") != 0) walk_attributes(file, lists.objects.items[i]);
    }
}

void rk_hdf5_describe(const char *path, const void *image, size_t image_size,
                      double timeout_seconds, rk_probe_result *result) {
    probe_child_job job = {.path = path, .image = image, .image_size = image_size};
    probe_run_child(walk_file, &job, timeout_seconds, result);
}
