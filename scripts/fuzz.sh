#!/usr/bin/env bash
# Fuzzes one of rnnkit's readers with libFuzzer + AddressSanitizer.
#
#   scripts/fuzz.sh READER SECONDS [libFuzzer options…]
#   READER: npy npz safetensors hdf5 pytorch pt2-graph pickle onnx onnx-constants keras-config
#           (or "all" with SECONDS each)
#
# Builds the fuzz package (Fuzz/, release, -sanitize=fuzzer,address) unless
# FUZZ_SKIP_BUILD=1, seeds the corpus Fuzz/corpus/READER from the fixture files
# of that container, runs the target for SECONDS and prints libFuzzer's final
# statistics. A crash, a leak (where checked), a timeout or an out-of-memory
# stops the run with a non-zero status and leaves the input in
# Fuzz/artifacts/READER/. docs/reliability.md records the runs and findings.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
fuzz="$root/Fuzz"

usage() { echo "usage: scripts/fuzz.sh npy|npz|safetensors|hdf5|pytorch|pt2-graph|pickle|onnx|onnx-constants|keras-config|all SECONDS [libFuzzer options]" >&2; exit 64; }
[ $# -ge 2 ] || usage
reader="$1" seconds="$2"
shift 2
[[ "$seconds" =~ ^[0-9]+$ ]] || usage

build() {
    if [ "${FUZZ_SKIP_BUILD:-0}" != 1 ]; then
        (cd "$fuzz" && swift build -c release -Xswiftc -sanitize=fuzzer,address)
    fi
}

# Copies the fixture files of a container into a seed folder.
seed_files() {
    local seeds="$1"; shift
    find "$root/Fixtures" -type f \( "$@" \) -size -512k -print0 |
        while IFS= read -r -d '' file; do
            cp "$file" "$seeds/$(echo "$file" | cksum | cut -d' ' -f1)-$(basename "$file")"
        done
}

# Splits the pickles out of the fixtures' PyTorch checkpoints (zip members
# data.pkl; the legacy format's successive pickles), without unpickling them.
seed_pickles() {
    python3 - "$root/Fixtures" "$1" <<'PY'
import os, pickletools, sys, zipfile, io
fixtures, seeds = sys.argv[1], sys.argv[2]
count = 0
def keep(data):
    global count
    count += 1
    open(os.path.join(seeds, f"pickle-{count}"), "wb").write(data)
for folder, _, files in os.walk(fixtures):
    for name in files:
        if not name.endswith((".pt", ".pth")) or count > 400:
            continue
        path = os.path.join(folder, name)
        raw = open(path, "rb").read()
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    if member.endswith("data.pkl"):
                        keep(archive.read(member))
            continue
        stream = io.BytesIO(raw)
        for _ in range(4):
            start = stream.tell()
            try:
                for opcode, _, _ in pickletools.genops(stream):
                    pass
            except Exception:
                break
            keep(raw[start:stream.tell()])
PY
}

# Extracts the members whose path contains PART from the fixtures' zip
# archives ending in SUFFIX (config.json of .keras files, models/*.json of .pt2 files).
seed_members() {
    python3 - "$root/Fixtures" "$1" "$2" "$3" <<'PY'
import os, sys, zipfile
fixtures, seeds, suffix, part = sys.argv[1:5]
count = 0
for folder, _, files in os.walk(fixtures):
    for name in files:
        path = os.path.join(folder, name)
        if name.endswith(suffix) and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    if part in member and member.endswith(".json"):
                        count += 1
                        open(os.path.join(seeds, f"member-{count}.json"), "wb").write(archive.read(member))
PY
}

run_one() {
    local reader="$1" target leaks=1 seeds corpus unit_timeout=25 dictionary=()
    shift
    case "$reader" in
        npy) target=FuzzNPY ;;
        npz) target=FuzzNPZ; leaks=0 ;;         # ZIPFoundation leaks ~30 bytes per Archive
        safetensors) target=FuzzSafetensors ;;
        hdf5) target=FuzzHDF5; leaks=0; unit_timeout=120 ;;  # libhdf5 keeps free lists; children may each wait out their limit
        pytorch) target=FuzzPyTorch; leaks=0 ;;  # zip checkpoints go through ZIPFoundation
        pt2-graph) target=FuzzExportedProgram ;;
        pickle) target=FuzzPickle ;;
        onnx) target=FuzzONNX ;;
        onnx-constants) target=FuzzONNXConstants; dictionary=(-dict="$fuzz/dictionaries/onnx_constants.dict") ;;
        keras-config) target=FuzzKerasConfig; dictionary=(-dict="$fuzz/dictionaries/keras_config.dict") ;;
        *) usage ;;
    esac
    corpus="$fuzz/corpus/$reader"
    seeds="$fuzz/corpus/$reader-seeds"
    rm -rf "$seeds"
    mkdir -p "$corpus" "$seeds" "$fuzz/artifacts/$reader"
    case "$reader" in
        npy) seed_files "$seeds" -name '*.npy' ;;
        npz) seed_files "$seeds" -name '*.npz' ;;
        safetensors) seed_files "$seeds" -name '*.safetensors' ;;
        hdf5) seed_files "$seeds" -name '*.h5' ;;
        pytorch) seed_files "$seeds" -name '*.pt' -o -name '*.pth' -o -name '*.pt2' ;;
        pt2-graph) seed_members "$seeds" '.pt2' 'models/' ;;
        pickle) seed_pickles "$seeds" ;;
        onnx|onnx-constants) seed_files "$seeds" -name '*.onnx' ;;
        keras-config) seed_members "$seeds" '.keras' 'config.json' ;;
    esac
    echo "== fuzz $reader ($target) for $seconds s: $(ls "$seeds" | wc -l) seeds, corpus $(ls "$corpus" | wc -l) files"
    # A hang inside libhdf5 is found by the child's time limit, kept short here.
    RNNKIT_HDF5_TIMEOUT="${RNNKIT_HDF5_TIMEOUT:-2}" \
    ASAN_OPTIONS="detect_leaks=$leaks:allocator_may_return_null=1:${ASAN_OPTIONS:-}" \
        "$fuzz/.build/release/$target" "$corpus" "$seeds" \
        -max_total_time="$seconds" -timeout="$unit_timeout" -rss_limit_mb=4096 -print_final_stats=1 \
        -artifact_prefix="$fuzz/artifacts/$reader/" "${dictionary[@]}" "$@"
}

build
if [ "$reader" = all ]; then
    passed=0 failed=0
    for one in npy npz safetensors hdf5 pytorch pt2-graph pickle onnx onnx-constants keras-config; do
        if run_one "$one" "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "== fuzz $one FAILED (see Fuzz/artifacts/$one/)"; fi
    done
    echo "fuzz: $passed passed, $failed failed"
    [ "$failed" = 0 ]
else
    run_one "$reader" "$@"
fi
