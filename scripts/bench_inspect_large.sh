#!/usr/bin/env bash
# Benchmark (not a test): `rnnkit inspect` on a 1 GiB safetensors file and a
# 1 GiB .npy file. Prints wall time and maximum resident memory of each run;
# both should stay well under a second and far below the file size, since the
# readers map the file and parse only its header.
#
# Usage: scripts/bench_inspect_large.sh [path/to/rnnkit]
#   default binary: .build/release/rnnkit (built with `swift build -c release` if missing)
# Needs python3 with numpy (to write the files). Files go to a temporary
# folder ($TMPDIR) that is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/bench_setup.sh inspect "$@"

python3 - "$WORK" <<'EOF'
import json, os, struct, sys
import numpy as np

work = sys.argv[1]
GiB = 1 << 30
chunk = np.zeros(1 << 24, dtype=np.uint8)  # 16 MiB of real (written, not sparse) bytes

def fill(handle, count):
    while count > 0:
        piece = min(count, chunk.size)
        handle.write(chunk[:piece].tobytes())
        count -= piece

# safetensors: a 2-layer LSTM whose weights add up to exactly 1 GiB.
hidden, features = 4096, 4096
rows = 4 * hidden
tensors, offset = {}, 0
for layer in range(2):
    for kind in ["weight_ih", "weight_hh"]:
        shape = [rows, features if (layer == 0 or kind == "weight_hh") else hidden]
        size = shape[0] * shape[1] * 4
        tensors[f"encoder.lstm.{kind}_l{layer}"] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
assert offset == GiB, offset
header = json.dumps(tensors).encode()
header += b" " * ((8 - len(header) % 8) % 8)
with open(os.path.join(work, "large.safetensors"), "wb") as handle:
    handle.write(struct.pack("<Q", len(header)))
    handle.write(header)
    fill(handle, offset)

# .npy: one float32 array of 1 GiB, header written by numpy.
array = np.lib.format.open_memmap(os.path.join(work, "large.npy"), mode="w+", dtype="<f4", shape=(GiB // 4 // 4096, 4096))
del array
path = os.path.join(work, "large.npy")
with open(path, "r+b") as handle:
    handle.seek(os.path.getsize(path) - GiB)  # the data starts after numpy's header
    fill(handle, GiB)
EOF

sync
printf '%-20s %12s %14s %12s\n' "file" "bytes" "wall seconds" "max RSS KiB"
for file in large.safetensors large.npy; do
    path="$WORK/$file"
    report="$WORK/time.txt"
    /usr/bin/time -v "$RNNKIT" inspect "$path" >/dev/null 2>"$report"
    wall="$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$report")"
    rss="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$report")"
    size="$(stat -c %s "$path")"
    seconds="$(echo "$wall" | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')"
    printf '%-20s %12s %14s %12s\n' "$file" "$size" "$seconds" "$rss"
done
