"""check_keras.py's checks of masks and of rnnkit's list of Keras config keys (issue 13):

- the list `rnnkit keras-keys` prints (KerasConfigKeys in Swift) classifies every config key that
  Keras's own LSTM, GRU, SimpleRNN, their cells and Bidirectional produce, its "must-be" values
  are Keras's defaults, and every upstream layer class it names exists in keras.layers;
- every masked model under Fixtures/keras/ (mask.json) still loads in Keras to its expected
  output, and `rnnkit run` reproduces output, h_n and c_n (or refuses, for conv1d_lstm);
- models Keras builds here: a Sequential Masking -> LSTM with masked holes, Masking -> Dense -> LSTM
  (needs --lengths), a stateful LSTM and a GRU with a config key Keras does not write (refused,
  naming the key).
"""

import json
import os
import zipfile

import numpy as np
import keras

from interop_support import compare, run

RECURRENT = ["LSTM", "GRU", "SimpleRNN"]


def check_config_keys(rnnkit):
    result = run([rnnkit, "keras-keys"])
    if result.returncode != 0:
        return False, f"rnnkit keras-keys failed (exit {result.returncode}): {result.stderr.strip()}"
    listing = json.loads(result.stdout)
    problems = []
    for name in RECURRENT:
        known = listing["recurrent"].get(name, {})
        layer = getattr(keras.layers, name)(4)
        cell = getattr(keras.layers, name + "Cell")(4)
        for source, config in [(name, layer.get_config()), (name + "Cell", cell.get_config())]:
            for key, value in config.items():
                role = known.get(key)
                if role is None:
                    problems.append(f"{source} config key '{key}' is not in rnnkit's list for {name}")
                elif role.startswith("must-be ") and json.loads(role[len("must-be "):]) != value:
                    problems.append(f"{name}.{key}: rnnkit requires {role[8:]}, Keras's default is {value!r}")
    wrapper = keras.layers.Bidirectional(keras.layers.LSTM(4)).get_config()
    problems += [f"Bidirectional config key '{key}' is not in rnnkit's list"
                 for key in wrapper if key not in listing["recurrent"].get("Bidirectional", {})]
    problems += [f"upstream layer class '{name}' does not exist in keras.layers"
                 for name in listing["upstream"] if not hasattr(keras.layers, name)]
    if problems:
        return False, "; ".join(problems)
    count = sum(len(keys) for keys in listing["recurrent"].values())
    return True, f"{count} keys of {len(listing['recurrent'])} classes and {len(listing['upstream'])} upstream classes cover Keras {keras.__version__}"


def compare_outputs(path, expected, tolerance):
    got = np.load(path)
    reports = []
    for key in expected:
        good, text = compare(got[key], expected[key], tolerance)
        if not good:
            return False, f"{key}: {text}"
        reports.append(f"{key} {text}")
    return True, ", ".join(reports)


def check_masked_fixture(rnnkit, folder, tolerance, work):
    spec = json.load(open(os.path.join(folder, "mask.json")))
    model_path = os.path.join(folder, "model.keras")
    reports = []
    for case in spec["cases"]:
        feed = os.path.join(folder, f"{case}.npy")
        out = os.path.join(work, f"{spec['name']}_{case}.npz")
        command = [rnnkit, "run", model_path, "--input", feed, "--output", out]
        if spec["mask"] == "refused":
            result = run(command)
            if result.returncode == 2 and spec["refuse_because"] in result.stderr:
                reports.append(f"{case}: refused as expected")
                continue
            return False, f"{case}: expected a refusal naming {spec['refuse_because']}, got exit {result.returncode}: {result.stderr.strip()}"
        expected = dict(np.load(os.path.join(folder, f"{case}_expected.npz")))
        model = keras.saving.load_model(model_path)
        keras_input = np.load(os.path.join(folder, f"{case}_tokens.npy")) if spec["mask"] == "lengths" else np.load(feed)
        # Without a mask the cases hold single modules' outputs (two_modules_by_input_size), not the model's.
        if spec["mask"] != "none":
            good, text = compare(np.asarray(model.predict(keras_input, verbose=0)), expected["output"], tolerance)
            if not good:
                return False, f"{case}: the saved model no longer predicts its expected output: {text}"
        if spec["mask"] == "lengths":
            refused = run(command)
            if refused.returncode != 2 or "--lengths" not in refused.stderr:
                return False, f"{case}: run without --lengths should be refused, got exit {refused.returncode}"
            command += ["--lengths", os.path.join(folder, f"{case}_lengths.npy")]
        result = run(command)
        if result.returncode != 0:
            return False, f"{case}: rnnkit run failed (exit {result.returncode}): {result.stderr.strip()}"
        good, text = compare_outputs(out, expected, tolerance)
        if not good:
            return False, f"{case}: {text}"
        reports.append(f"{case}: {text}")
    return True, "; ".join(reports)


