#!/usr/bin/env python3
"""Times rnnkit's engine, PyTorch and ONNX Runtime on the same networks, in one run.

For every configuration of the performance issue's table and every thread count, the
script writes the network's PyTorch weights to an .npz, then measures, in rounds that
alternate the three engines (each in its own fresh process, so that no engine's idle
threads spin while another is timed):

  * rnnkit:        `rnnkit bench weights.npz --batch B --steps T --threads N --json`
  * PyTorch:       torch.nn.LSTM/GRU under inference_mode, torch.set_num_threads(N)
  * ONNX Runtime:  the same weights as an ONNX LSTM/GRU graph (gate order converted,
                   checked against PyTorch's output first), intra_op_num_threads=N

and prints the median milliseconds per forward pass, the ratios (PyTorch ÷ rnnkit and
ORT ÷ rnnkit: how many times faster rnnkit is) and rnnkit's GFLOP/s as a share of the
same run's sgemm rate, with the issue's goals marked. Timings are medians over all
rounds; the Markdown table also gives the range of the per-round ORT ratios (the engines
run back to back within a round), which shows how far the machine's noise moves them.
torch, onnx and onnxruntime are needed here only (never by rnnkit or CI).

Usage:
  scripts/bench_compare.py [--rnnkit .build/release/rnnkit] [--threads 1 2] [--rounds 3]
                           [--only NAME ...] [--markdown] [--json OUT.json]
  scripts/bench_compare.py --kernels [--markdown] ...   rnnkit alone, each kernel path
                           (reference, portable, avx2 with OpenBLAS's or oneDNN's GEMM, avx512)
                           side by side: what each step bought
  scripts/bench_compare.py --run [--rounds 3] [--only ...]   `rnnkit run` processes (a long minus a
                           short sequence) beside `rnnkit bench`, ORT and PyTorch, every core;
                           prints the CPU's instruction sets and each engine's kernels (bench_runs.py)

Run it as users run rnnkit: `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE scripts/bench_compare.py ...`
(the environment is passed on to every engine's process unchanged).
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

# name, mode, input, hidden, layers, bidirectional, batch, steps, kind of goal
CONFIGS = [
    ("lstm_b1", "LSTM", 256, 256, 1, False, 1, 100, "batch1"),
    ("gru_b1", "GRU", 256, 256, 1, False, 1, 100, "batch1"),
    ("lstm_b64", "LSTM", 512, 512, 1, False, 64, 100, "large"),
    ("gru_b64", "GRU", 512, 512, 1, False, 64, 100, "large"),
    ("lstm_b32_2l_bi", "LSTM", 128, 256, 2, True, 32, 50, "large"),
]
GOALS = {  # minimum speed-up over PyTorch, over ORT, share of sgemm
    "batch1": (4.0, 1.5, None),
    "large": (1.3, 1.1, 0.8),
}
SECONDS_PER_MEASUREMENT = 1.5


def describe(config):
    name, mode, inp, hidden, layers, bi, batch, steps, _ = config
    text = f"{mode} batch {batch}, T {steps}, input {inp}, hidden {hidden}"
    if layers > 1:
        text += f", {layers} layers"
    if bi:
        text += ", bidirectional"
    return text


def build_torch(config):
    import torch
    _, mode, inp, hidden, layers, bi, _, _, _ = config
    torch.manual_seed(0)
    cls = torch.nn.LSTM if mode == "LSTM" else torch.nn.GRU
    return cls(inp, hidden, num_layers=layers, bidirectional=bi).eval()


def make_input(config):
    import numpy as np
    _, _, inp, _, _, _, batch, steps, _ = config
    return np.random.default_rng(1).uniform(-1, 1, size=(steps, batch, inp)).astype(np.float32)


def onnx_model(module, config):
    """An ONNX graph of stacked LSTM/GRU nodes with the module's weights."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    _, mode, inp, hidden, layers, bi, _, _, _ = config
    h = hidden
    # PyTorch blocks → ONNX blocks: LSTM i,f,g,o → i,o,f,c ; GRU r,z,n → z,r,h.
    order = [0, 3, 1, 2] if mode == "LSTM" else [1, 0, 2]
    params = dict(module.named_parameters())

    def reorder(t):
        blocks = np.split(t.detach().numpy(), len(order), axis=0)
        return np.concatenate([blocks[i] for i in order], axis=0)

    nodes, inits = [], []
    current = "X"
    directions = 2 if bi else 1
    for layer in range(layers):
        suffixes = [f"_l{layer}", f"_l{layer}_reverse"][:directions]
        W = np.stack([reorder(params["weight_ih" + s]) for s in suffixes])
        R = np.stack([reorder(params["weight_hh" + s]) for s in suffixes])
        B = np.stack([np.concatenate([reorder(params["bias_ih" + s]), reorder(params["bias_hh" + s])]) for s in suffixes])
        names = [f"W{layer}", f"R{layer}", f"B{layer}"]
        for n, a in zip(names, (W, R, B)):
            inits.append(numpy_helper.from_array(a.astype(np.float32), n))
        attrs = {"hidden_size": h, "direction": "bidirectional" if bi else "forward"}
        if mode == "GRU":
            attrs["linear_before_reset"] = 1
        y = f"Y{layer}"
        nodes.append(helper.make_node(mode, [current] + names, [y], **attrs))
        # Y: (T, directions, B, H) → (T, B, directions·H)
        nodes.append(helper.make_node("Transpose", [y], [y + "t"], perm=[0, 2, 1, 3]))
        shape = f"shape{layer}"
        inits.append(numpy_helper.from_array(np.array([0, 0, directions * h], dtype=np.int64), shape))
        out = "output" if layer == layers - 1 else f"L{layer}"
        nodes.append(helper.make_node("Reshape", [y + "t", shape], [out]))
        current = out
    graph = helper.make_graph(
        nodes, "rnn",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["T", "B", inp])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["T", "B", directions * h])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def time_loop(run):
    """Median seconds of `run()` after a warm-up, over about SECONDS_PER_MEASUREMENT."""
    start = time.perf_counter()
    warm = 0
    while warm < 3 or time.perf_counter() - start < 0.3:
        run()
        warm += 1
    estimate = (time.perf_counter() - start) / warm
    count = max(5, min(300, int(SECONDS_PER_MEASUREMENT / max(estimate, 1e-6))))
    times = []
    for _ in range(count):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    return times


