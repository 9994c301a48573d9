"""`scripts/bench_compare.py --run`: `rnnkit run` as users run it, beside `rnnkit bench`, ONNX Runtime
and PyTorch, in one run whose rounds alternate the engines.

`rnnkit run` is timed as whole processes on a short (the configuration's T) and a long sequence
(T + 10 000 steps at batch 1, at least 1 000 steps otherwise: the goal is stated for sequences of
1 000 steps or more, and at batch 1 a shorter difference drowns in the processes' own noise of a
few milliseconds); the difference, scaled to T steps, is what a forward pass
of T steps costs inside `run` with start-up, loading and weight packing cancelled out, but with
reading the input, the forward pass and writing the output .npz included. `rnnkit bench` (in-process
forward passes of the same network) is measured at T and at the long length, so that `run`'s cost per
step on the long sequence can be set against `bench`'s. `run` has no thread option: it uses every
core, so this table uses the machine's core count for every engine.

The header names the CPU's instruction sets and the kernels each engine used: rnnkit's step kernels
and GEMM (from `rnnkit bench --json`), PyTorch's CPU capability, and ONNX Runtime's MLAS (which picks
its kernels from CPUID; not reported by its API, so inferred from the flags).
"""
import json
import os
import statistics
import subprocess
import sys
import time

ISA_FLAGS = ["sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512_vnni",
             "avx512_bf16", "avx512_fp16", "amx_tile", "avx_vnni"]
PROCESS_REPEATS = 5  # `rnnkit run` processes per length and round (median taken)


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def instruction_sets():
    flags = cpu_flags()
    return [flag for flag in ISA_FLAGS if flag in flags]


def long_steps(config):
    steps, batch = config[7], config[6]
    return steps + 10_000 if batch == 1 else max(1_000, 10 * steps)


def write_inputs(config, folder, make_input):
    """input_short.npy (T steps, the table's input) and input_long.npy."""
    import numpy as np
    short = make_input(config)
    np.save(os.path.join(folder, "input_short.npy"), short)
    rng = np.random.default_rng(3)
    shape = (long_steps(config),) + short.shape[1:]
    np.save(os.path.join(folder, "input_long.npy"), rng.uniform(-1, 1, size=shape).astype(np.float32))


def process_seconds(command, env):
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def time_run(rnnkit, folder, env):
    """Median wall seconds of `rnnkit run` on the short and on the long input."""
    times = {"short": [], "long": []}
    for _ in range(PROCESS_REPEATS):
        for length in ("short", "long"):
            out = os.path.join(folder, f"out_{length}.npz")
            if os.path.exists(out):
                os.remove(out)
            times[length].append(process_seconds(
                [rnnkit, "run", os.path.join(folder, "weights.npz"), "--input", os.path.join(folder, f"input_{length}.npy"),
                 "--output", out], env))
    return {length: statistics.median(values) for length, values in times.items()}


def bench_json(rnnkit, folder, config, steps, threads, env):
    out = subprocess.run(
        [rnnkit, "bench", os.path.join(folder, "weights.npz"), "--batch", str(config[6]), "--steps", str(steps),
         "--threads", str(threads), "--json"], check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out)


def other_engine(engine, config, threads, folder, env):
    out = subprocess.run([sys.executable, os.path.abspath(sys.argv[0]), "--worker", engine, config[0], str(threads), folder],
                         check=True, capture_output=True, text=True, env=env).stdout
    return 1e3 * statistics.median(json.loads(out.strip().splitlines()[-1])["times"])


