"""Interop for Keras dtype policies (part of check_keras.py):

- `rnnkit convert … --dtype float16` to `.keras` must load in the real Keras 3 (jax) and compute
  what `rnnkit run` computes on the same file (float16 weights, float32 computation);
- a Keras-saved model whose policy computes in float16/bfloat16 (Fixtures/keras_precision/) is
  refused by `convert` without `--full-precision`; with it, the `.keras` rnnkit writes loads in
  Keras and gives Keras's float32 computation on the saved weights (`output_float32`)."""

import json
import os

import numpy as np

from interop_support import compare, run, subfolders

HALF_FIXTURES = ["lstm_2l_bi", "gru_2l", "rnn_relu", "rnn_tanh_f16"]


def keras_output(path, x_batch_major):
    import keras
    model = keras.saving.load_model(path)
    dtypes = sorted({str(w.dtype) for w in model.weights})
    return np.asarray(model.predict(x_batch_major, verbose=0)).astype(np.float32), dtypes


def check_float16_export(rnnkit, folder, tolerance, work):
    """A PyTorch fixture written as a float16 `.keras`: Keras runs it as rnnkit does."""
    spec = json.load(open(os.path.join(folder, "fixture.json")))
    base = os.path.join(work, os.path.basename(folder) + "_half")
    command = [rnnkit, "convert", os.path.join(folder, spec["weights"]), base + ".keras", "--dtype", "float16",
               "--module", spec["module"] or "(root)"]
    module = next(m for m in spec["modules"] if m["name"] == spec["module"])
    if module["mode"] == "RNN":  # a state dict does not record it: the fixture's flag is the model's
        command += ["--nonlinearity", spec.get("flags", {}).get("nonlinearity", "tanh")]
    written = run(command)
    if written.returncode != 0:
        return False, f"rnnkit convert --dtype float16 failed (exit {written.returncode}): {written.stderr.strip()}"
    x = np.load(os.path.join(folder, spec["inputs"]["input"])).astype(np.float32)
    batch_major = x if spec.get("flags", {}).get("batch_first") else x.transpose(1, 0, 2)
    np.save(base + "_x.npy", batch_major)
    ran = run([rnnkit, "run", base + ".keras", "--input", base + "_x.npy", "--output", base + "_out.npz"])
    if ran.returncode != 0:
        return False, f"rnnkit run of its own float16 .keras failed (exit {ran.returncode}): {ran.stderr.strip()}"
    try:
        got, dtypes = keras_output(base + ".keras", batch_major)
    except Exception as error:  # noqa: BLE001 - any failure to load is the finding
        return False, f"Keras cannot load rnnkit's float16 .keras: {type(error).__name__}: {str(error)[:200]}"
    good, text = compare(got, np.load(base + "_out.npz")["output"], tolerance)
    return good, f"Keras (variables {', '.join(dtypes)}) against rnnkit run on the same file: {text}"


def check_full_precision(rnnkit, folder, tolerance, work):
    """A Keras model computed below float32: refused, then written for float32 and run by Keras."""
    spec = json.load(open(os.path.join(folder, "precision.json")))
    out = os.path.join(work, os.path.basename(folder) + "_full.keras")
    refused = run([rnnkit, "convert", os.path.join(folder, spec["model"]), out])
    if refused.returncode != 2 or spec["policy"] not in refused.stderr or os.path.exists(out):
        return False, f"expected a refusal naming {spec['policy']!r}, got exit {refused.returncode}: {refused.stderr.strip()}"
    written = run([rnnkit, "convert", os.path.join(folder, spec["model"]), out, "--full-precision"])
    if written.returncode != 0:
        return False, f"rnnkit convert --full-precision failed (exit {written.returncode}): {written.stderr.strip()}"
    x = np.load(os.path.join(folder, spec["input"]))
    expected = np.load(os.path.join(folder, spec["expected"]))
    got, _ = keras_output(out, x)
    good, text = compare(got, expected["output_float32"], tolerance)
    return good, f"refused without --full-precision; with it Keras gives its float32 output: {text}"


def half_fixtures(root):
    """The fixtures written as float16 `.keras` (every one must exist: a renamed fixture is a failure)."""
    return [os.path.join(root, name) for name in HALF_FIXTURES]


def precision_folders(root):
    return subfolders(os.path.join(root, "keras_precision"), "precision.json")
