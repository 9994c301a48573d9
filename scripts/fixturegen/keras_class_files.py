"""Fixtures/keras_classes/: Keras 3 models whose recurrent weights belong to a layer class rnnkit
does not read: a registered subclass of LSTM (here with activation='relu', which the old reading
ignored) and ConvLSTM1D. Both hold a recurrent cell's variables (`layers/<name>/cell/vars/…`), so
a reader that went by the weights alone would run them as a default LSTM; rnnkit must refuse them,
naming the class. Each folder: `model.keras`, `input.npy` (batch-major) and `expected.npz`
(`output`: what Keras computes), `classes.json`.

Runs with Keras 3 + jax only: `python3 scripts/make_fixtures.py --only keras_classes`, or alone:
`python3 scripts/fixturegen/keras_class_files.py [--root Fixtures]`.
"""
import json
import os
import shutil

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402

try:
    from fixturegen import part_main  # noqa: E402
except ImportError:  # run as a script from its folder
    import part_main  # noqa: E402

MARKER = "classes.json"


def cases():
    """(name, input shape after the batch, layer builder, class name as saved, description)."""
    import keras

    @keras.saving.register_keras_serializable(package="fixtures")
    class ReluLSTM(keras.layers.LSTM):
        """A subclass that only sets a default; Keras saves it under its own class name."""

    return [
        ("lstm_subclass", (None, 4), lambda: ReluLSTM(5, activation="relu", return_sequences=True), "ReluLSTM",
         "a registered subclass of LSTM (activation='relu'), saved as class ReluLSTM"),
        ("conv_lstm1d", (None, 4, 1), lambda: keras.layers.ConvLSTM1D(3, 1, return_sequences=True), "ConvLSTM1D",
         "ConvLSTM1D(3, 1): a convolutional recurrent layer"),
    ]


def make(root):
    import keras
    folder = os.path.join(root, "keras_classes")
    if os.path.exists(folder):
        shutil.rmtree(folder)
    made = []
    for index, (name, shape, build, class_name, description) in enumerate(cases()):
        out = os.path.join(folder, name)
        os.makedirs(out)
        rng = np.random.default_rng(400 + index)
        model = keras.Sequential([keras.Input(shape), build()])
        model.set_weights([rng.uniform(-0.7, 0.7, w.shape).astype(np.float32) for w in model.get_weights()])
        model.save(os.path.join(out, "model.keras"))
        x = rng.standard_normal((2, 6) + shape[1:]).astype(np.float32)
        np.save(os.path.join(out, "input.npy"), x)
        np.savez(os.path.join(out, "expected.npz"), output=np.asarray(model.predict(x, verbose=0)).astype(np.float32))
        sidecar = {"description": description, "class_name": class_name, "keras_version": keras.__version__, "backend": "jax"}
        with open(os.path.join(out, MARKER), "w") as handle:
            json.dump(sidecar, handle, indent=2)
            handle.write("\n")
        made.append((name, sidecar))
    return made


def write_readme(root, made):
    rows = "\n".join(f"| `{name}/` | `{spec['class_name']}` | {spec['description']} |" for name, spec in made)
    text = f"""# Fixtures/keras_classes: recurrent weights of a layer class rnnkit does not read

Made by `scripts/fixturegen/keras_class_files.py` (part `keras_classes` of `scripts/make_fixtures.py`),
Keras {made[0][1]['keras_version']} (backend {made[0][1]['backend']}). Each model holds a recurrent cell's
variables under a layer class rnnkit does not read; `run`, `convert` and `inspect` must refuse it
naming the class (`classes.json` `class_name`), never run it as a default LSTM. `expected.npz`
`output` is what Keras computes (for `lstm_subclass`, a relu LSTM).

| folder | class | model |
|---|---|---|
{rows}
"""
    with open(os.path.join(root, "keras_classes", "README.md"), "w") as handle:
        handle.write(text)


def main():
    part_main.run(__doc__, make, write_readme, lambda item: f"keras_classes/{item[0]}: {item[1]['class_name']}")


if __name__ == "__main__":
    main()