def torch_capability(env):
    code = ("import re, torch; blas = re.search(r'BLAS_INFO=(\\w+)', torch.__config__.show()); "
            "print(torch.backends.cpu.get_cpu_capability(), torch.__version__, blas.group(1) if blas else '?', "
            "int(torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env).stdout.split()
    if len(out) != 4:
        return "PyTorch: unknown"
    return (f"PyTorch {out[1]}: ATen kernels {out[0]}, BLAS {out[2]}, oneDNN (mkldnn) "
            f"{'enabled' if out[3] == '1' else 'off'}")


def ort_kernels():
    import onnxruntime
    flags = cpu_flags()
    isa = "AVX-512F" if "avx512f" in flags else "AVX2/FMA3" if "avx2" in flags else "SSE"
    return f"ONNX Runtime {onnxruntime.__version__}: MLAS, which picks its {isa} kernels from CPUID (inferred)"


def run_table(args, configs, root, make_input, describe):
    """Measures and prints the `run` table; returns its rows."""
    env = dict(os.environ)
    threads = os.cpu_count() or 1
    for config in configs:
        write_inputs(config, os.path.join(root, config[0]), make_input)
    results = {}
    for round_ in range(args.rounds):
        for config in configs:
            folder = os.path.join(root, config[0])
            steps, longer = config[7], long_steps(config)
            measured = {
                "run": time_run(args.rnnkit, folder, env),
                "bench": bench_json(args.rnnkit, folder, config, steps, threads, env),
                "bench_long": bench_json(args.rnnkit, folder, config, longer, threads, env),
                "torch": other_engine("torch", config, threads, folder, env),
                "ort": other_engine("ort", config, threads, folder, env),
            }
            results.setdefault(config[0], []).append(measured)
            per_t = 1e3 * (measured["run"]["long"] - measured["run"]["short"]) / (longer - steps) * steps
            print(f"round {round_ + 1}: {config[0]} run {per_t:.2f} bench {measured['bench']['median_ms']:.2f} "
                  f"torch {measured['torch']:.2f} ort {measured['ort']:.2f} ms", file=sys.stderr)

    first = next(iter(results.values()))[0]["bench"]
    print(f"# CPU instruction sets: {' '.join(instruction_sets())}; {threads} threads for every engine; "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}, "
          f"OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE', 'unset')}; load average {os.getloadavg()[0]:.2f}")
    print(f"# rnnkit: step kernels {first['kernels']}, input projections {first['gemm']}, "
          f"OpenBLAS core {first.get('openblas_core', '?')}")
    print(f"# {torch_capability(env)}")
    print(f"# {ort_kernels()}")
    print(f"# median ms per forward pass of T steps over {args.rounds} rounds; `run`: (long − short process) "
          f"scaled to T steps; run ÷ bench per step: `run` on the long sequence against `bench` at that length")
    print("| config | `rnnkit run` | `rnnkit bench` | ONNX Runtime | PyTorch | run × ORT | run × PyTorch "
          "| run ÷ bench per step (long) | goal met |")
    print("|---|---|---|---|---|---|---|---|---|")
    rows = []
    for config in configs:
        measured = results[config[0]]
        steps, longer = config[7], long_steps(config)
        run_ms = statistics.median(
            1e3 * (m["run"]["long"] - m["run"]["short"]) / (longer - steps) * steps for m in measured)
        bench = statistics.median(m["bench"]["median_ms"] for m in measured)
        bench_long = statistics.median(m["bench_long"]["median_ms"] for m in measured) / longer * steps
        ort = statistics.median(m["ort"] for m in measured)
        pt = statistics.median(m["torch"] for m in measured)
        goal_pt, goal_ort = (4.0, 1.5) if config[8] == "batch1" else (1.3, 1.1)
        ratio = run_ms / bench_long
        met = ort / run_ms >= goal_ort and pt / run_ms >= goal_pt and ratio <= 1.15
        rows.append({"config": config[0], "run_ms": run_ms, "bench_ms": bench, "bench_long_ms_per_T": bench_long,
                     "ort_ms": ort, "torch_ms": pt, "met": met})
        print(f"| {describe(config)} | {run_ms:.2f} | {bench:.2f} | {ort:.2f} | {pt:.2f} | {ort / run_ms:.2f} "
              f"| {pt / run_ms:.2f} | {ratio:.2f} ({longer} steps) | {'yes' if met else 'no'} "
              f"(≥{goal_ort}× ORT, ≥{goal_pt}× PyTorch, ≤1.15) |")
    return rows