def worker(engine, config_name, threads, folder):
    """Runs in a fresh process: times one engine on one configuration, prints JSON."""
    import numpy as np
    config = next(c for c in CONFIGS if c[0] == config_name)
    x = np.load(os.path.join(folder, "input.npy"))
    if engine == "torch":
        import torch
        torch.set_num_threads(threads)
        module = build_torch(config)
        tx = torch.from_numpy(x)
        with torch.inference_mode():
            times = time_loop(lambda: module(tx))
    else:
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(os.path.join(folder, "model.onnx"), options, providers=["CPUExecutionProvider"])
        times = time_loop(lambda: session.run(None, {"X": x}))
    print(json.dumps({"times": times}))


def prepare(config, folder):
    """Writes weights.npz (PyTorch names), input.npy and model.onnx; checks ORT against PyTorch."""
    import numpy as np
    import onnxruntime as ort
    import torch
    module = build_torch(config)
    np.savez(os.path.join(folder, "weights.npz"),
             **{k: v.detach().numpy() for k, v in module.state_dict().items()})
    x = make_input(config)
    np.save(os.path.join(folder, "input.npy"), x)
    model = onnx_model(module, config)
    with open(os.path.join(folder, "model.onnx"), "wb") as f:
        f.write(model.SerializeToString())
    with torch.inference_mode():
        expected = module(torch.from_numpy(x))[0].numpy()
    session = ort.InferenceSession(os.path.join(folder, "model.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(None, {"X": x})[0]
    error = float(np.abs(got - expected).max())
    if error > 1e-4:
        sys.exit(f"{config[0]}: the ONNX graph disagrees with PyTorch (max abs error {error:.3g})")


def measure(engine, config, threads, folder, rnnkit):
    if engine == "rnnkit":
        _, _, _, _, _, _, batch, steps, _ = config
        out = subprocess.run(
            [rnnkit, "bench", os.path.join(folder, "weights.npz"), "--batch", str(batch), "--steps", str(steps),
             "--threads", str(threads), "--json"], check=True, capture_output=True, text=True).stdout
        result = json.loads(out)
        return {"median": result["median_ms"], "gflops": result["gflops"], "sgemm": result["sgemm_gflops"]}
    out = subprocess.run([sys.executable, __file__, "--worker", engine, config[0], str(threads), folder],
                         check=True, capture_output=True, text=True).stdout
    times = json.loads(out.strip().splitlines()[-1])["times"]
    return {"median": 1e3 * statistics.median(times)}


# label → `rnnkit bench` arguments; the last is the default on an AVX-512 CPU.
KERNEL_PATHS = {
    "reference": ["--kernels", "reference"],
    "portable": ["--kernels", "portable"],
    "avx2 + OpenBLAS": ["--kernels", "avx2", "--gemm", "openblas"],
    "avx2 + oneDNN": ["--kernels", "avx2", "--gemm", "onednn"],
    "avx512 + oneDNN": ["--kernels", "avx512", "--gemm", "onednn"],
}
BEST_PATH = "avx512 + oneDNN"


def prepared_configs(args, root):
    """The configurations asked for (--only), each prepared in its own folder under `root`."""
    configs = [c for c in CONFIGS if not args.only or c[0] in args.only]
    for config in configs:
        folder = os.path.join(root, config[0])
        os.makedirs(folder)
        prepare(config, folder)
    return configs


def kernel_table(args):
    """rnnkit's own paths side by side, in alternating rounds: what each step bought."""
    results = {}
    with tempfile.TemporaryDirectory() as root:
        configs = prepared_configs(args, root)
        for _ in range(args.rounds):
            for config in configs:
                _, _, _, _, _, _, batch, steps, _ = config
                for threads in args.threads:
                    for kernels, options in KERNEL_PATHS.items():
                        out = subprocess.run(
                            [args.rnnkit, "bench", os.path.join(root, config[0], "weights.npz"), "--batch", str(batch),
                             "--steps", str(steps), "--threads", str(threads), "--json"] + options,
                            check=True, capture_output=True, text=True).stdout
                        result = json.loads(out)
                        results.setdefault((config[0], threads, kernels), []).append(result)
                        print(f"{config[0]} {threads}t {kernels} {result['median_ms']:.3f} ms", file=sys.stderr)
    print(f"# rnnkit kernel paths, median ms (× faster than reference); load average {os.getloadavg()[0]:.2f}")
    print("| config | threads | " + " | ".join(KERNEL_PATHS) + f" | {BEST_PATH} GFLOP/s (% OpenBLAS sgemm) |")
    print("|---|---|" + "---|" * len(KERNEL_PATHS) + "---|")
    for config in configs:
        for threads in args.threads:
            med = {k: statistics.median(r["median_ms"] for r in results[(config[0], threads, k)]) for k in KERNEL_PATHS}
            best = results[(config[0], threads, BEST_PATH)]
            gflops = statistics.median(r["gflops"] for r in best)
            sgemm = statistics.median(r["sgemm_gflops"] for r in best)
            cells = [f"{med[k]:.2f} ({med['reference'] / med[k]:.2f}×)" for k in KERNEL_PATHS]
            print(f"| {describe(config)} | {threads} | " + " | ".join(cells) + f" | {gflops:.1f} ({gflops / sgemm:.0%}) |")


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import numpy  # noqa: F401  (versions below)
    import onnxruntime
    import torch
    flags = open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else ""
    isa = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "SSE"
    return {
        "cpu": model, "cores": os.cpu_count(), "isa": isa, "platform": platform.platform(),
        "torch": torch.__version__, "onnxruntime": onnxruntime.__version__,
        "openblas_env": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS")},
        "load_before": os.getloadavg(),
    }


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rnnkit", default=".build/release/rnnkit")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", nargs="+", help="configuration names: " + ", ".join(c[0] for c in CONFIGS))
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--json", help="also write every measurement to this file")
    parser.add_argument("--kernels", action="store_true",
                        help="time rnnkit's kernel paths against each other instead of the other engines")
    parser.add_argument("--run", action="store_true",
                        help="time `rnnkit run` processes beside bench, ORT and PyTorch (every core)")
    args = parser.parse_args()
    if args.kernels:
        kernel_table(args)
        return
    if args.run:
        import bench_runs
        with tempfile.TemporaryDirectory() as root:
            rows = bench_runs.run_table(args, prepared_configs(args, root), root, make_input, describe)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"rows": rows}, f, indent=1)
        return

    info = machine()
    results = {}
    with tempfile.TemporaryDirectory() as root:
        configs = prepared_configs(args, root)
        for round_ in range(args.rounds):
            for config in configs:
                for threads in args.threads:
                    for engine in ("rnnkit", "torch", "ort"):
                        m = measure(engine, config, threads, os.path.join(root, config[0]), args.rnnkit)
                        results.setdefault((config[0], threads, engine), []).append(m)
                        print(f"round {round_ + 1}: {config[0]} {threads}t {engine} {m['median']:.3f} ms", file=sys.stderr)
    info["load_after"] = os.getloadavg()

    rows = []
    for config in configs:
        for threads in args.threads:
            def med(engine):
                return statistics.median(m["median"] for m in results[(config[0], threads, engine)])
            ours, pt, ort = med("rnnkit"), med("torch"), med("ort")
            rk = results[(config[0], threads, "rnnkit")]
            gflops = statistics.median(m["gflops"] for m in rk)
            sgemm = statistics.median(m["sgemm"] for m in rk)
            # The engines run back to back in each round: per-round ratios show how far noise moves them.
            paired = list(zip(rk, results[(config[0], threads, "torch")], results[(config[0], threads, "ort")]))
            vs_torch_rounds = [t["median"] / r["median"] for r, t, _ in paired]
            vs_ort_rounds = [o["median"] / r["median"] for r, _, o in paired]
            goal_pt, goal_ort, goal_share = GOALS[config[8]]
            share = gflops / sgemm
            met = pt / ours >= goal_pt and ort / ours >= goal_ort and (goal_share is None or share >= goal_share)
            rows.append({
                "config": config[0], "description": describe(config), "threads": threads,
                "rnnkit_ms": ours, "torch_ms": pt, "ort_ms": ort, "vs_torch": pt / ours, "vs_ort": ort / ours,
                "vs_torch_rounds": vs_torch_rounds, "vs_ort_rounds": vs_ort_rounds,
                "gflops": gflops, "sgemm_gflops": sgemm, "sgemm_share": share,
                "goal": {"vs_torch": goal_pt, "vs_ort": goal_ort, "sgemm_share": goal_share}, "met": met,
            })

    print(f"# {info['cpu']}, {info['cores']} cores ({info['isa']}); torch {info['torch']}, onnxruntime "
          f"{info['onnxruntime']}; OPENBLAS env {info['openblas_env'] or 'unset'}; load average before "
          f"{info['load_before'][0]:.2f}, after {info['load_after'][0]:.2f}; {args.rounds} rounds")
    yardstick = {t: statistics.median(m["sgemm"] for (name, th, e), ms in results.items() if th == t and e == "rnnkit"
                                      for m in ms) for t in args.threads}
    print("# sgemm yardstick (OpenBLAS, 1536², median over the run): "
          + ", ".join(f"{t} thread{'s' if t > 1 else ''} {g:.1f} GFLOP/s" for t, g in yardstick.items()))
    if args.markdown:
        print("| config | threads | rnnkit ms | PyTorch ms | ORT ms | × PyTorch | × ORT | × ORT by round | GFLOP/s (% sgemm) "
              "| goal met |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            g = r["goal"]
            goal = f"≥{g['vs_torch']}× / ≥{g['vs_ort']}×" + (f" / ≥{g['sgemm_share']:.0%}" if g["sgemm_share"] else "")
            print(f"| {r['description']} | {r['threads']} | {r['rnnkit_ms']:.2f} | {r['torch_ms']:.2f} | {r['ort_ms']:.2f} "
                  f"| {r['vs_torch']:.2f} | {r['vs_ort']:.2f} | {min(r['vs_ort_rounds']):.2f}–{max(r['vs_ort_rounds']):.2f} "
                  f"| {r['gflops']:.1f} ({r['sgemm_share']:.0%} of {r['sgemm_gflops']:.0f}) "
                  f"| {'yes' if r['met'] else 'no'} ({goal}) |")
    else:
        print(f"{'config':<16}{'thr':>4}{'rnnkit':>10}{'torch':>10}{'ort':>10}{'×torch':>8}{'×ort':>7}{'%sgemm':>8}  goal")
        for r in rows:
            print(f"{r['config']:<16}{r['threads']:>4}{r['rnnkit_ms']:>10.3f}{r['torch_ms']:>10.3f}{r['ort_ms']:>10.3f}"
                  f"{r['vs_torch']:>8.2f}{r['vs_ort']:>7.2f}{r['sgemm_share']:>8.0%}  {'met' if r['met'] else 'NOT met'}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": info, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
