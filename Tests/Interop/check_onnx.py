#!/usr/bin/env python3
"""Interop test: rnnkit's .onnx files run in the real ONNX Runtime and agree with PyTorch.

For every fixture folder (Fixtures/<name>/ with fixture.json, see the team brief), this
runs the built `rnnkit convert WEIGHTS model.onnx --module M …`, checks the model with
onnx.checker, runs it in onnxruntime with the fixture's input (and lengths, h0, c0 when
the fixture has them) and compares `output`, `h_n` and `c_n` with the fixture's
expected.npz, which PyTorch computed. Fixtures ONNX cannot hold (LSTM proj_size) must be
refused with exit status 2 and no file left behind.

rnnkit's list of ONNX LSTM/GRU/RNN attributes and inputs (`rnnkit onnx-operators`) must
classify everything `onnx.defs.get_schema` declares, and refuse its refused attributes by name.

Every torch.onnx.export file under Fixtures/onnx/ is converted by rnnkit to its own .onnx
(through PyTorch names) and must reproduce PyTorch's outputs in ONNX Runtime; it is also read
back with `rnnkit convert model.onnx weights.npz`, and the tensors must be bit-identical to
the PyTorch state_dict stored beside it. A wrapper's learned initial state
(Fixtures/torch_code/learned_state_dict.pt), renamed to the module's stored state, must reach
the .onnx as its h0/c0 defaults.

Usage: check_onnx.py --rnnkit .build/debug/rnnkit [--tolerance 1e-4] PATH...
  PATH is a fixture folder or a folder of fixture folders.
Exit status: 0 all passed, 1 a mismatch or failure, 3 a Python package is missing.
"""

import argparse
import json
import os
import sys
import tempfile

try:
    import numpy as np
    import onnx
    import onnxruntime
    from safetensors.numpy import load_file as read_safetensors
    from interop_support import Tally, compare, run, subfolders
    from variant_interop import check_variant, variant_folders
except ImportError as error:  # the Makefile decides whether this skips or fails
    print(f"check_onnx.py: missing Python package: {error.name}", file=sys.stderr)
    sys.exit(3)


def session(path):
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # h0/c0/sequence_lens are overridable initializers by design
    return onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def check_fixture(rnnkit, folder, tolerance, work):
    spec = json.load(open(os.path.join(folder, "fixture.json")))
    module = next(m for m in spec["modules"] if m["name"] == spec["module"])
    flags = spec.get("flags", {})
    target = os.path.join(work, os.path.basename(folder) + ".onnx")
    command = [rnnkit, "convert", os.path.join(folder, spec["weights"]), target, "--module", spec["module"] or "(root)"]
    for rename in spec.get("renames", []):
        command += ["--rename", rename]
    if flags.get("batch_first"):
        command.append("--batch-first")
    if module["mode"] == "RNN":
        command += ["--nonlinearity", flags.get("nonlinearity", "tanh")]
    x = np.load(os.path.join(folder, spec["inputs"]["input"]))
    # ONNX Runtime's CPU kernels run LSTM/GRU/RNN in float32 (not float64), and the input
    # must have the weights' type: other fixtures are checked as float32 models.
    if x.dtype != np.float32 or module.get("dtype", "float32") != "float32":
        command += ["--dtype", "float32"]
    result = run(command)

    if module.get("proj_size", 0) > 0:
        if result.returncode == 2 and "proj_size" in result.stderr and not os.path.exists(target):
            return True, "proj_size refused as expected, no file written"
        return False, f"expected a proj_size refusal, got exit {result.returncode}: {result.stderr.strip()}"
    if result.returncode != 0:
        return False, f"rnnkit convert failed (exit {result.returncode}): {result.stderr.strip()}"

    onnx.checker.check_model(onnx.load(target), full_check=True)
    feeds = {"input": x.astype(np.float32)}
    inputs = spec["inputs"]
    if inputs.get("lengths"):
        feeds["sequence_lens"] = np.load(os.path.join(folder, inputs["lengths"])).astype(np.int32)
    for name in ("h0", "c0"):
        if inputs.get(name):
            feeds[name] = np.load(os.path.join(folder, inputs[name])).astype(np.float32)
    if module["mode"] == "LSTM" and "h0" in feeds and "c0" not in feeds:
        feeds["c0"] = np.zeros_like(feeds["h0"][:, :, :module["hidden_size"]])
    sess = session(target)
    names = [o.name for o in sess.get_outputs()]
    outputs = dict(zip(names, sess.run(None, feeds)))
    expected = np.load(os.path.join(folder, "expected.npz"))
    report = []
    ok = True
    for name in expected.files:
        want = expected[name]
        got = outputs.get(name)
        if got is None:
            return False, f"{name}: missing from the model's outputs"
        same, message = compare(got, want, tolerance)
        if got.shape != want.shape:
            return False, f"{name}: {message}"
        ok = ok and same
        report.append(f"{name} {tuple(want.shape)} {message}")
    return ok, ", ".join(report)


