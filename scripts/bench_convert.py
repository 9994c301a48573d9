#!/usr/bin/env python3
"""Benchmark (not a test): `rnnkit convert` of a 512 MiB safetensors file into
every target, each against `cp` + fsync of the same file run just before it.

The input is one module (a 2-layer LSTM, input = hidden = 2896, float32, with
biases: 512 MiB), so that it converts to .onnx and .keras too. For every target
the script prints wall time, GiB/s, the ratio to the copy's speed (wall and CPU
time, user + system), the peak RSS (ru_maxrss from wait4: the process and every
child it waited for, e.g. the HDF5 child) and the peak anonymous memory
(RssAnon of the process tree sampled from /proc every 2 ms; the input's memory
map is file-backed, so RSS counts its touched pages while RssAnon does not),
with the load (`uptime`) beside it. rnnkit runs as users run it: without
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE.

Usage: scripts/bench_convert.py [path/to/rnnkit] [--rounds N] [--only out.onnx,...]
                                [--baseline path/to/other/rnnkit] [--input kept.safetensors]
Files go to a temporary folder ($TMPDIR) removed at the end (~3.5 GiB free needed).
With --baseline, every target is converted by that binary too, right after
the same copy (rows marked "(base)"), so that before/after alternate under the
same load. With --input, the input is made at that path once and reused.
"""
import argparse, json, os, shutil, struct, subprocess, sys, tempfile, threading, time

import numpy as np

TARGETS = ["out.safetensors", "out.npz", "out.h5", "out_npy", "out.onnx", "out.keras", "half.safetensors"]
GIB = 1 << 30
MIB = 1 << 20


def make_input(path):
    hidden = features = 2896
    rows = 4 * hidden
    rng = np.random.default_rng(0)
    tensors, sizes, offset = {}, [], 0
    for layer in range(2):
        for kind, shape in [("weight_ih", [rows, features if layer == 0 else hidden]), ("weight_hh", [rows, hidden]),
                            ("bias_ih", [rows]), ("bias_hh", [rows])]:
            size = int(np.prod(shape)) * 4
            tensors[f"encoder.lstm.{kind}_l{layer}"] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + size]}
            sizes.append(size)
            offset += size
    header = json.dumps(tensors).encode()
    header += b" " * ((8 - len(header) % 8) % 8)
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(header)))
        handle.write(header)
        for size in sizes:
            # Real values (not zeros), so that nothing can be skipped or compressed away.
            for start in range(0, size // 4, 1 << 22):
                handle.write(rng.standard_normal(min(1 << 22, size // 4 - start), dtype=np.float32).tobytes())


def tree(pid):
    """pid and its descendants (from /proc/PID/task/*/children)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    pending += [int(child) for child in handle.read().split()]
        except OSError:
            pass
    return found


def anonymous_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(command, env):
    """(wall s, cpu s, max RSS bytes, peak anonymous bytes) of one process tree."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], sum(anonymous_kib(pid) for pid in tree(process.pid)))
            time.sleep(0.002)

    sampler = threading.Thread(target=sample)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"failed ({process.returncode}): {' '.join(command)}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, peak[0] * 1024


def load():
    return os.getloadavg()[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("rnnkit", nargs="?", default=".build/release/rnnkit")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--only", default="", help="comma-separated targets (default: all)")
    parser.add_argument("--baseline", default="", help="another rnnkit binary to time beside it, target by target")
    parser.add_argument("--input", default="", help="keep the input at this path (made when missing) and reuse it")
    arguments = parser.parse_args()
    if not os.access(arguments.rnnkit, os.X_OK):
        subprocess.run(["swift", "build", "-c", "release", "--product", "rnnkit"], check=True)
    targets = [t for t in TARGETS if not arguments.only or t in arguments.only.split(",")]
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    work = tempfile.mkdtemp(prefix="rnnkit-bench-convert.")
    try:
        source = arguments.input or os.path.join(work, "large.safetensors")
        if not os.path.exists(source):
            make_input(source)
        size = os.path.getsize(source)
        subprocess.run(["sync"], check=True)
        with open("/proc/cpuinfo") as handle:
            cpu = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "?")
        print(f"input: {size / MIB:.0f} MiB safetensors (2-layer LSTM 2896, float32); {cpu}, {os.cpu_count()} CPUs")
        print("each target right after its own cp + fsync of the input; load = 1-minute load average before the pair")
        print(f"{'target':<20} {'wall s':>7} {'GiB/s':>6} {'×copy':>6} {'cpu s':>6} {'×copy cpu':>9} "
              f"{'max RSS MiB':>11} {'RSS−input':>9} {'peak anon MiB':>13} {'copy s':>7} {'load':>5}")
        copy = os.path.join(work, "copy.safetensors")
        for _ in range(arguments.rounds):
            for target in targets:
                before = load()
                copy_wall, copy_cpu, _, _ = measure(["sh", "-c", 'cp "$1" "$2" && sync "$2"', "sh", source, copy], env)
                os.remove(copy)
                binaries = [(arguments.rnnkit, target)]
                if arguments.baseline:
                    binaries.append((arguments.baseline, target + " (base)"))
                for binary, label in binaries:
                    output = os.path.join(work, target)
                    command = [binary, "convert", source, output]
                    if target.startswith("half"):
                        command += ["--dtype", "float16"]
                    wall, cpu_time, rss, anonymous = measure(command, env)
                    shutil.rmtree(output) if os.path.isdir(output) else os.remove(output)
                    print(f"{label:<20} {wall:7.2f} {size / GIB / wall:6.2f} {copy_wall / wall:6.2f} {cpu_time:6.2f} "
                          f"{copy_cpu / cpu_time:9.2f} {rss / MIB:11.0f} {(rss - size) / MIB:9.0f} {anonymous / MIB:13.0f} "
                          f"{copy_wall:7.2f} {before:5.2f}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
