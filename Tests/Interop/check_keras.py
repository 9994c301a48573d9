#!/usr/bin/env python3
"""Interop test: rnnkit's Keras files load in the real Keras 3 and agree with PyTorch, and
models Keras itself saved read back into PyTorch's tensors and run to Keras's outputs.

1. For every fixture folder (Fixtures/<name>/ with fixture.json, see the team brief) this runs
   the built `rnnkit convert WEIGHTS model.keras --module M …`, opens the file with
   `keras.saving.load_model` alone and compares `model.predict(x)` (x batch-major) with the
   fixture's PyTorch `output` (batch-first). It also writes `model.weights.h5`, and for the first
   fixture of each architecture (mode, cell or layer, stacked, bidirectional, bias) builds the
   same layers in code (Sequential, LSTM/GRU(reset_after=True)/SimpleRNN with
   return_sequences=True, Bidirectional(merge_mode="concat")), loads them with
   `model.load_weights` and compares that model's output too. LSTMs with
   proj_size must be refused (exit status 2, no file left). Fixtures with per-sequence lengths or
   initial states are converted but not compared (a Keras Sequential starts from zero states
   and runs every step).
2. Every Keras-saved model under Fixtures/keras/ (model.keras and model.weights.h5): read back
   with `rnnkit convert … back.safetensors`, its tensors must equal the fixture's
   pytorch.safetensors bit for bit; `rnnkit run` on it must reproduce Keras's expected output;
   converted again by rnnkit to .keras it must load in Keras and reproduce that output. A GRU
   with reset_after=False must be refused with a message naming reset_after.
4. Masks and config keys (keras_masks_and_keys.py): rnnkit's list of Keras config keys covers
   every key Keras's recurrent layers produce; masked models (Fixtures/keras/*/mask.json and a few
   built here) run to Keras's output, h_n and c_n, or are refused as they must be.
5. Cells beyond PyTorch's (Fixtures/variants/, variant_interop.py): converted to .keras and run by
   Keras to the fixture's output where Keras has the cell, refused otherwise; PyTorch names refused.
6. Dtype policies (keras_precision_interop.py): a float16 `.keras` rnnkit writes loads in Keras and
   computes what `rnnkit run` computes on it; Keras models computed in float16/bfloat16
   (Fixtures/keras_precision/) are refused without --full-precision and, with it, written so that
   Keras gives its float32 output on their weights.
3. A few models Keras builds and saves during the test (a Functional model with Dropout and Dense,
   a Sequential mixing GRU and Bidirectional LSTM, and settings PyTorch cannot express): each
   module rnnkit reads back runs to the output of its Keras layer, and the others are refused
   with a message naming the setting.

Usage: check_keras.py --rnnkit .build/debug/rnnkit [--tolerance 1e-4] FIXTURES
Exit status: 0 all passed, 1 a mismatch or failure, 3 a Python package is missing.
"""

import argparse
import json
import os
import sys
import tempfile
import zipfile

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
try:
    import numpy as np
    import keras
    from safetensors.numpy import load_file as read_safetensors
    from interop_support import Tally, compare, run, subfolders
    from keras_masks_and_keys import check_config_keys, check_masked_built, check_masked_fixture, masked_built_models
    from variant_interop import check_variant, variant_folders
    from keras_precision_interop import check_float16_export, check_full_precision, half_fixtures, precision_folders
except ImportError as error:  # the Makefile decides whether this skips or fails
    print(f"check_keras.py: missing Python package: {error.name}", file=sys.stderr)
    sys.exit(3)


def predict(model, x):
    return np.asarray(model.predict(x, verbose=0))


def model_in_code(module, nonlinearity):
    """The Sequential rnnkit's .keras holds, built in code (what a user of .weights.h5 writes)."""
    layers = [keras.Input(shape=(None, module["input_size"]))]
    for _ in range(1 if module["kind"] == "cell" else module["num_layers"]):
        options = dict(units=module["hidden_size"], return_sequences=True, use_bias=module["bias"])
        if module["mode"] == "LSTM":
            layer = keras.layers.LSTM(**options)
        elif module["mode"] == "GRU":
            layer = keras.layers.GRU(reset_after=True, **options)
        else:
            layer = keras.layers.SimpleRNN(activation=nonlinearity, **options)
        layers.append(keras.layers.Bidirectional(layer, merge_mode="concat") if module["bidirectional"] else layer)
    return keras.Sequential(layers)


