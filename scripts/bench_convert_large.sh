#!/usr/bin/env bash
# Benchmark (not a test): `rnnkit convert` of a 1 GiB safetensors file into each
# container rnnkit writes (and to ONNX), next to `cp` + `sync` of the same file
# (the disk's speed).
# Prints wall time, throughput and maximum resident memory of each run.
#
# Usage: scripts/bench_convert_large.sh [path/to/rnnkit]
#   default binary: .build/release/rnnkit (built with `swift build -c release` if missing)
# Needs python3 with numpy (to write the input). Files go to a temporary folder
# ($TMPDIR) that is removed at the end; it needs about 6 GiB free.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/bench_setup.sh convert "$@"

python3 - "$WORK" <<'PY'
import json, os, struct, sys
import numpy as np

work = sys.argv[1]
# A 2-layer LSTM (hidden 4096, input 4096) with biases: just over 1 GiB of float32.
hidden, features = 4096, 4096
rows = 4 * hidden
rng = np.random.default_rng(0)
tensors, arrays, offset = {}, [], 0
for layer in range(2):
    for kind, shape in [("weight_ih", [rows, features if layer == 0 else hidden]), ("weight_hh", [rows, hidden]),
                        ("bias_ih", [rows]), ("bias_hh", [rows])]:
        size = int(np.prod(shape)) * 4
        tensors[f"encoder.lstm.{kind}_l{layer}"] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + size]}
        arrays.append((shape, size))
        offset += size
header = json.dumps(tensors).encode()
header += b" " * ((8 - len(header) % 8) % 8)
with open(os.path.join(work, "large.safetensors"), "wb") as handle:
    handle.write(struct.pack("<Q", len(header)))
    handle.write(header)
    for shape, size in arrays:
        # Real values (not zeros) so that nothing can be skipped or compressed away.
        for start in range(0, size // 4, 1 << 22):
            count = min(1 << 22, size // 4 - start)
            handle.write(rng.standard_normal(count, dtype=np.float32).tobytes())
PY

INPUT="$WORK/large.safetensors"
BYTES=$(stat -c %s "$INPUT")
sync

measure() {
    local label="$1"; shift
    local start end seconds rss
    start=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$WORK/rss" "$@" >/dev/null
    end=$(date +%s.%N)
    seconds=$(echo "$end - $start" | bc -l)
    rss=$(cat "$WORK/rss")
    printf "%-34s %7.2f s  %8.0f MiB/s  max RSS %6.0f MiB\n" "$label" "$seconds" "$(echo "$BYTES / 1048576 / $seconds" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
}

echo "input: $(echo "$BYTES / 1048576" | bc) MiB safetensors (2-layer LSTM, float32)"
# The writers flush their file to disk (fsync) before renaming it into place, so the
# fair baseline is a copy that is flushed too.
measure "cp + sync (disk speed)" sh -c 'cp "$1" "$2" && sync "$2"' sh "$INPUT" "$WORK/copy.safetensors"
rm -f "$WORK/copy.safetensors"
for target in out.safetensors out.npz out.h5 out_npy out.onnx; do
    measure "rnnkit convert → $target" "$RNNKIT" convert "$INPUT" "$WORK/$target"
    rm -rf "${WORK:?}/$target"
done
measure "rnnkit convert → .safetensors f16" "$RNNKIT" convert "$INPUT" "$WORK/half.safetensors" --dtype float16
