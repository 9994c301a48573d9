#!/usr/bin/env bash
# Benchmark (not a test): what the checking child (docs/reliability.md) costs.
# For every HDF5 fixture, and for generated 100 MiB files (contiguous and
# chunked + gzip), runs `rnnkit inspect` and `rnnkit convert … .safetensors`
# with RNNKIT_HDF5_TRACE=1 and prints the whole command's wall time next to
# the time the check took inside it.
#
# Usage: scripts/bench_hdf5_check.sh [path/to/rnnkit]
#   default binary: .build/release/rnnkit (built with `swift build -c release` if missing)
# Needs python3 with numpy and h5py (to write the large inputs).
set -euo pipefail
cd "$(dirname "$0")/.."

RNNKIT="${1:-.build/release/rnnkit}"
if [ ! -x "$RNNKIT" ]; then
    echo "building $RNNKIT ..." >&2
    swift build -c release --product rnnkit >&2
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/rnnkit-bench-hdf5.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

python3 - "$WORK" <<'PY'
import sys
import h5py, numpy as np
work = sys.argv[1]
# A 1-layer LSTM, hidden and input 2560: 100 MiB of float32 weights.
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

# Prints: file, command, wall seconds, seconds spent in the check.
measure() {
    local label="$1" kind="$2"
    shift 2
    local start end check
    start=$(date +%s.%N)
    check=$(RNNKIT_HDF5_TRACE=1 "$@" 2>&1 >/dev/null | sed -n 's/.*HDF5 check of .*: \([0-9.]*\) s/\1/p' | paste -sd+ | bc)
    end=$(date +%s.%N)
    printf '%-24s %-8s %8.3f s, of which the check %8.3f s\n' "$label" "$kind" "$(echo "$end - $start" | bc)" "${check:-0}"
}

total_wall=0
total_check=0
for file in $(find Fixtures -name '*.h5' -not -path '*/damaged/*' | sort); do
    start=$(date +%s.%N)
    check=$(RNNKIT_HDF5_TRACE=1 "$RNNKIT" inspect "$file" 2>&1 >/dev/null | sed -n 's/.*HDF5 check of .*: \([0-9.]*\) s/\1/p' | paste -sd+ | bc)
    end=$(date +%s.%N)
    total_wall=$(echo "$total_wall + $end - $start" | bc)
    total_check=$(echo "$total_check + ${check:-0}" | bc)
done
count=$(find Fixtures -name '*.h5' -not -path '*/damaged/*' | wc -l)
printf 'inspect of the %d HDF5 fixtures: %.3f s in all, of which the check %.3f s (%.1f ms per file)\n' \
    "$count" "$total_wall" "$total_check" "$(echo "$total_check * 1000 / $count" | bc -l)"

for name in large_contiguous large_gzip; do
    ls -l "$WORK/$name.h5" | awk '{printf "%s: %d bytes\n", $9, $5}'
    measure "$name.h5" inspect "$RNNKIT" inspect "$WORK/$name.h5"
    measure "$name.h5" convert "$RNNKIT" convert "$WORK/$name.h5" "$WORK/$name.safetensors" --force
done
