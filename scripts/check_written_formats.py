#!/usr/bin/env python3
"""Checks that the reference Python libraries read what rnnkit writes.

Runs the Swift test WriterTests/testWriteInteropSamples, which writes one file
per container into a temporary folder, then reads each file with numpy, h5py,
safetensors and Keras 3 and compares the values with the sample rnnkit copied
them from (Fixtures/formats/safetensors/all_dtypes.safetensors).
Run by `make interop-test` (so by CI), or by hand: `python3 scripts/check_written_formats.py`.
The folder is removed when every check passes and kept (and named) when one fails.
"""
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import ml_dtypes  # noqa: F401 (registers bfloat16 with numpy for safetensors)
import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SOURCE = os.path.join(ROOT, "Fixtures", "formats", "safetensors", "all_dtypes.safetensors")


def same(name, got, want):
    assert got.dtype == want.dtype, f"{name}: dtype {got.dtype} != {want.dtype}"
    assert got.shape == want.shape, f"{name}: shape {got.shape} != {want.shape}"
    assert got.tobytes() == want.tobytes(), f"{name}: values differ"


def main():
    folder = tempfile.mkdtemp(prefix="rnnkit-interop-")
    env = dict(os.environ, RNNKIT_INTEROP_DIR=folder)
    subprocess.run(["swift", "test", "--filter", "WriterTests/testWriteInteropSamples"], cwd=ROOT, env=env,
                   check=True, stdout=subprocess.DEVNULL)
    source = load_file(SOURCE)
    plain = {k: v for k, v in source.items() if v.dtype.name != "bfloat16"}

    for name, want in plain.items():
        same("npy/" + name, np.load(os.path.join(folder, "npy", name + ".npy")), want)
    for archive in ["stored.npz", "deflated.npz"]:
        with np.load(os.path.join(folder, archive)) as loaded:
            assert list(loaded.files) == list(plain), f"{archive}: members {loaded.files}"
            for name, want in plain.items():
                same(f"{archive}/{name}", loaded[name], want)

    path = os.path.join(folder, "all.safetensors")
    for name, got in load_file(path).items():
        same("safetensors/" + name, got, source[name])
    with safe_open(path, "np") as handle:
        assert handle.metadata() == {"format": "pt"}, handle.metadata()

    with h5py.File(os.path.join(folder, "all.h5"), "r") as f:
        assert f.attrs["source"] == "rnnkit", dict(f.attrs)
        for name, want in plain.items():
            same("hdf5/" + name, f[name.replace(".", "/")][()], want)

    weights = os.path.join(folder, "model.weights.h5")
    with h5py.File(weights, "r") as f:
        assert list(f.attrs["layer_names"]) == [b"dense", b"lstm"], f.attrs["layer_names"]
        assert f["layers/dense/vars"].attrs["name"] == "dense"
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.load_weights(weights)
    kernel, bias = model.layers[0].get_weights()
    assert np.array_equal(kernel, np.arange(1, 7, dtype=np.float32).reshape(3, 2)), kernel
    assert np.array_equal(bias, np.array([0.5, -0.5], dtype=np.float32)), bias
    print("numpy, h5py, safetensors and Keras read every file rnnkit wrote")
    shutil.rmtree(folder)


if __name__ == "__main__":
    sys.exit(main())
