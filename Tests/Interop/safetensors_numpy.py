"""Reads safetensors files into numpy arrays without the safetensors package (CI has numpy only).

A safetensors file is an 8-byte little-endian header length, a JSON header naming each tensor's
dtype, shape and byte range, then the data.
"""

import json

import numpy as np

KINDS = {"F16": np.float16, "F32": np.float32, "F64": np.float64, "I32": np.int32, "I64": np.int64}


def read_safetensors(path):
    """The tensors of the safetensors file at `path`, by name (`__metadata__` left out)."""
    with open(path, "rb") as f:
        blob = f.read()
    size = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8:8 + size])
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        data = blob[8 + size + start:8 + size + end]
        tensors[name] = np.frombuffer(data, dtype=KINDS[entry["dtype"]]).reshape(entry["shape"])
    return tensors