# The weights-file layout depends only on these; one load_weights check per signature keeps CI short.
WEIGHTS_CHECKED = set()


def signature(module):
    return module["mode"], module["kind"], module["num_layers"] > 1, module["bidirectional"], module["bias"]


def check_fixture(rnnkit, folder, tolerance, work):
    spec = json.load(open(os.path.join(folder, "fixture.json")))
    module = next(m for m in spec["modules"] if m["name"] == spec["module"])
    flags = spec.get("flags", {})
    nonlinearity = flags.get("nonlinearity", "tanh")
    base = os.path.join(work, os.path.basename(folder))
    command = [os.path.join(folder, spec["weights"]), "--module", spec["module"] or "(root)"]
    for rename in spec.get("renames", []):
        command += ["--rename", rename]
    if module["mode"] == "RNN":
        command += ["--nonlinearity", nonlinearity]
    x = np.load(os.path.join(folder, spec["inputs"]["input"]))
    # JAX computes in float32 unless x64 is enabled: float64 fixtures are checked as float32 models.
    if x.dtype != np.float32:
        command += ["--dtype", "float32"]
    model_path, weights_path = base + ".keras", base + ".weights.h5"
    results = [run([rnnkit, "convert", command[0], target] + command[1:]) for target in (model_path, weights_path)]

    if module.get("proj_size", 0) > 0:
        for result, target in zip(results, (model_path, weights_path)):
            if result.returncode != 2 or "proj_size" not in result.stderr or os.path.exists(target):
                return False, f"expected a proj_size refusal for {os.path.basename(target)}, got exit {result.returncode}: {result.stderr.strip()}"
        return True, "proj_size refused as expected (.keras and .weights.h5), no file written"
    for result in results:
        if result.returncode != 0:
            return False, f"rnnkit convert failed (exit {result.returncode}): {result.stderr.strip()}"
    # zipfile checks every member's CRC-32 (the weights' is computed while the HDF5 child writes them).
    with zipfile.ZipFile(model_path) as archive:
        damaged = archive.testzip()
    if damaged is not None:
        return False, f"{os.path.basename(model_path)}: the CRC-32 of {damaged} is not its content's"

    models = [("load_model", keras.saving.load_model(model_path))]
    if signature(module) not in WEIGHTS_CHECKED:
        built = model_in_code(module, nonlinearity)
        built.load_weights(weights_path)
        models.append(("load_weights", built))
    inputs = spec["inputs"]
    if inputs.get("lengths") or inputs.get("h0") or inputs.get("c0"):
        return None, "written and loaded; not compared (Keras runs every step from zero states; the fixture has lengths or initial states)"
    batch_major = x if flags.get("batch_first") else x.transpose(1, 0, 2)
    want = np.load(os.path.join(folder, "expected.npz"))["output"]
    if not flags.get("batch_first"):
        want = want.transpose(1, 0, 2)
    reports = []
    ok = True
    for label, model in models:
        good, text = compare(predict(model, batch_major.astype(np.float32)), want, tolerance)
        ok = ok and good
        reports.append(f"{label} output {tuple(want.shape)} {text}")
    if ok and len(models) == 2:
        WEIGHTS_CHECKED.add(signature(module))
    return ok, ", ".join(reports)


# The configurations the conversion issue names; each must be among the passing fixtures.
REQUIRED = [
    ("LSTM, 2+ layers, bidirectional", lambda m, f: m["mode"] == "LSTM" and m["num_layers"] >= 2 and m["bidirectional"] and not m.get("proj_size")),
    ("GRU, 2+ layers", lambda m, f: m["mode"] == "GRU" and m["num_layers"] >= 2),
    ("GRU, bidirectional, no bias", lambda m, f: m["mode"] == "GRU" and m["bidirectional"] and not m["bias"]),
    ("RNN relu", lambda m, f: m["mode"] == "RNN" and f.get("nonlinearity") == "relu"),
    ("LSTM, 1 layer", lambda m, f: m["mode"] == "LSTM" and m["kind"] == "layer" and m["num_layers"] == 1 and not m.get("proj_size")),
    ("batch_first", lambda m, f: f.get("batch_first")),
]


def coverage(folder):
    spec = json.load(open(os.path.join(folder, "fixture.json")))
    module = next(m for m in spec["modules"] if m["name"] == spec["module"])
    return [label for label, test in REQUIRED if test(module, spec.get("flags", {}))]


