"""Shared helpers for scripts/make_fixtures.py: seeding, architecture records
read off torch modules, the container writers, and (from python/rnnkit_fixture.py)
the reference run and the fixture folder writer.

Everything here runs real PyTorch; no expected number is ever typed by hand.
"""

import json
import os
import sys
import zlib
from collections import OrderedDict

import h5py
import numpy as np
import torch
import torch.nn as nn
from safetensors.torch import save_file as save_safetensors

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from rnnkit_fixture import save_fixture, torch_outputs  # noqa: E402

DTYPES = {
    "float32": torch.float32,
    "float64": torch.float64,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
}
NUMPY_NAME = {v: k for k, v in DTYPES.items()}
NUMPY_NAME[torch.int64] = "int64"
NUMPY_NAME[torch.int32] = "int32"

# One key: safetensors keeps __metadata__ in a hash map, so several keys come
# out in a different order on each run.
SAFETENSORS_METADATA = {"format": "pt"}


def seed_for(name):
    """A fixed seed per fixture name, so every fixture is reproducible on its own."""
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def reseed(name):
    seed = seed_for(name)
    torch.manual_seed(seed)
    np.random.seed(seed % (2**32))
    return seed


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


# --- architecture, as PyTorch reports it -----------------------------------

def is_recurrent(module):
    return isinstance(module, (nn.RNNBase, nn.RNNCellBase))


def architecture(name, module, stored_dtype):
    """The `modules` entry of fixture.json, read off the torch module."""
    if isinstance(module, nn.RNNBase):
        mode = "RNN" if module.mode.startswith("RNN_") else module.mode
        record = OrderedDict(
            name=name, mode=mode, kind="layer",
            input_size=module.input_size, hidden_size=module.hidden_size,
            num_layers=module.num_layers, bidirectional=bool(module.bidirectional),
            proj_size=int(getattr(module, "proj_size", 0)), bias=bool(module.bias))
    elif isinstance(module, nn.RNNCellBase):
        mode = {nn.LSTMCell: "LSTM", nn.GRUCell: "GRU", nn.RNNCell: "RNN"}[type(module)]
        record = OrderedDict(
            name=name, mode=mode, kind="cell",
            input_size=module.input_size, hidden_size=module.hidden_size,
            num_layers=1, bidirectional=False, proj_size=0, bias=bool(module.bias))
    else:
        raise TypeError(f"{name}: not a recurrent module")
    record["dtype"] = stored_dtype
    record["parameters"] = sum(p.numel() for p in module.parameters())
    return record


def nonlinearity(module):
    return getattr(module, "nonlinearity", "tanh")


def recurrent_modules(model):
    """(name, module) for every recurrent module inside `model`, root included."""
    return [(n, m) for n, m in model.named_modules() if is_recurrent(m)]


# --- building and running --------------------------------------------------

def make_module(mode, kind="layer", input_size=4, hidden_size=6, num_layers=1,
                bidirectional=False, proj_size=0, bias=True, nonlinearity="tanh",
                batch_first=False):
    if kind == "cell":
        if mode == "LSTM":
            return nn.LSTMCell(input_size, hidden_size, bias=bias)
        if mode == "GRU":
            return nn.GRUCell(input_size, hidden_size, bias=bias)
        return nn.RNNCell(input_size, hidden_size, bias=bias, nonlinearity=nonlinearity)
    common = dict(num_layers=num_layers, bias=bias, batch_first=batch_first,
                  bidirectional=bidirectional)
    if mode == "LSTM":
        return nn.LSTM(input_size, hidden_size, proj_size=proj_size, **common)
    if mode == "GRU":
        return nn.GRU(input_size, hidden_size, **common)
    return nn.RNN(input_size, hidden_size, nonlinearity=nonlinearity, **common)


def round_parameters(module, dtype_name):
    """Rounds every parameter to `dtype_name` and back, in place: the reference
    for weights stored as float16/bfloat16 is PyTorch on the rounded weights."""
    if dtype_name in ("float16", "bfloat16"):
        with torch.no_grad():
            for p in module.parameters():
                p.copy_(p.to(DTYPES[dtype_name]).to(p.dtype))


