"""Interop for cells beyond PyTorch's (Fixtures/variants/, see its README): rnnkit converts each
ONNX- or Keras-made variant model to the targets its variant.json lists as "ok", the real tool
(onnxruntime, Keras 3) runs the converted file and must reproduce the fixture's expected output;
targets listed with a word must be refused (exit 2, the word in the message, no file left)."""

import json
import os

import numpy as np

from interop_support import compare, run, subfolders

SUFFIX = {"onnx": ".onnx", "keras": ".keras", "pytorch": ".safetensors"}


def variant_folders(root):
    """Every Fixtures/variants/<format>/<name>/ folder holding a variant.json."""
    base = os.path.join(root, "variants")
    return [f for fmt in ("onnx", "keras") for f in subfolders(os.path.join(base, fmt), "variant.json")]


def run_converted(target, path, x_time_major):
    """The converted model's output for x (time, batch, features), time-major."""
    if target == "onnx":
        import onnxruntime
        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        return session.run(["output"], {name: x_time_major})[0]
    import keras
    model = keras.saving.load_model(path)
    return np.asarray(model.predict(x_time_major.transpose(1, 0, 2), verbose=0)).transpose(1, 0, 2)


def check_variant(rnnkit, folder, target, tolerance, work):
    """One conversion of one variant fixture: run by the real tool, or refused."""
    with open(os.path.join(folder, "variant.json")) as handle:
        spec = json.load(handle)
    outcome = spec["convert"][target]
    out = os.path.join(work, os.path.basename(folder) + "_variant" + SUFFIX[target])
    result = run([rnnkit, "convert", os.path.join(folder, spec["model"]), out, "--force"])
    if outcome != "ok":
        if result.returncode == 2 and outcome in result.stderr and not os.path.exists(out):
            return True, f"refused as expected ({outcome})"
        return False, f"expected a refusal naming {outcome!r}, got exit {result.returncode}: {result.stderr.strip()}"
    if result.returncode != 0:
        return False, f"rnnkit convert failed (exit {result.returncode}): {result.stderr.strip()}"
    x = np.load(os.path.join(folder, spec["input"]))
    want = np.load(os.path.join(folder, spec["expected"]))["output"]
    if spec["batch_first"]:
        x, want = x.transpose(1, 0, 2), want.transpose(1, 0, 2)
    good, text = compare(run_converted(target, out, x), want, tolerance)
    return good, f"{target} {text}"
