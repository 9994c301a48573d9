// rk_hdf5_read: one dataset's data into the caller's shared buffer; opening
// a file and the memory types the other parts use too.
#define _GNU_SOURCE
#include "probe_internal.h"

#include <stdio.h>

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

hid_t probe_open_file(const char *path, const void *image, size_t image_size) {
    probe_report("opening the file", "", "");
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
    if (file < 0) probe_send_failure('F', NULL, "open-file", "");
    H5Pclose(access);
    return file;
}

hid_t probe_memory_type(rk_memory_type type, int *owned) {
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
    case RK_MEMORY_BFLOAT16_OPAQUE: return -1;  // the dataset's own type (opaque_memory_type)
    }
    return -1;
}

/// The memory type that copies a 2-byte opaque dataset's bytes as stored:
/// its own type (libhdf5 converts opaque data to nothing else), or -1 (the
/// read then fails) when the dataset is not 2-byte opaque data.
static hid_t opaque_memory_type(hid_t dataset, int *owned) {
    *owned = 0;
    hid_t type = H5Dget_type(dataset);
    if (type < 0) return -1;
    if (H5Tget_class(type) != H5T_OPAQUE || H5Tget_size(type) != 2) {
        H5Tclose(type);
        return -1;
    }
    *owned = 1;
    return type;
}

/// The data read of rk_hdf5_read: the whole dataset into the shared buffer,
/// or an "F message" record.
static void read_data(const probe_child_job *job) {
    hid_t file = probe_open_file(job->path, job->image, job->image_size);
    if (file < 0) return;
    probe_report("opening the dataset", job->dataset, "");
    hid_t dataset = H5Dopen2(file, job->dataset, H5P_DEFAULT);
    if (dataset < 0) { probe_send_failure('F', NULL, "open-dataset", ""); return; }
    int owned = 0;
    hid_t memory = job->type == RK_MEMORY_BFLOAT16_OPAQUE ? opaque_memory_type(dataset, &owned)
                                                          : probe_memory_type(job->type, &owned);
    probe_report("reading the data", job->dataset, "");
    if (H5Dread(dataset, memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, job->buffer) < 0) {
        probe_send_failure('F', NULL, "read-data", "");
    }
}

void rk_hdf5_read(const char *path, const void *image, size_t image_size, const char *dataset,
                  rk_memory_type type, void *buffer, size_t size,
                  double timeout_seconds, rk_probe_result *result) {
    (void)size;
    probe_child_job job = {.path = path, .image = image, .image_size = image_size, .dataset = dataset, .type = type, .buffer = buffer};
    probe_run_child(read_data, &job, timeout_seconds, result);
}