# The configurations the conversion issue names; each must be among the passing fixtures.
REQUIRED = [
    ("LSTM, 2+ layers, bidirectional", lambda m, f, i: m["mode"] == "LSTM" and m["num_layers"] >= 2 and m["bidirectional"]),
    ("GRU, 2+ layers", lambda m, f, i: m["mode"] == "GRU" and m["num_layers"] >= 2),
    ("GRU, bidirectional, no bias", lambda m, f, i: m["mode"] == "GRU" and m["bidirectional"] and not m["bias"]),
    ("RNN relu", lambda m, f, i: m["mode"] == "RNN" and f.get("nonlinearity") == "relu"),
    ("LSTM, 1 layer", lambda m, f, i: m["mode"] == "LSTM" and m["kind"] == "layer" and m["num_layers"] == 1 and m.get("proj_size", 0) == 0),
    ("batch_first", lambda m, f, i: f.get("batch_first")),
    ("packed lengths", lambda m, f, i: bool(i.get("lengths"))),
]


def coverage(folder):
    spec = json.load(open(os.path.join(folder, "fixture.json")))
    module = next(m for m in spec["modules"] if m["name"] == spec["module"])
    return [label for label, test in REQUIRED if test(module, spec.get("flags", {}), spec["inputs"])]


def check_reexported(rnnkit, folder, tolerance, work):
    """A torch.onnx.export file converted by rnnkit to its own .onnx, run in ONNX Runtime
    and compared with the outputs PyTorch computed for the original module."""
    spec = json.load(open(os.path.join(folder, "onnx.json")))
    target = os.path.join(work, os.path.basename(folder) + "_rnnkit.onnx")
    command = [rnnkit, "convert", os.path.join(folder, spec["model"]), target]
    if spec["flags"].get("batch_first"):
        command.append("--batch-first")
    result = run(command)
    if result.returncode != 0:
        return False, f"rnnkit convert failed (exit {result.returncode}): {result.stderr.strip()}"
    sess = session(target)
    outputs = dict(zip([o.name for o in sess.get_outputs()],
                       sess.run(None, {"input": np.load(os.path.join(folder, spec["input"]))})))
    expected = np.load(os.path.join(folder, spec["expected"]))
    report = []
    for name in expected.files:
        ok, message = compare(outputs[name], expected[name], tolerance)
        if not ok:
            return False, f"{name}: {message}"
        report.append(f"{name} {message}")
    return True, ", ".join(report)


def check_exported(rnnkit, folder, work):
    """A torch.onnx.export file read back into PyTorch names, compared bit for bit."""
    spec = json.load(open(os.path.join(folder, "onnx.json")))
    target = os.path.join(work, os.path.basename(folder) + "_back.npz")
    result = run([rnnkit, "convert", os.path.join(folder, spec["model"]), target])
    if result.returncode != 0:
        return False, f"rnnkit convert failed (exit {result.returncode}): {result.stderr.strip()}"
    back = np.load(target)
    original = read_safetensors(os.path.join(folder, spec["pytorch_weights"]))
    if sorted(back.files) != sorted(original):
        return False, f"names {sorted(back.files)} != {sorted(original)}"
    for name, value in original.items():
        if back[name].dtype != value.dtype or back[name].tobytes() != value.tobytes():
            return False, f"{name} differs"
    return True, f"{len(original)} tensors bit-identical"


def check_learned_state(rnnkit, path, work):
    """A wrapper's learned h0/c0 (torch_code/learned_state_dict.pt), renamed to the module's stored
    state, carried into the .onnx as its h0/c0 defaults: ONNX Runtime fed the input alone must give
    the wrapper's output, as PyTorch computed it."""
    folder = os.path.join(path, "torch_code")
    target = os.path.join(work, "learned_state.onnx")
    result = run([rnnkit, "convert", os.path.join(folder, "learned_state_dict.pt"), target,
                  "--rename", "h0=lstm.h0", "--rename", "c0=lstm.c0"])
    if result.returncode != 0:
        return False, f"rnnkit convert failed (exit {result.returncode}): {result.stderr.strip()}"
    onnx.checker.check_model(onnx.load(target))
    model = session(target)
    x = np.load(os.path.join(folder, "input.npy"))
    output = model.run(None, {model.get_inputs()[0].name: x})[0]
    expected = np.load(os.path.join(folder, "expected.npz"))["learned_state_module"]
    return compare(output, expected, 1e-5)


