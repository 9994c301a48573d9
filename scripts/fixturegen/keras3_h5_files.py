"""Fixtures/keras3_h5/: Keras 3 models saved in the legacy HDF5 format (`model.save("model.h5")`):
Keras 2's container (`model_config`, `model_weights`, `layer_names`) holding Keras 3's config,
whose keys, hard_sigmoid (x/6 + 1/2, clipped, where Keras 2's is 0.2x + 0.5) and masking are not
Keras 2's. rnnkit must refuse them naming the format and the remedy (save as .keras), never read
them with Keras 2's meanings. `expected.npz` holds what Keras computes for `input.npy`.

Runs with Keras 3 + jax: `python3 scripts/make_fixtures.py --only keras3_h5`, or this file alone.
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


def make(root):
    import keras
    folder = os.path.join(root, "keras3_h5")
    if os.path.exists(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    keras.utils.set_random_seed(21)
    made = []
    x = np.random.default_rng(21).standard_normal((2, 6, 3)).astype(np.float32)
    expected = {}
    for name, layer, description in [
        ("lstm_hard_sigmoid", keras.layers.LSTM(5, recurrent_activation="hard_sigmoid", return_sequences=True),
         "LSTM(5, recurrent_activation='hard_sigmoid'): Keras 3's hard_sigmoid"),
        ("gru", keras.layers.GRU(5, return_sequences=True), "GRU(5)"),
    ]:
        model = keras.Sequential([keras.Input((6, 3)), layer])
        model.save(os.path.join(folder, name + ".h5"))
        expected[name] = np.asarray(model.predict(x, verbose=0)).astype(np.float32)
        made.append({"file": name + ".h5", "description": description})
    np.save(os.path.join(folder, "input.npy"), x)
    np.savez(os.path.join(folder, "expected.npz"), **expected)
    with open(os.path.join(folder, "keras3_h5.json"), "w") as handle:
        json.dump({"keras_version": keras.__version__, "backend": "jax", "files": made}, handle, indent=2)
        handle.write("\n")
    return made


def write_readme(root, made):
    import keras
    rows = "\n".join(f"| `{entry['file']}` | {entry['description']} |" for entry in made)
    text = f"""# Fixtures/keras3_h5: Keras 3 models saved as legacy HDF5

Made by `scripts/fixturegen/keras3_h5_files.py` with Keras {keras.__version__} (jax):
`model.save("model.h5")` writes Keras 2's container with Keras 3's config. rnnkit refuses them
(`Keras3LegacyHDF5Tests`): it reads Keras 3 models from `.keras` archives. `expected.npz` holds
Keras's output for `input.npy` (batch-major).

| file | model |
|---|---|
{rows}
"""
    with open(os.path.join(root, "keras3_h5", "README.md"), "w") as handle:
        handle.write(text)


def main():
    part_main.run(__doc__, make, write_readme, lambda item: f"keras3_h5/{item['file']}")


if __name__ == "__main__":
    main()
