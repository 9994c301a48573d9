#!/usr/bin/env bash
# Replays the fuzz corpora (Fuzz/corpus/READER/, grown by scripts/fuzz.sh)
# through the built binary, as a user would meet those files: every file with
# `rnnkit inspect FILE` and `rnnkit convert FILE OUT.safetensors`. Each run must
# end with exit 0 or 2 within 60 s, never by a signal. Prints a tally per
# reader (exit codes, how many HDF5 files made libhdf5 crash or hang in its
# child, the largest resident memory) and exits 1 if any run broke the rule.
#
# Usage: scripts/replay_corpus.sh [path/to/rnnkit] [READER…]
#   default binary: .build/debug/rnnkit; default readers: every corpus folder.
set -euo pipefail
cd "$(dirname "$0")/.."

RNNKIT="$(realpath "${1:-.build/debug/rnnkit}")"
shift || true
readers=("$@")
if [ ${#readers[@]} = 0 ]; then
    readers=()
    for folder in Fuzz/corpus/*/; do
        name="$(basename "$folder")"
        [[ "$name" == *-seeds ]] || readers+=("$name")
    done
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/rnnkit-replay.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# One file: prints "<inspect exit> <convert exit> <max RSS kB> <child crash> <child hang>".
replay_one() {
    local file="$1" work="$2" rnnkit="$3" out codes="" rss=0 crash=0 hang=0
    out="$(mktemp -d "$work/one.XXXXXX")"
    for command in inspect convert; do
        local arguments=("$command" "$file")
        [ "$command" = convert ] && arguments+=("$out/out.safetensors")
        local code=0
        /usr/bin/time -f %M -o "$out/rss" timeout -s KILL 60 "$rnnkit" "${arguments[@]}" >/dev/null 2>"$out/err" || code=$?
        codes="$codes $code"
        local used; used="$(tail -n 1 "$out/rss" 2>/dev/null || echo 0)"
        [[ "$used" =~ ^[0-9]+$ ]] && [ "$used" -gt "$rss" ] && rss=$used
        grep -q "libhdf5 crashed" "$out/err" && crash=1
        grep -q "libhdf5 did not finish" "$out/err" && hang=1
    done
    rm -rf "$out"
    echo "$codes $rss $crash $hang"
}
export -f replay_one

status=0
for reader in "${readers[@]}"; do
    folder="Fuzz/corpus/$reader"
    [ -d "$folder" ] || { echo "no corpus $folder (run scripts/fuzz.sh $reader first)" >&2; status=1; continue; }
    results="$WORK/$reader.txt"
    folders=("$folder")
    [ -d "Fuzz/corpus/$reader-seeds" ] && folders+=("Fuzz/corpus/$reader-seeds")
    find "${folders[@]}" -type f -print0 |
        xargs -0 -P 2 -I{} bash -c 'replay_one "$1" "$2" "$3"' _ {} "$WORK" "$RNNKIT" > "$results"
    awk -v reader="$reader" '
        { files++; for (i = 1; i <= 2; i++) { code[$i]++; if ($i != 0 && $i != 2) bad++ }
          if ($3 > rss) rss = $3; crash += $4; hang += $5 }
        END {
            line = sprintf("%-12s %5d files, %5d runs:", reader, files, 2 * files)
            for (c in code) line = line sprintf(" exit %s × %d,", c, code[c])
            printf "%s libhdf5 crashed in a child for %d, hung for %d; largest RSS %.0f MB\n", line, crash, hang, rss / 1024
            if (bad > 0) { printf "%s: %d runs ended other than 0 or 2\n", reader, bad; exit 1 }
        }' "$results" || status=1
done
exit $status