def check_keras_saved(rnnkit, folder, tolerance, work):
    """A model Keras saved: read back bit-exact, run by rnnkit, re-exported and run by Keras."""
    spec = json.load(open(os.path.join(folder, "keras.json")))
    name = os.path.basename(folder)
    x = np.load(os.path.join(folder, spec["input"]))
    want = np.load(os.path.join(folder, spec["expected"]))["output"]
    reports = []
    for file in (spec["model"], spec["weights"]):
        source = os.path.join(folder, file)
        back = os.path.join(work, f"{name}_{file}.safetensors")
        result = run([rnnkit, "convert", source, back])
        if spec.get("pytorch") is None:
            if result.returncode == 2 and "reset_after=False" in result.stderr and not os.path.exists(back):
                reports.append(f"{file} refused as expected")
                continue
            return False, f"{file}: expected a reset_after=False refusal, got exit {result.returncode}: {result.stderr.strip()}"
        if result.returncode != 0:
            return False, f"{file}: rnnkit convert failed (exit {result.returncode}): {result.stderr.strip()}"
        got, expected = read_safetensors(back), read_safetensors(os.path.join(folder, spec["pytorch"]["weights"]))
        if sorted(got) != sorted(expected):
            return False, f"{file}: names {sorted(got)} != {sorted(expected)}"
        for tensor, value in expected.items():
            if got[tensor].dtype != value.dtype or got[tensor].tobytes() != value.tobytes():
                return False, f"{file}: {tensor} differs from pytorch.safetensors"
        outputs = os.path.join(work, f"{name}_{file}_run.npz")
        command = [rnnkit, "run", source, "--input", os.path.join(folder, spec["input"]), "--batch-first", "--output", outputs]
        command += ["--nonlinearity", spec["pytorch"]["flags"]["nonlinearity"]]
        result = run(command)
        if result.returncode != 0:
            return False, f"{file}: rnnkit run failed (exit {result.returncode}): {result.stderr.strip()}"
        good, text = compare(np.load(outputs)["output"], want, tolerance)
        if not good:
            return False, f"{file}: rnnkit run {text}"
        reports.append(f"{file}: bit-exact read back, rnnkit run {text}")
    if spec.get("pytorch") is not None:
        again = os.path.join(work, f"{name}_again.keras")
        result = run([rnnkit, "convert", os.path.join(folder, spec["model"]), again])
        if result.returncode != 0:
            return False, f"rnnkit convert to .keras failed (exit {result.returncode}): {result.stderr.strip()}"
        good, text = compare(predict(keras.saving.load_model(again), x), want, tolerance)
        if not good:
            return False, f"re-exported .keras: {text}"
        reports.append(f"re-exported .keras {text}")
    return True, "; ".join(reports)


def randomize(model, seed):
    """Uniform ±0.5 in every weight, biases included (Keras initialises biases to zero)."""
    generator = np.random.default_rng(seed)
    model.set_weights([generator.uniform(-0.5, 0.5, w.shape).astype(np.float32) for w in model.get_weights()])


def built_models():
    """Models Keras builds here, beyond Fixtures/keras: (name, model, expectation). An expectation is
    either the text a refusal must contain, or {module name: the Keras layer whose output the module's
    output must equal (rnnkit run with the previous layer's output as input)}."""
    layers = keras.layers
    inputs = keras.Input(shape=(None, 4))
    first = layers.LSTM(5, return_sequences=True, name="encoder")(inputs)
    dropped = layers.Dropout(0.3)(first)
    second = layers.LSTM(5, return_sequences=True, name="encoder_top")(dropped)
    head = layers.Dense(3)(second)
    functional = keras.Model(inputs, head)
    mixed = keras.Sequential([keras.Input((None, 4)), layers.GRU(6, return_sequences=True, name="encoder"),
                              layers.Bidirectional(layers.LSTM(3, return_sequences=True), name="decoder"), layers.Dense(2)])
    return [
        ("functional_lstm_dropout_dense", functional, {"": ("encoder_top", None)}),
        ("gru_then_bidirectional_lstm", mixed, {"encoder": ("encoder", None), "decoder": ("decoder", "encoder")}),
        ("merge_sum", keras.Sequential([keras.Input((None, 4)), layers.Bidirectional(layers.GRU(3, return_sequences=True), merge_mode="sum")]),
         "merge_mode"),
        ("lstm_relu", keras.Sequential([keras.Input((None, 4)), layers.LSTM(3, activation="relu")]), "activation relu"),
        ("simple_rnn_backwards", keras.Sequential([keras.Input((None, 4)), layers.SimpleRNN(3, go_backwards=True)]), "go_backwards"),
    ]


