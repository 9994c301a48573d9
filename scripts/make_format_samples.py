#!/usr/bin/env python3
"""Writes Fixtures/formats/: small sample files of every container rnnkit reads,
written by the reference Python libraries (numpy, h5py, safetensors), plus
`formats.json`, the sidecar the Swift tests compare against.

Run by hand (never in CI): `python3 scripts/make_format_samples.py`.
Needs numpy, h5py, safetensors and ml_dtypes (for bfloat16).

formats.json:
  "values": {key: {"dtype": numpy name, "shape": [...], "values": [C-order flat list]}}
  "files":  {relative path: {"format": container, "tensors": {name in file: values key},
                             "other": [names of non-tensor items], "metadata": {str: str}}}
Every tensor the reader returns for a listed file must be listed, and its
values must equal values[key]; "order", when present, is the order of the
tensors in the file.
"""
import json
import os
import shutil
import zipfile

import h5py
import ml_dtypes
import numpy as np
from safetensors.numpy import save_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures", "formats")
rng = np.random.default_rng(20240601)


def normal(shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


def base_arrays():
    """The logical arrays (C order, native byte order) every sample is built from."""
    f16 = np.concatenate([
        rng.standard_normal(7),
        [65504.0, -65504.0, 6e-08, 0.0, -0.0],  # max, min, smallest subnormal, ±0
    ]).astype(np.float16).reshape(3, 4)
    return {
        "f16_2d": f16,
        "f32_0d": np.array(1.5, dtype=np.float32),
        "f32_1d": normal((5,), np.float32),
        "f32_2d": normal((3, 4), np.float32),
        "f32_3d": normal((2, 3, 4), np.float32),
        "f32_4d": normal((2, 1, 3, 2), np.float32),
        "f32_empty": np.zeros((0, 3), dtype=np.float32),
        "f64_2d": normal((4, 3), np.float64),
        "i1_1d": np.array([-128, -1, 0, 1, 127], dtype=np.int8),
        "u1_1d": np.array([0, 1, 128, 255], dtype=np.uint8),
        "i2_1d": np.array([-32768, -2, 0, 3, 32767], dtype=np.int16),
        "i4_2d": np.array([[-(2**31), -7, 0], [5, 2**31 - 1, 42]], dtype=np.int32),
        "i8_2d": np.array([[-(2**62), -1], [0, 2**53 + 1]], dtype=np.int64),
        "b1_2d": np.array([[True, False, True], [False, False, True]]),
    }


def values_entry(array):
    name = "bfloat16" if array.dtype == ml_dtypes.bfloat16 else array.dtype.name
    flat = array.reshape(-1)
    if array.dtype == ml_dtypes.bfloat16 or array.dtype.kind == "f":
        values = [float(v) for v in flat.astype(np.float64)]
    elif array.dtype.kind == "b":
        values = [int(v) for v in flat]
    else:
        values = [int(v) for v in flat]
    return {"dtype": name, "shape": list(array.shape), "values": values}


def reset(path):
    if os.path.isdir(path):
        shutil.rmtree(path)
    os.makedirs(path)


def write_npy(arrays, values, files):
    """npy/: one v1 C-order file per array; npy_variants/: the same values in
    other layouts (Fortran order, big-endian, format versions 2.0 and 3.0)."""
    folder = os.path.join(ROOT, "npy")
    reset(folder)
    for name, array in arrays.items():
        path = os.path.join(folder, name + ".npy")
        np.save(path, array)
        files["npy/" + name + ".npy"] = {"format": "npy", "tensors": {name: name}}
    files["npy"] = {"format": "npy", "tensors": {name: name for name in arrays}, "order": sorted(arrays)}

    folder = os.path.join(ROOT, "npy_variants")
    reset(folder)
    variants = {
        "f32_2d__fortran": np.asfortranarray(arrays["f32_2d"]),
        "f32_3d__fortran": np.asfortranarray(arrays["f32_3d"]),
        "f32_4d__fortran": np.asfortranarray(arrays["f32_4d"]),
        "f64_2d__fortran": np.asfortranarray(arrays["f64_2d"]),
        "f32_2d__be": arrays["f32_2d"].astype(">f4"),
        "f64_2d__be": arrays["f64_2d"].astype(">f8"),
        "i4_2d__be": arrays["i4_2d"].astype(">i4"),
        "i8_2d__be": arrays["i8_2d"].astype(">i8"),
        "f16_2d__be": arrays["f16_2d"].astype(">f2"),
        "f64_2d__be_fortran": np.asfortranarray(arrays["f64_2d"].astype(">f8")),
        "f32_0d__be": arrays["f32_0d"].astype(">f4"),
    }
    for name, array in variants.items():
        np.save(os.path.join(folder, name + ".npy"), array)
        values[name] = values_entry(array)
        files["npy_variants/" + name + ".npy"] = {"format": "npy", "tensors": {name: name}}
    for version in [(2, 0), (3, 0)]:
        name = "f32_3d__v%d" % version[0]
        with open(os.path.join(folder, name + ".npy"), "wb") as handle:
            np.lib.format.write_array(handle, arrays["f32_3d"], version=version)
        values[name] = values_entry(arrays["f32_3d"])
        files["npy_variants/" + name + ".npy"] = {"format": "npy", "tensors": {name: name}}
    return variants


def write_npz(arrays, variants, files):
    folder = os.path.join(ROOT, "npz")
    reset(folder)
    everything = dict(arrays)
    everything.update(variants)
    listing = {name: name for name in everything}
    np.savez(os.path.join(folder, "stored.npz"), **everything)
    files["npz/stored.npz"] = {"format": "npz", "tensors": listing, "order": list(everything)}
    np.savez_compressed(os.path.join(folder, "deflated.npz"), **everything)
    files["npz/deflated.npz"] = {"format": "npz", "tensors": listing, "order": list(everything)}

    # numpy always writes ZIP64 local headers (force_zip64); lowering zipfile's
    # limits makes it also write ZIP64 central-directory fields and the ZIP64
    # end-of-central-directory record, as it does for archives over 4 GiB.
    small = {name: arrays[name] for name in ["f32_2d", "f64_2d", "i8_2d", "f16_2d"]}
    saved = (zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT)
    zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = 0, 0
    try:
        np.savez(os.path.join(folder, "zip64_stored.npz"), **small)
        np.savez_compressed(os.path.join(folder, "zip64_deflated.npz"), **small)
    finally:
        zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = saved
    for name in ["zip64_stored.npz", "zip64_deflated.npz"]:
        with open(os.path.join(folder, name), "rb") as handle:
            assert b"PK\x06\x06" in handle.read(), "no ZIP64 end record in " + name
        files["npz/" + name] = {"format": "npz", "tensors": {k: k for k in small}, "order": list(small)}

    # A member that is not an array, and names as an RNN export has them.
    path = os.path.join(folder, "mixed.npz")
    np.savez(path, **{"encoder.lstm.weight_ih_l0": arrays["f32_2d"], "encoder.lstm.bias_ih_l0": arrays["f32_1d"]})
    with zipfile.ZipFile(path, "a") as archive:
        # A fixed date keeps the sample byte-identical across runs, like numpy's members.
        archive.writestr(zipfile.ZipInfo("README.txt", date_time=(1980, 1, 1, 0, 0, 0)), "not an array\n")
    files["npz/mixed.npz"] = {
        "format": "npz",
        "tensors": {"encoder.lstm.weight_ih_l0": "f32_2d", "encoder.lstm.bias_ih_l0": "f32_1d"},
        "other": ["README.txt"], "order": ["encoder.lstm.weight_ih_l0", "encoder.lstm.bias_ih_l0"],
    }
    for name in ["stored.npz", "deflated.npz", "zip64_stored.npz", "zip64_deflated.npz", "mixed.npz"]:
        with np.load(os.path.join(folder, name)) as loaded:
            assert len(loaded.files) > 0


def write_hdf5(arrays, files):
    folder = os.path.join(ROOT, "hdf5")
    reset(folder)
    path = os.path.join(folder, "nested.h5")
    tensors = {}
    with h5py.File(path, "w") as f:
        f.attrs["description"] = "rnnkit format sample"
        f.attrs["version"] = 3  # not a string: not metadata
        placements = {
            "encoder/lstm/weight_ih_l0": "f32_2d",
            "encoder/lstm/bias_ih_l0": "f32_1d",
            "a/b/c/f16_2d": "f16_2d",
            "f64_2d": "f64_2d",
            "f32_0d": "f32_0d",
            "f32_3d": "f32_3d",
            "f32_4d": "f32_4d",
            "f32_empty": "f32_empty",
            "ints/i1_1d": "i1_1d",
            "ints/u1_1d": "u1_1d",
            "ints/i2_1d": "i2_1d",
            "ints/i4_2d": "i4_2d",
            "ints/i8_2d": "i8_2d",
            "b1_2d": "b1_2d",
        }
        for where, key in placements.items():
            f.create_dataset(where, data=arrays[key])
            tensors[where.replace("/", ".")] = key
        f.create_dataset("big_endian/f64_2d", data=arrays["f64_2d"].astype(">f8"))
        tensors["big_endian.f64_2d"] = "f64_2d"
        f.create_dataset("big_endian/f32_2d", data=arrays["f32_2d"].astype(">f4"))
        tensors["big_endian.f32_2d"] = "f32_2d"
        f["encoder"].attrs["note"] = "a group attribute"
        f.create_dataset("notes/text", data=np.array([b"hello", b"world"]))
        f.create_dataset("notes/table", data=np.array([(1, 2.0)], dtype=[("a", "<i4"), ("b", "<f8")]))
        f.create_group("empty_group")
    files["hdf5/nested.h5"] = {
        "format": "hdf5", "tensors": tensors, "other": ["notes.table", "notes.text"],
        "metadata": {"description": "rnnkit format sample"},
    }

    path = os.path.join(folder, "chunked.h5")
    tensors = {}
    with h5py.File(path, "w") as f:
        for key, chunks in [("f32_3d", (1, 3, 2)), ("f64_2d", (2, 2)), ("f16_2d", (3, 1)), ("i8_2d", (1, 2))]:
            f.create_dataset("deep/" + key, data=arrays[key], chunks=chunks, compression="gzip",
                             compression_opts=6, shuffle=True)
            tensors["deep." + key] = key
        f.create_dataset("plain_chunked", data=arrays["f32_2d"], chunks=(2, 2))
        tensors["plain_chunked"] = "f32_2d"
    files["hdf5/chunked.h5"] = {"format": "hdf5", "tensors": tensors}

    # Data kept outside the file: raw external storage and a virtual dataset.
    # rnnkit lists them but never follows them to other files.
    path = os.path.join(folder, "elsewhere.h5")
    raw = os.path.join(folder, "elsewhere.bin")
    arrays["f32_2d"].tofile(raw)
    with h5py.File(path, "w") as f:
        f.create_dataset("inside", data=arrays["f32_1d"])
        f.create_dataset("external", shape=(3, 4), dtype="<f4", external=[("elsewhere.bin", 0, 48)])
        layout = h5py.VirtualLayout(shape=(5,), dtype="<f4")
        layout[:] = h5py.VirtualSource(".", "inside", shape=(5,))
        f.create_virtual_dataset("virtual", layout)
    files["hdf5/elsewhere.h5"] = {"format": "hdf5", "tensors": {"inside": "f32_1d"}, "other": ["external", "virtual"]}

    # A valid file whose chunked dataset was never written: 64 MiB of fill
    # values in 8-byte chunks. Not listed in formats.json: rnnkit lists the
    # tensor but refuses to read it (see HDF5Tests).
    with h5py.File(os.path.join(folder, "unwritten.h5"), "w") as f:
        f.create_dataset("big", shape=(4096, 4096), dtype="<f4", chunks=(1, 2))


def write_hdf5_opaque(values, files):
    """hdf5/opaque.h5: bfloat16 data as Keras 3 saves it (h5py stores an
    ml_dtypes.bfloat16 array as a 2-byte opaque type; Keras tags the dataset
    with the string attribute dtype="bfloat16"), and opaque datasets that must
    not be read as bfloat16: a 4-byte one tagged bfloat16, an untagged 2-byte
    one, a 2-byte one tagged float16. Fixed values: the shared generator's
    draws stay as they were."""
    bf16 = np.array([[1.0, -2.5, 3.140625, -0.0],
                     [3.3895313892515355e38, 9.183549615799121e-41, -1e-3, 448.0]]).astype(ml_dtypes.bfloat16)
    values["bf16_opaque_2d"] = values_entry(bf16)
    with h5py.File(os.path.join(ROOT, "hdf5", "opaque.h5"), "w") as f:
        f.create_dataset("keras/vars/0", data=bf16).attrs["dtype"] = "bfloat16"
        f.create_dataset("keras/chunked", data=bf16, chunks=(1, 2), compression="gzip").attrs["dtype"] = "bfloat16"
        f.create_dataset("tagged_4_bytes", data=np.arange(6, dtype="<f4").view("V4")).attrs["dtype"] = "bfloat16"
        f.create_dataset("untagged_2_bytes", data=bf16)
        f.create_dataset("tagged_float16", data=bf16).attrs["dtype"] = "float16"
    files["hdf5/opaque.h5"] = {
        "format": "hdf5", "tensors": {"keras.vars.0": "bf16_opaque_2d", "keras.chunked": "bf16_opaque_2d"},
        "other": ["tagged_4_bytes", "untagged_2_bytes", "tagged_float16"],
    }


def write_safetensors(arrays, values, files):
    folder = os.path.join(ROOT, "safetensors")
    reset(folder)
    bf16 = np.concatenate([rng.standard_normal(5), [1.0, -3.0, 0.0]]).astype(ml_dtypes.bfloat16).reshape(2, 4)
    values["bf16_2d"] = values_entry(bf16)
    keys = ["f16_2d", "f32_0d", "f32_2d", "f32_3d", "f32_empty", "f64_2d",
            "i1_1d", "u1_1d", "i2_1d", "i4_2d", "i8_2d", "b1_2d"]
    content = {key: arrays[key] for key in keys}
    content["bf16_2d"] = bf16
    content["model.rnn.weight_hh_l0"] = arrays["f32_3d"].reshape(6, 4)
    values["f32_3d__6x4"] = values_entry(arrays["f32_3d"].reshape(6, 4))
    metadata = {"format": "pt", "source": "rnnkit format samples"}
    save_file(content, os.path.join(folder, "all_dtypes.safetensors"), metadata=metadata)
    listing = {key: key for key in content}
    listing["model.rnn.weight_hh_l0"] = "f32_3d__6x4"
    files["safetensors/all_dtypes.safetensors"] = {"format": "safetensors", "tensors": listing, "metadata": metadata}

    save_file({"f32_2d": arrays["f32_2d"]}, os.path.join(folder, "no_metadata.safetensors"))
    files["safetensors/no_metadata.safetensors"] = {"format": "safetensors", "tensors": {"f32_2d": "f32_2d"}}


def main():
    os.makedirs(ROOT, exist_ok=True)
    arrays = base_arrays()
    values = {name: values_entry(array) for name, array in arrays.items()}
    files = {}
    variants = write_npy(arrays, values, files)
    write_npz(arrays, variants, files)
    write_hdf5(arrays, files)
    write_hdf5_opaque(values, files)
    write_safetensors(arrays, values, files)
    manifest = {
        "generator": "scripts/make_format_samples.py",
        "numpy": np.__version__, "h5py": h5py.__version__, "hdf5": h5py.version.hdf5_version,
        "values": values, "files": files,
    }
    with open(os.path.join(ROOT, "formats.json"), "w") as handle:
        json.dump(manifest, handle, indent=1, sort_keys=True)
        handle.write("\n")
    print("wrote", ROOT)


if __name__ == "__main__":
    main()
