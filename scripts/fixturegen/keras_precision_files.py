"""Fixtures/keras_precision/: Keras 3 models whose dtype policy computes below float32
(mixed_float16, mixed_bfloat16, float16, bfloat16), saved by Keras and run by Keras (jax).

Keras runs such a layer in float16 or bfloat16; rnnkit computes in float32 or float64, so it must
refuse them unless `--full-precision` says to compute them in full precision. Each folder holds
`model.keras`, `input.npy` (batch-major) and `expected.npz`:
- `output`: what the saved model computes (`model.predict`, in the policy's compute dtype, widened
  to float32);
- `output_float32`, `h_n_float32` (and `c_n_float32` for an LSTM): the same layers built with the
  float32 policy and given the saved model's weights (widened exactly to float32), i.e. what
  `--full-precision` must reproduce.

Runs with Keras 3 + jax only (no torch): `python3 scripts/make_fixtures.py --only keras_precision`,
or alone: `python3 scripts/fixturegen/keras_precision_files.py [--root Fixtures]`.
"""
import json
import os
import shutil

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402

try:
    from fixturegen import part_main  # noqa: E402
    from fixturegen.variant_files import keras_states  # noqa: E402
except ImportError:  # run as a script from its folder
    import part_main  # noqa: E402
    from variant_files import keras_states  # noqa: E402

MARKER = "precision.json"
README_BEGIN = "<!-- made by scripts/fixturegen/keras_precision_files.py -->"


def cases():
    """(name, policy, layer builder taking dtype=, description, what the policy stores and computes)."""
    import keras
    L = keras.layers
    # Orthogonal initialisation (Keras's default) has no float16 kernel in jax; the weights are set anyway.
    init = {"recurrent_initializer": "glorot_uniform"}
    return [
        ("lstm_mixed_float16", "mixed_float16",
         lambda dtype: L.LSTM(5, return_sequences=True, dtype=dtype, **init),
         "LSTM, dtype policy mixed_float16: float32 variables, float16 computation"),
        ("gru_mixed_bfloat16", "mixed_bfloat16",
         lambda dtype: L.GRU(5, return_sequences=True, dtype=dtype, **init),
         "GRU, dtype policy mixed_bfloat16: float32 variables, bfloat16 computation"),
        ("lstm_bfloat16", "bfloat16",
         lambda dtype: L.LSTM(5, return_sequences=True, dtype=dtype, **init),
         "LSTM, dtype policy bfloat16: bfloat16 variables (stored as 2-byte opaque data tagged dtype=bfloat16)"),
        ("simple_rnn_float16", "float16",
         lambda dtype: L.SimpleRNN(5, return_sequences=True, dtype=dtype, **init),
         "SimpleRNN, dtype policy float16: float16 variables and computation"),
        ("bidirectional_gru_mixed_float16", "mixed_float16",
         lambda dtype: L.Bidirectional(L.GRU(5, return_sequences=True, dtype=dtype, **init), dtype=dtype),
         "Bidirectional(GRU), dtype policy mixed_float16 on the wrapper and the layer"),
    ]


def make_case(folder, policy, build, seed):
    import keras
    rng = np.random.default_rng(seed)
    model = keras.Sequential([keras.Input((None, 4)), build(policy)])
    model.set_weights([rng.uniform(-0.7, 0.7, w.shape).astype(np.float32) for w in model.get_weights()])
    model.save(os.path.join(folder, "model.keras"))
    x = (rng.standard_normal((3, 6, 4)) * 1.5).astype(np.float32)
    reduced = np.asarray(model.predict(x, verbose=0)).astype(np.float32)
    # The same weights as the model holds them (rounded to its variable dtype), computed in float32.
    weights = [np.asarray(w).astype(np.float32) for w in model.get_weights()]
    full = keras.Sequential([keras.Input((None, 4)), build("float32")])
    full.set_weights(weights)
    expected = {"output": reduced, "output_float32": np.asarray(full.predict(x, verbose=0)).astype(np.float32)}
    copy = keras.Sequential([keras.Input((None, 4)), build("float32")])
    copy.set_weights(weights)
    expected.update({k + "_float32": v for k, v in keras_states(copy.layers[-1], x).items()})
    np.save(os.path.join(folder, "input.npy"), x)
    np.savez(os.path.join(folder, "expected.npz"), **expected)
    gap = float(np.abs(expected["output"] - expected["output_float32"]).max())
    return keras.__version__, gap


def make(root):
    folder = os.path.join(root, "keras_precision")
    if os.path.exists(folder):
        shutil.rmtree(folder)
    made = []
    for index, (name, policy, build, description) in enumerate(cases()):
        out = os.path.join(folder, name)
        os.makedirs(out)
        version, gap = make_case(out, policy, build, 300 + index)
        sidecar = {"description": description, "policy": policy, "model": "model.keras", "input": "input.npy",
                   "expected": "expected.npz", "batch_first": True, "keras_version": version, "backend": "jax",
                   "policy_gap": gap}
        with open(os.path.join(out, MARKER), "w") as handle:
            json.dump(sidecar, handle, indent=2)
            handle.write("\n")
        made.append((name, sidecar))
    return made


def write_readme(root, made):
    rows = "\n".join(f"| `{name}/` | `{spec['policy']}` | {spec['description']} | {spec['policy_gap']:.2g} |"
                     for name, spec in made)
    text = f"""{README_BEGIN}
# Fixtures/keras_precision: Keras layers computed below float32

Made by `scripts/fixturegen/keras_precision_files.py` (part `keras_precision` of
`scripts/make_fixtures.py`), Keras {made[0][1]['keras_version']} (backend {made[0][1]['backend']}).
Each folder: `model.keras` (a Sequential, input `(batch, time, 4)`), `input.npy`, `precision.json`
and `expected.npz`: `output` is what the saved model computes in its policy's compute dtype;
`output_float32`, `h_n_float32` (and `c_n_float32`) what the same layers compute with the float32
policy on the saved weights (rounded to the variable dtype, widened exactly). rnnkit refuses to
run or convert these models unless `--full-precision` is given, and then must match the float32
numbers. "gap" is the largest difference between the two outputs, as Keras computed them.

| folder | policy | model | gap |
|---|---|---|---|
{rows}
"""
    with open(os.path.join(root, "keras_precision", "README.md"), "w") as handle:
        handle.write(text)


def main():
    part_main.run(__doc__, make, write_readme, lambda item: f"{item[0]}: gap {item[1]['policy_gap']:.3g}")


if __name__ == "__main__":
    main()