def check_operator_table(rnnkit):
    """rnnkit's one list of ONNX recurrent-operator attributes and inputs (`rnnkit
    onnx-operators`) classifies everything onnx.defs declares for LSTM, GRU and RNN, and
    each attribute it refuses unless default is refused, by name, in a real model."""
    result = run([rnnkit, "onnx-operators"])
    if result.returncode != 0:
        return False, f"rnnkit onnx-operators failed (exit {result.returncode}): {result.stderr.strip()}"
    table = json.loads(result.stdout)
    missing = []
    for op in ("LSTM", "GRU", "RNN"):
        schema = onnx.defs.get_schema(op)
        known = {(entry["kind"], entry["name"]) for entry in table.get(op, [])}
        missing += [f"{op} attribute {name}" for name in sorted(schema.attributes) if ("attribute", name) not in known]
        missing += [f"{op} input {i.name}" for i in schema.inputs if ("input", i.name) not in known]
        listed_inputs = [entry["name"] for entry in table.get(op, []) if entry["kind"] == "input"]
        if listed_inputs != [i.name for i in schema.inputs]:
            missing.append(f"{op} inputs listed as {listed_inputs}, schema order {[i.name for i in schema.inputs]}")
    if missing:
        return False, "not classified by rnnkit: " + "; ".join(missing)
    # Each refused attribute, set to a non-default value in a minimal model, is refused by name.
    from onnx import TensorProto, helper, numpy_helper
    values = {"clip": 1.0, "input_forget": 1}
    refused = 0
    with tempfile.TemporaryDirectory() as work:
        for op in ("LSTM", "GRU", "RNN"):
            gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[op]
            for entry in table[op]:
                if entry["handling"] != "refused_unless_default":
                    continue
                if entry["name"] not in values:
                    return False, f"no test value for refused attribute {op}.{entry['name']}: add one to check_operator_table"
                inits = [numpy_helper.from_array(np.zeros((1, gates * 2, s), np.float32), n) for n, s in (("W", 3), ("R", 2))]
                extra = {"linear_before_reset": 1} if op == "GRU" else {}
                node = helper.make_node(op, ["X", "W", "R"], ["Y"], hidden_size=2, **extra, **{entry["name"]: values[entry["name"]]})
                graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [2, 1, 3])],
                                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [2, 1, 1, 2])], initializer=inits)
                path = os.path.join(work, f"{op}_{entry['name']}.onnx")
                onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
                result = run([rnnkit, "inspect", path])
                if result.returncode != 2 or entry["name"] not in result.stderr or path not in result.stderr:
                    return False, f"{op} with {entry['name']}={values[entry['name']]}: exit {result.returncode}, {result.stderr.strip()!r}"
                refused += 1
    return True, f"{sum(len(v) for v in table.values())} entries cover onnx {onnx.__version__}'s schemas; {refused} refusals checked"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rnnkit", required=True)
    parser.add_argument("--tolerance", type=float, default=1e-4)
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()
    folders, exported = [], []
    for path in args.paths:
        folders += [path] if os.path.isfile(os.path.join(path, "fixture.json")) else subfolders(path, "fixture.json")
        exported += subfolders(os.path.join(path, "onnx"), "onnx.json")
    if not folders:
        print("check_onnx.py: no fixture folders found in " + " ".join(args.paths), file=sys.stderr)
        return 1
    tally = Tally()
    tally.check("ONNX recurrent operator list (onnx.defs)", check_operator_table, args.rnnkit)
    covered = set()
    with tempfile.TemporaryDirectory() as work:
        for folder in folders:
            if tally.check(folder, check_fixture, args.rnnkit, folder, args.tolerance, work):
                covered.update(coverage(folder))
        for folder in exported:
            tally.check(f"{folder} (torch.onnx.export → rnnkit .onnx)", check_reexported,
                        args.rnnkit, folder, args.tolerance, work)
            tally.check(f"{folder} (read back)", check_exported, args.rnnkit, folder, work)
        for path in args.paths:
            if os.path.isfile(os.path.join(path, "torch_code", "learned_state_dict.pt")):
                tally.check(f"{path}/torch_code/learned_state_dict.pt (stored state → onnx)", check_learned_state,
                            args.rnnkit, path, work)
        # Cells beyond PyTorch's (Fixtures/variants/): rnnkit's .onnx run by onnxruntime, or refused.
        for path in args.paths:
            for folder in variant_folders(path):
                tally.check(f"{folder} (variant → onnx)", check_variant, args.rnnkit, folder, "onnx", args.tolerance, work)
    tally.require(REQUIRED, covered)
    print(f"check_onnx.py: {tally.failures} failed")
    return 1 if tally.failures else 0


if __name__ == "__main__":
    sys.exit(main())
