"""Re-reads everything make_fixtures.py wrote, with readers independent of
the writers, and checks it against fixture.json: every file exists, the
weights load (after the renames) into the module fixture.json describes,
the twins hold the same tensors, and PyTorch on the loaded weights gives
expected.npz again."""

import glob
import json
import os

import h5py
import numpy as np
import torch
from safetensors.torch import load_file

from fixturegen.common import DTYPES, make_module, run_reference

REQUIRED_KEYS = ["description", "weights", "format", "module", "renames", "flags", "inputs", "modules",
                 "other_tensors", "shapes", "twins", "torch_version"]


def read_weights(path, fmt):
    if fmt == "hdf5":
        found = {}
        with h5py.File(path, "r") as f:
            f.visititems(lambda n, o: found.__setitem__(n.replace("/", "."), torch.from_numpy(o[()]))
                         if isinstance(o, h5py.Dataset) else None)
        return found
    if fmt == "npz":
        with np.load(path) as z:
            return {k: torch.from_numpy(z[k]) for k in z.files}
    if fmt == "npy":
        return {os.path.basename(p)[:-4]: torch.from_numpy(np.load(p)) for p in glob.glob(os.path.join(path, "*.npy"))}
    if fmt == "safetensors":
        return load_file(path)
    if fmt == "pytorch":
        return dict(torch.load(path, weights_only=True))
    raise ValueError(fmt)


def load_optional(folder, name):
    return torch.from_numpy(np.load(os.path.join(folder, name))) if name else None


def check_fixture(folder):
    with open(os.path.join(folder, "fixture.json")) as f:
        fixture = json.load(f)
    missing = [k for k in REQUIRED_KEYS if k not in fixture]
    assert not missing, (folder, missing)
    files = [fixture["weights"], "expected.npz", *fixture["twins"].values(),
             *[v for v in fixture["inputs"].values() if v]]
    for name in files:
        assert os.path.exists(os.path.join(folder, name)), (folder, name)

    tensors = read_weights(os.path.join(folder, fixture["weights"]), fixture["format"])
    for twin in fixture["twins"].values():
        other = read_weights(os.path.join(folder, twin), "pytorch")
        assert list(sorted(other)) == list(sorted(tensors)), (folder, twin)
        for k, v in other.items():
            assert v.dtype == tensors[k].dtype and torch.equal(v, tensors[k]), (folder, twin, k)
    for rename in fixture["renames"]:
        old, new = rename.split("=", 1)
        tensors[new] = tensors.pop(old)

    names = set(tensors)
    for entry in fixture["modules"]:
        module = build(entry, fixture["flags"]["nonlinearity"], fixture["flags"]["batch_first"])
        prefix = entry["name"] + "." if entry["name"] else ""
        state = {k: tensors[prefix + k] for k in module.state_dict()}
        for k, v in state.items():
            assert v.dtype == DTYPES[entry["dtype"]], (folder, k, v.dtype)
            names.discard(prefix + k)
        assert sum(v.numel() for v in state.values()) == entry["parameters"], (folder, entry["name"])
        if entry["name"] != fixture["module"]:
            continue
        x = load_optional(folder, fixture["inputs"]["input"])
        module = module.to(x.dtype)
        module.load_state_dict({k: v.to(x.dtype) for k, v in state.items()})
        got = run_reference(module, x, *(load_optional(folder, fixture["inputs"][k]) for k in ("lengths", "h0", "c0")),
                            batch_first=fixture["flags"]["batch_first"])
        with np.load(os.path.join(folder, "expected.npz")) as expected:
            assert sorted(expected.files) == sorted(got), (folder, expected.files)
            for k, v in got.items():
                assert list(expected[k].shape) == fixture["shapes"][k], (folder, k)
                assert expected[k].dtype == x.numpy().dtype, (folder, k)
                assert np.array_equal(expected[k], v), (folder, k, float(np.abs(expected[k] - v).max()))
    assert any(m["name"] == fixture["module"] for m in fixture["modules"]), folder
    assert sorted(names) == sorted(fixture["other_tensors"]), (folder, names, fixture["other_tensors"])


def build(entry, nonlinearity, batch_first):
    return make_module(entry["mode"], entry["kind"], entry["input_size"], entry["hidden_size"],
                       entry["num_layers"], entry["bidirectional"], entry["proj_size"], entry["bias"],
                       nonlinearity, batch_first)


def check_sidecars(root, pattern, keys):
    count = 0
    for path in sorted(glob.glob(os.path.join(root, pattern))):
        with open(path) as f:
            sidecar = json.load(f)
        for key in keys:
            value = sidecar.get(key)
            if value:
                assert os.path.exists(os.path.join(os.path.dirname(path), value)), (path, key)
        count += 1
    return count


def run(root, parts):
    """Checks every part on disk; the parts just made must be there."""
    fixtures = sorted(os.path.dirname(p) for p in glob.glob(os.path.join(root, "*", "fixture.json")))
    assert "modules" not in parts or len(fixtures) >= 45, len(fixtures)
    for folder in fixtures:
        check_fixture(folder)
    problems = os.path.join(root, "problems", "problems.json")
    assert "problems" not in parts or os.path.exists(problems)
    if os.path.exists(problems):
        with open(problems) as f:
            for entry in json.load(f)["files"]:
                assert os.path.exists(os.path.join(root, "problems", entry["file"])), entry["file"]
    checkpoints = check_sidecars(root, "checkpoints/*.json", ["file", "values"])
    keras = check_sidecars(root, "keras/*/keras.json", ["model", "weights", "input", "expected"])
    onnx = check_sidecars(root, "onnx/*/onnx.json", ["model", "input", "expected", "pytorch_weights"])
    for part, count in (("checkpoints", checkpoints), ("keras", keras), ("onnx", onnx)):
        assert part not in parts or count > 0, part
    print(f"self-check: {len(fixtures)} module fixtures, {checkpoints} checkpoints, {keras} keras, {onnx} onnx: ok")
    return len(fixtures)