# The fixture contract's reference run and folder writer live in python/rnnkit_fixture.py,
# the file users copy to make their own fixtures: the project writes its fixtures through it.
run_reference = torch_outputs


# --- containers ------------------------------------------------------------

def to_numpy(tensor, container):
    if tensor.dtype == torch.bfloat16:
        raise ValueError(f"{container} cannot hold bfloat16 (numpy has no bfloat16)")
    return tensor.detach().contiguous().numpy()


def write_hdf5(path, tensors, nested=False, gzip=False):
    """Flat: one dataset per tensor at the root, named as the tensor (dots
    kept). Nested: `a.b.weight` becomes group a, group b, dataset weight."""
    with h5py.File(path, "w", track_order=True) as f:
        for name, tensor in tensors.items():
            key = name.replace(".", "/") if nested else name
            options = dict(chunks=True, compression="gzip", compression_opts=4, shuffle=False) if gzip else {}
            f.create_dataset(key, data=to_numpy(tensor, "HDF5"), track_times=False, **options)


def write_npz(path, tensors, compressed=False):
    arrays = OrderedDict((n, to_numpy(t, "NPZ")) for n, t in tensors.items())
    (np.savez_compressed if compressed else np.savez)(path, **arrays)


def write_npy_directory(path, tensors):
    os.makedirs(path, exist_ok=True)
    for name, tensor in tensors.items():
        np.save(os.path.join(path, name + ".npy"), to_numpy(tensor, "NPY"))


def write_safetensors(path, tensors, metadata=None):
    save_safetensors(OrderedDict((n, t.detach().contiguous()) for n, t in tensors.items()),
                     path, metadata=metadata or SAFETENSORS_METADATA)


def write_pytorch(path, tensors, legacy=False):
    state = OrderedDict((n, t.detach().clone()) for n, t in tensors.items())
    if legacy:
        torch.save(state, path, _use_new_zipfile_serialization=False)
    else:
        torch.save(state, path)


# container name -> (file name, fixture.json "format", writer)
CONTAINERS = {
    "hdf5": ("weights.h5", "hdf5", lambda p, t: write_hdf5(p, t)),
    "hdf5-gzip": ("weights.h5", "hdf5", lambda p, t: write_hdf5(p, t, gzip=True)),
    "hdf5-nested": ("weights.h5", "hdf5", lambda p, t: write_hdf5(p, t, nested=True)),
    "hdf5-nested-gzip": ("weights.h5", "hdf5", lambda p, t: write_hdf5(p, t, nested=True, gzip=True)),
    "npz": ("weights.npz", "npz", lambda p, t: write_npz(p, t)),
    "npz-compressed": ("weights.npz", "npz", lambda p, t: write_npz(p, t, compressed=True)),
    "npy": ("weights", "npy", write_npy_directory),
    "safetensors": ("weights.safetensors", "safetensors", lambda p, t: write_safetensors(p, t)),
    "pytorch": ("weights.pt", "pytorch", None),
    "pytorch-legacy": ("weights_legacy.pt", "pytorch", None),
}

CONTAINER_TEXT = {
    "hdf5": "HDF5, flat (datasets named like the state_dict keys)",
    "hdf5-gzip": "HDF5, flat, chunked + gzip datasets",
    "hdf5-nested": "HDF5, nested groups (a/b/weight_ih_l0)",
    "hdf5-nested-gzip": "HDF5, nested groups, chunked + gzip datasets",
    "npz": "NPZ (np.savez, stored members)",
    "npz-compressed": "NPZ (np.savez_compressed, deflated members)",
    "npy": "directory of .npy files",
    "safetensors": "safetensors (with `__metadata__`)",
    "pytorch": "torch.save zip (the weights.pt twin itself)",
    "pytorch-legacy": "torch.save legacy format (the weights_legacy.pt twin itself)",
}
