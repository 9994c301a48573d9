# Sourced by the shell benchmarks (scripts/bench_*.sh), from the repository root:
#   source scripts/bench_setup.sh NAME "$@"
# Sets RNNKIT to the binary given as the benchmark's first argument (default
# .build/release/rnnkit, built with `swift build -c release` if missing) and
# WORK to a fresh temporary folder (rnnkit-bench-NAME.*) removed on exit.

RNNKIT="${2:-.build/release/rnnkit}"
if [ ! -x "$RNNKIT" ]; then
    echo "building $RNNKIT ..." >&2
    swift build -c release --product rnnkit >&2
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/rnnkit-bench-$1.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