def check_built(rnnkit, name, model, expectation, tolerance, work):
    """A model Keras built and saved here, read back by rnnkit: refused with a reason, or run per
    module to the output of the Keras layer it stands for."""
    randomize(model, seed=len(name))
    path = os.path.join(work, name + ".keras")
    model.save(path)
    back = os.path.join(work, name + "_back.npz")
    result = run([rnnkit, "convert", path, back])
    if isinstance(expectation, str):
        if result.returncode == 2 and expectation in result.stderr:
            return True, f"refused as expected ({expectation})"
        return False, f"expected a refusal naming {expectation}, got exit {result.returncode}: {result.stderr.strip()}"
    if result.returncode != 0:
        return False, f"rnnkit convert failed (exit {result.returncode}): {result.stderr.strip()}"
    x = np.random.default_rng(7).standard_normal((2, 5, 4)).astype(np.float32)
    reports = []
    for module, (layer, upstream) in expectation.items():
        feed = x if upstream is None else predict(keras.Model(model.inputs, model.get_layer(upstream).output), x)
        feed_path = os.path.join(work, f"{name}_{layer}_in.npy")
        np.save(feed_path, feed)
        outputs = os.path.join(work, f"{name}_{layer}_out.npz")
        result = run([rnnkit, "run", path, "--module", module or "(root)", "--input", feed_path, "--batch-first", "--output", outputs])
        if result.returncode != 0:
            return False, f"rnnkit run --module {module or '(root)'} failed (exit {result.returncode}): {result.stderr.strip()}"
        want = predict(keras.Model(model.inputs, model.get_layer(layer).output), x)
        good, text = compare(np.load(outputs)["output"], want, tolerance)
        if not good:
            return False, f"module {module or '(root)'} against layer {layer}: {text}"
        reports.append(f"module {module or '(root)'} = layer {layer} {text}")
    return True, "; ".join(reports)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rnnkit", required=True)
    parser.add_argument("--tolerance", type=float, default=1e-4)
    parser.add_argument("fixtures")
    args = parser.parse_args()
    root = args.fixtures
    folders = subfolders(root, "fixture.json")
    saved = subfolders(os.path.join(root, "keras"), "keras.json")
    if not folders or not saved:
        print(f"check_keras.py: no fixture folders or no Keras-saved models under {root}", file=sys.stderr)
        return 1
    tally = Tally()
    covered = set()
    with tempfile.TemporaryDirectory() as work:
        for folder in folders:
            if tally.check(folder, check_fixture, args.rnnkit, folder, args.tolerance, work):
                covered.update(coverage(folder))
        for folder in saved:
            tally.check(f"{folder} (saved by Keras)", check_keras_saved, args.rnnkit, folder, args.tolerance, work)
        for name, model, expectation in built_models():
            tally.check(f"{name} (built and saved by Keras here)", check_built,
                        args.rnnkit, name, model, expectation, args.tolerance, work)
        tally.check("rnnkit's list of Keras config keys and upstream layers", check_config_keys, args.rnnkit)
        for folder in subfolders(os.path.join(root, "keras"), "mask.json"):
            tally.check(f"{folder} (masked, saved by Keras)", check_masked_fixture, args.rnnkit, folder, args.tolerance, work)
        for name, model, x, expectation in masked_built_models():
            tally.check(f"{name} (masked, built and saved by Keras here)", check_masked_built,
                        args.rnnkit, name, model, x, expectation, args.tolerance, work)
        # Cells beyond PyTorch's (Fixtures/variants/): to Keras and run there, or refused; PyTorch names refused.
        for folder in variant_folders(root):
            for target in ("keras", "pytorch"):
                tally.check(f"{folder} (variant → {target})", check_variant, args.rnnkit, folder, target, args.tolerance, work)
        for folder in half_fixtures(root):
            tally.check(f"{folder} (→ float16 .keras)", check_float16_export, args.rnnkit, folder, args.tolerance, work)
        precision = precision_folders(root)
        if not precision:
            tally.check("Fixtures/keras_precision", lambda: (False, "no fixture folders"))
        for folder in precision:
            tally.check(f"{folder} (computed below float32)", check_full_precision, args.rnnkit, folder, args.tolerance, work)
    tally.require(REQUIRED, covered)
    print(f"check_keras.py: {tally.failures} failed")
    return 1 if tally.failures else 0


if __name__ == "__main__":
    sys.exit(main())
