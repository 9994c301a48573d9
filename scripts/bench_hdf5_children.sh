#!/usr/bin/env bash
# Benchmark (not a test): what reading HDF5 through children (docs/reliability.md) costs.
# For every HDF5 fixture, and for generated 200 MiB files (contiguous and
# chunked + gzip), runs `rnnkit inspect` and `rnnkit convert … .safetensors`
# with RNNKIT_HDF5_TRACE=1 and prints the whole command's wall time next to
# the time its children took inside it (the description, and the data
# reads, which happen in children only). Then compares, for the large files,
# reading every dataset with H5Dread in-process against rk_hdf5_read (a
# child reading into shared memory), in a small C program built against
# Sources/HDF5Probe: the difference is what the isolation costs.
#
# Usage: scripts/bench_hdf5_children.sh [path/to/rnnkit]
#   default binary: .build/release/rnnkit (built with `swift build -c release` if missing)
# Needs python3 with numpy and h5py (to write the large inputs), cc and pkg-config.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/bench_setup.sh hdf5 "$@"

python3 - "$WORK" <<'PY'
import sys
import h5py, numpy as np
work = sys.argv[1]
# A 1-layer LSTM, hidden and input 2560: 200 MiB of float32 weights.
size = 2560
rng = np.random.default_rng(0)
weights = {"weight_ih_l0": rng.standard_normal((4 * size, size), dtype=np.float32),
           "weight_hh_l0": rng.standard_normal((4 * size, size), dtype=np.float32),
           "bias_ih_l0": rng.standard_normal(4 * size, dtype=np.float32),
           "bias_hh_l0": rng.standard_normal(4 * size, dtype=np.float32)}
with h5py.File(f"{work}/large_contiguous.h5", "w") as f:
    for name, value in weights.items():
        f.create_dataset(f"lstm/{name}", data=value)
with h5py.File(f"{work}/large_gzip.h5", "w") as f:
    for name, value in weights.items():
        f.create_dataset(f"lstm/{name}", data=value, chunks=True, compression="gzip", compression_opts=1)
PY

# Prints: file, command, wall seconds, seconds spent in the children.
measure() {
    local label="$1" kind="$2"
    shift 2
    local start end check
    start=$(date +%s.%N)
    check=$({ RNNKIT_HDF5_TRACE=1 "$@" 2>&1 >/dev/null || true; } | sed -n 's/.*HDF5 child .*: \([0-9.]*\) s/\1/p' | paste -sd+ | bc)
    end=$(date +%s.%N)
    printf '%-24s %-8s %8.3f s, of which in children %8.3f s\n' "$label" "$kind" "$(echo "$end - $start" | bc)" "${check:-0}"
}

total_wall=0
total_check=0
for file in $(find Fixtures -name '*.h5' -not -path '*/damaged/*' | sort); do
    start=$(date +%s.%N)
    check=$({ RNNKIT_HDF5_TRACE=1 "$RNNKIT" inspect "$file" 2>&1 >/dev/null || true; } | sed -n 's/.*HDF5 child .*: \([0-9.]*\) s/\1/p' | paste -sd+ | bc)
    end=$(date +%s.%N)
    total_wall=$(echo "$total_wall + $end - $start" | bc)
    total_check=$(echo "$total_check + ${check:-0}" | bc)
done
count=$(find Fixtures -name '*.h5' -not -path '*/damaged/*' | wc -l)
printf 'inspect of the %d HDF5 fixtures: %.3f s in all, of which in children %.3f s (%.1f ms per file)\n' \
    "$count" "$total_wall" "$total_check" "$(echo "$total_check * 1000 / $count" | bc -l)"

for name in large_contiguous large_gzip; do
    ls -l "$WORK/$name.h5" | awk '{printf "%s: %d bytes\n", $9, $5}'
    measure "$name.h5" inspect "$RNNKIT" inspect "$WORK/$name.h5"
    measure "$name.h5" convert "$RNNKIT" convert "$WORK/$name.h5" "$WORK/$name.safetensors" --force
done

cat > "$WORK/compare.c" <<'C'
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include "hdf5_probe.h"
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv) {
    // As rnnkit opens files: no error printing, no file locking.
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t access = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_file_locking(access, 0, 1);
    const char *names[] = {"lstm/weight_ih_l0", "lstm/weight_hh_l0", "lstm/bias_ih_l0", "lstm/bias_hh_l0"};
    for (int round = 0; round < 2; round++) {
        double in_process = 0, child = 0;
        for (int i = 0; i < 4; i++) {
            hid_t file = H5Fopen(argv[1], H5F_ACC_RDONLY, access);
            hid_t dataset = H5Dopen2(file, names[i], H5P_DEFAULT);
            hid_t space = H5Dget_space(dataset);
            size_t bytes = (size_t)H5Sget_simple_extent_npoints(space) * 4;
            double start = now();
            void *buffer = malloc(bytes);
            H5Dread(dataset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
            for (size_t b = 0; b < bytes; b += 4096) ((volatile char *)buffer)[b];
            free(buffer);
            in_process += now() - start;
            start = now();
            void *shared = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
            rk_probe_result result;
            rk_hdf5_read(argv[1], NULL, 0, names[i], RK_MEMORY_FLOAT32, shared, bytes, 60, &result);
            for (size_t b = 0; b < bytes; b += 4096) ((volatile char *)shared)[b];
            munmap(shared, bytes);
            child += now() - start;
            rk_probe_result_free(&result);
            if (result.outcome != RK_PROBE_OK || result.records_size) { fprintf(stderr, "%s: child: %d %d %s %s\n", names[i], result.outcome, result.detail, result.stage, result.object); return 1; }
            H5Sclose(space); H5Dclose(dataset); H5Fclose(file);
        }
        if (round == 1) printf("%-22s all data in-process %7.3f s, in a child %7.3f s\n", argv[2], in_process, child);
    }
    return 0;
}
C
cc -O2 -o "$WORK/compare" -ISources/HDF5Probe/include -ISources/OutputSafety/include "$WORK/compare.c" \
    Sources/HDF5Probe/*.c Sources/OutputSafety/output_safety.c $(pkg-config --cflags --libs hdf5) -lz -lpthread
for name in large_contiguous large_gzip; do
    "$WORK/compare" "$WORK/$name.h5" "$name.h5"
done
