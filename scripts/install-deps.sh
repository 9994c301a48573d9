#!/usr/bin/env bash
# Installs the Debian packages given as arguments when pkg-config cannot find
# libhdf5 or OpenBLAS, or oneDNN's header is missing (Debian's libdnnl-dev has
# no pkg-config file). Used by `make deps` (and so by `make demo`/`make test`).
set -euo pipefail

if pkg-config --exists hdf5 openblas 2>/dev/null && [ -f /usr/include/oneapi/dnnl/dnnl.h ]; then
    exit 0
fi
echo "rnnkit: installing system packages: $*" >&2
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null; then
    SUDO="sudo"
else
    echo "rnnkit: need root to run: apt-get install -y $*" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y "$@"