def masked_built_models():
    """(name, model, input, expectation): expectation "run" (rnnkit run must reproduce model.predict),
    "lengths" (refused without --lengths, then run with the lengths of the trailing padding), or the
    text a refusal must contain."""
    layers = keras.layers
    sequential = keras.Sequential([keras.Input((None, 4)), layers.Masking(0.5), layers.LSTM(3, return_sequences=True)])
    dense = keras.Sequential([keras.Input((None, 4)), layers.Masking(0.0), layers.Dense(4), layers.GRU(3, return_sequences=True)])
    stateful = keras.Sequential([keras.Input((5, 4), batch_size=2), layers.LSTM(3, stateful=True, return_sequences=True)])
    x = np.random.default_rng(3).standard_normal((2, 5, 4)).astype(np.float32)
    holes = x.copy()
    holes[0, 1] = 0.5
    holes[0, 4] = 0.5
    holes[1, 3:] = 0.5
    padded = x.copy()
    padded[1, 3:] = 0.0
    return [
        ("sequential_masking_lstm_holes", sequential, holes, "run"),
        ("masking_dense_gru", dense, padded, "lengths"),
        ("stateful_lstm", stateful, x, "stateful"),
        ("unknown_config_key", keras.Sequential([keras.Input((None, 4)), layers.GRU(3)]), x, "time_warp"),
    ]


def check_masked_built(rnnkit, name, model, x, expectation, tolerance, work):
    generator = np.random.default_rng(len(name))
    model.set_weights([generator.uniform(-0.5, 0.5, w.shape).astype(np.float32) for w in model.get_weights()])
    path = os.path.join(work, name + ".keras")
    model.save(path)
    if expectation == "time_warp":  # a config key rnnkit does not know, added to the saved config
        with zipfile.ZipFile(path) as archive:
            members = {info.filename: archive.read(info.filename) for info in archive.infolist()}
        config = json.loads(members["config.json"])
        config["config"]["layers"][-1]["config"]["time_warp"] = 2
        members["config.json"] = json.dumps(config).encode()
        with zipfile.ZipFile(path, "w") as archive:
            for member, data in members.items():
                archive.writestr(member, data)
    feed = os.path.join(work, name + "_in.npy")
    np.save(feed, x)
    out = os.path.join(work, name + "_out.npz")
    command = [rnnkit, "run", path, "--input", feed, "--output", out]
    result = run(command)
    if expectation not in ("run", "lengths"):
        if result.returncode == 2 and expectation in result.stderr:
            return True, f"refused as expected ({expectation})"
        return False, f"expected a refusal naming {expectation}, got exit {result.returncode}: {result.stderr.strip()}"
    if expectation == "lengths":
        if result.returncode != 2 or "--lengths" not in result.stderr:
            return False, f"expected a refusal asking for --lengths, got exit {result.returncode}: {result.stderr.strip()}"
        lengths = os.path.join(work, name + "_lengths.npy")
        np.save(lengths, np.array([5, 3], dtype=np.int64))
        result = run(command + ["--lengths", lengths])
    if result.returncode != 0:
        return False, f"rnnkit run failed (exit {result.returncode}): {result.stderr.strip()}"
    want = np.asarray(model.predict(x, verbose=0))
    if expectation == "lengths":  # rnnkit runs the GRU on the Dense layer's output
        dense_out = np.asarray(keras.Model(model.inputs, model.layers[1].output).predict(x, verbose=0))
        np.save(feed, dense_out)
        result = run(command + ["--lengths", lengths, "--force"])
        if result.returncode != 0:
            return False, f"rnnkit run failed (exit {result.returncode}): {result.stderr.strip()}"
    return compare_outputs(out, {"output": want}, tolerance)
