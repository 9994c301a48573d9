#!/usr/bin/env python3
"""Writes the hostile input files of issue 12 into Fixtures/formats/hostile/.

Each file is tiny and attacks one invariant of docs/reliability.md ("Inputs");
Tests/RNNKitCLITests/HostileInputTests.swift gives them to the binary. Files that
need the file system (FIFOs, symlinks) are made by the tests themselves.

    python3 scripts/make_hostile_inputs.py           # numpy, onnx (system python)
    /opt/venv-torch/bin/python scripts/make_hostile_inputs.py --torch   # also the .pt view

Run by hand; CI reads the committed files.
"""
import argparse
import io
import json
import os
import struct
import zipfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures", "formats", "hostile")


def npy(name, descr, fortran, shape):
    """An NPY 1.0 file with no data, whatever the header claims."""
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }" % (
        descr, fortran, "".join(f"{d}, " for d in shape))
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    with open(os.path.join(ROOT, name), "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())


def onnx_model(name, nodes, initializers, hidden=2, r_name="R", w_name="W"):
    """A model whose one RNN node takes W and R from `nodes`/`initializers`."""
    rnn = helper.make_node("RNN", ["X", w_name, r_name], ["Y"], hidden_size=hidden, name="rnn")
    graph = helper.make_graph(
        nodes + [rnn], "hostile",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 1, 2])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)],
        initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)], producer_name="make_hostile_inputs")
    onnx.save(model, os.path.join(ROOT, name))


def ints(name, values):
    return helper.make_tensor(name, TensorProto.INT64, [len(values)], values)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--torch", action="store_true", help="also write the .pt file (needs torch)")
    args = parser.parse_args()
    os.makedirs(ROOT, exist_ok=True)
    r_ok = numpy_helper.from_array(np.zeros((1, 2, 2), np.float32), "R")

    # Item 7: zero-size NPY arrays whose other dimensions overflow (big-endian, Fortran order).
    npy("zero_size_huge_big_endian.npy", ">f4", False, [0, 2**62, 2**62])
    npy("zero_size_huge_fortran.npy", "<f4", True, [2**62, 0, 2**62])

    # Item 7: Reshape whose dims overflow when multiplied.
    w = numpy_helper.from_array(np.zeros((1, 2, 2), np.float32), "w_stored")
    onnx_model("reshape_overflow.onnx",
               [helper.make_node("Reshape", ["w_stored", "shape"], ["W"], name="reshape")],
               [w, ints("shape", [2**40, 2**40, -1]), r_ok])
    # Item 7: Concat of zero-size int8 tensors whose concatenated axis overflows.
    huge = helper.make_tensor("huge", TensorProto.INT8, [0, 2**62], [])
    onnx_model("concat_overflow.onnx",
               [helper.make_node("Concat", ["huge", "huge", "huge"], ["W"], axis=1, name="concat")],
               [huge, r_ok])
    # Item 7: R with zero rows and a huge hidden size.
    r_huge = helper.make_tensor("R", TensorProto.FLOAT, [1, 0, 2**60], [])
    onnx_model("r_zero_rows_huge_hidden.onnx", [],
               [numpy_helper.from_array(np.zeros((1, 2, 2), np.float32), "W"), r_huge])
    # Item 8: doubling Concats (2 KB of nodes asking for gigabytes).
    seed = numpy_helper.from_array(np.zeros((1, 256), np.float32), "d0")
    nodes = [helper.make_node("Concat", [f"d{i}", f"d{i}"], [f"d{i + 1}"], axis=1, name=f"double{i}") for i in range(30)]
    nodes.append(helper.make_node("Reshape", ["d30", "shape"], ["W"], name="reshape"))
    onnx_model("doubling_concat.onnx", nodes, [seed, ints("shape", [1, 2, -1]), r_ok])
    # Item 3: external data the tests point at a symlink.
    external = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[1, 2, 2])
    external.data_location = TensorProto.EXTERNAL
    for key, value in {"location": "weights.bin", "offset": "0", "length": "16"}.items():
        entry = external.external_data.add()
        entry.key, entry.value = key, value
    onnx_model("external_weights.onnx", [], [external, r_ok])

    # Item 13: names that forge error lines and drive the terminal.
    forged = "w\nrnnkit: error: forged line"
    escape = "\x1b[2J\x1b[31mred"
    header = json.dumps({forged: {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                         escape: {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}).encode()
    with open(os.path.join(ROOT, "control_names.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + bytes(16))
    header = json.dumps({forged: {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}).encode()
    with open(os.path.join(ROOT, "control_name_truncated.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + bytes(8))

    # Items 9 and 14: .keras archives whose config.json is too large or too deep.
    def keras(name, config, compress):
        with zipfile.ZipFile(os.path.join(ROOT, name), "w", compression=compress) as archive:
            archive.writestr("config.json", config)
            archive.writestr("metadata.json", json.dumps({"keras_version": "3.0.0"}))
            archive.writestr("model.weights.h5", b"")
    keras("config_bomb.keras", b"{" + b" " * (65 << 20) + b"}", zipfile.ZIP_DEFLATED)
    keras("config_too_deep.keras", b"[" * 100000 + b"]" * 100000, zipfile.ZIP_DEFLATED)

    # Item 9: a .keras whose model.weights.h5 is a decompression bomb: a real
    # model's config.json and metadata.json, and 68 MiB of zeros deflated to
    # 68 KB (1000:1, past the 100:1 rnnkit allows above 64 MiB; gigabytes
    # would need megabytes of deflate). rnnkit must refuse it before inflating.
    with zipfile.ZipFile(os.path.join(ROOT, "..", "..", "keras", "simple_rnn", "model.keras")) as source:
        real = {name: source.read(name) for name in ("config.json", "metadata.json")}
    with zipfile.ZipFile(os.path.join(ROOT, "weights_bomb.keras"), "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in real.items():
            archive.writestr(name, data)
        archive.writestr("model.weights.h5", bytes(68 << 20), compresslevel=9)

    # Item 13: a layer name holding a newline, printed in a `convert` note.
    with zipfile.ZipFile(os.path.join(ROOT, "..", "..", "keras", "simple_rnn", "model.keras")) as source:
        members = {name: source.read(name) for name in source.namelist()}
    config = json.loads(members["config.json"])
    layer = config["config"]["layers"][1]["config"]
    layer["name"], layer["return_sequences"] = "rnn\nnote: forged", False
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(os.path.join(ROOT, "newline_layer_name.keras"), "w") as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)

    if args.torch:
        import torch
        # Item 8: a 4-byte storage seen as a 64 GiB float32 tensor (stride 0).
        view = torch.zeros(1).expand(2**34)
        torch.save({"weight_ih_l0": view}, os.path.join(ROOT, "stride0_view.pt"))
    for name in sorted(os.listdir(ROOT)):
        print(f"{name}: {os.path.getsize(os.path.join(ROOT, name))} bytes")


if __name__ == "__main__":
    main()
