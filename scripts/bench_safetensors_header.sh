#!/usr/bin/env bash
# Benchmark (not a test): `rnnkit inspect` of a safetensors file whose JSON
# header holds 1.5 M one-byte scalar entries (about 96 MB, under the format's 100 MB cap) —
# issue 12's "slow header". Prints wall time and maximum resident memory,
# for `inspect --json` (the header, validation and the inspector) and plain
# `inspect` (plus the 1.5 M-row text table). Header parsing is linear
# (`SafetensorsJSON`); docs/reliability.md records the numbers.
#
# Usage: scripts/bench_safetensors_header.sh [ENTRIES] [path/to/rnnkit]
#   default 1500000 entries; binary .build/release/rnnkit (built if missing)
# The file goes to a temporary folder ($TMPDIR) removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
entries="${1:-1500000}"
source scripts/bench_setup.sh safetensors-header "${2:-}"

python3 - "$WORK/header.safetensors" "$entries" <<'PY'
import struct, sys
path, count = sys.argv[1], int(sys.argv[2])
digits = "0123456789abcdefghijklmnopqrstuvwxyz"
def name(i):  # short base-36 names keep 1.5 M entries under the 100 MB cap
    text = ""
    while True:
        i, d = divmod(i, 36)
        text = digits[d] + text
        if i == 0:
            return text
parts = ['{"__metadata__":{"format":"pt"}']
for i in range(count):
    parts.append(f',"{name(i)}":{{"dtype":"I8","shape":[],"data_offsets":[{i},{i + 1}]}}')
parts.append("}")
header = "".join(parts).encode()
header += b" " * ((8 - len(header) % 8) % 8)
with open(path, "wb") as handle:
    handle.write(struct.pack("<Q", len(header)) + header + bytes(count))
print(f"{count} entries, header {len(header)} bytes", file=sys.stderr)
PY

printf '%-22s %14s %12s\n' "run" "wall seconds" "max RSS KiB"
for mode in json text; do
    report="$WORK/time.txt"
    if [ "$mode" = json ]; then args=(inspect --json); else args=(inspect); fi
    /usr/bin/time -v "$RNNKIT" "${args[@]}" "$WORK/header.safetensors" >/dev/null 2>"$report" || { cat "$report" >&2; exit 1; }
    wall="$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$report")"
    rss="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$report")"
    seconds="$(echo "$wall" | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')"
    printf '%-22s %14s %12s\n' "inspect ($mode)" "$seconds" "$rss"
done
