"""Write your own rnnkit fixtures: a folder `rnnkit verify` checks rnnkit against.

A fixture is a weight file, the input your framework was given and the outputs it
returned (the format is described in rnnkit's Fixtures/README.md and docs/engine.md).
Copy this one file next to your code; it needs numpy only (h5py for `.h5` weights,
torch for `save_torch_fixture`, which imports it when called).

    from rnnkit_fixture import save_torch_fixture
    lstm = torch.nn.LSTM(8, 16, num_layers=2)
    save_torch_fixture("my_lstm", lstm, torch.randn(10, 3, 8))
    # then:  rnnkit verify my_lstm

or, with outputs you computed elsewhere (names as PyTorch's state_dict spells them):

    from rnnkit_fixture import save_fixture
    save_fixture("my_gru", state_dict, x, {"output": y, "h_n": h_n})
"""

import json
import os
import shutil
import struct
from collections import OrderedDict

import numpy as np

__all__ = ["save_fixture", "save_torch_fixture", "torch_outputs", "module_records"]

# numpy dtype name -> safetensors dtype name
_SAFETENSORS_DTYPES = {
    "float64": "F64", "float32": "F32", "float16": "F16", "bfloat16": "BF16",
    "int64": "I64", "int32": "I32", "int16": "I16", "int8": "I8", "uint8": "U8", "bool": "BOOL",
}
# weights_format -> (file or folder name, fixture.json "format")
_WEIGHTS = {
    "safetensors": ("weights.safetensors", "safetensors"),
    "npz": ("weights.npz", "npz"),
    "h5": ("weights.h5", "hdf5"),
    "npy": ("weights", "npy"),
}
_OUTPUT_NAMES = ("output", "h_n", "c_n")
_FILES = ("fixture.json", "input.npy", "lengths.npy", "h0.npy", "c0.npy", "expected.npz")


def save_fixture(folder, state_dict, input, outputs, *, module=None, lengths=None, h0=None, c0=None,
                 batch_first=False, nonlinearity="tanh", weights_format="safetensors",
                 description=None, renames=(), manifest=None, overwrite=False):
    """Writes a fixture folder from numpy arrays; returns the fixture.json contents.

    folder: created if missing; it must be empty unless `overwrite` (then only the
        fixture's own files are replaced).
    state_dict: name -> array, PyTorch's names (`lstm.weight_ih_l0`, …), or the file's
        own names with `renames` ("OLD=NEW", as `rnnkit run --rename` takes them).
    input: the input exactly as the module was given it, (T, B, F), or (B, T, F) when
        `batch_first`; float32 or float64.
    outputs: {"output", "h_n", "c_n" (LSTM only)} -> array, or the tuple
        (output, h_n[, c_n]), as PyTorch returns them (`output` batch-first when
        `batch_first`; the states never are).
    module: the module the outputs are for ("" = the root); None when the file holds one.
    lengths: each sequence's length (the outputs must come from a packed batch, zero past
        each length); h0/c0: initial states, (num_layers*directions, B, width).
    nonlinearity: "tanh" or "relu" (an nn.RNN's; LSTM and GRU are "tanh").
    weights_format: "safetensors" (written here, no package needed), "npz", "h5" (needs
        h5py) or "npy" (a folder of .npy files). A tuple (file name, format name, writer)
        lets a caller write the weights itself: writer(path) or None when it already did.
    description: one line for `rnnkit verify` to show.
    manifest: extra fixture.json entries (replacing the ones written here, keeping their place).
    """
    outputs = _named_outputs(outputs)
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"nonlinearity must be 'tanh' or 'relu', not {nonlinearity!r}")
    _prepare(folder, weights_format, overwrite)
    weights, fmt = _write_weights(folder, state_dict, weights_format)

    np.save(os.path.join(folder, "input.npy"), np.asarray(input))
    inputs = OrderedDict(input="input.npy", lengths=None, h0=None, c0=None)
    for key, value in (("lengths", lengths), ("h0", h0), ("c0", c0)):
        if value is not None:
            array = np.asarray(value, dtype=np.int64) if key == "lengths" else np.asarray(value)
            inputs[key] = f"{key}.npy"
            np.save(os.path.join(folder, inputs[key]), array)
    np.savez(os.path.join(folder, "expected.npz"), **outputs)

    fixture = OrderedDict(
        description=description or "written by rnnkit_fixture.save_fixture",
        weights=weights, format=fmt, module=module, renames=list(renames),
        flags=OrderedDict(batch_first=bool(batch_first), nonlinearity=nonlinearity),
        inputs=inputs)
    extra = OrderedDict(manifest or {})
    if "modules" not in extra:
        records = _recurrent_modules(state_dict)
        owned = {k for _, keys in records for k in keys}
        fixture["modules"] = [record for record, _ in records]
        fixture["other_tensors"] = [n for n in state_dict if n not in owned]
    fixture.update((k, extra.pop(k)) for k in list(extra) if k in fixture)
    for key in ("modules", "other_tensors"):
        if key in extra:
            fixture[key] = extra.pop(key)
    fixture["shapes"] = OrderedDict((k, list(v.shape)) for k, v in outputs.items())
    fixture.update(extra)
    with open(os.path.join(folder, "fixture.json"), "w", encoding="utf-8") as f:
        json.dump(fixture, f, indent=2, ensure_ascii=False)
        f.write("\n")
    return fixture


def save_torch_fixture(folder, model, input, *, module=None, lengths=None, h0=None, c0=None,
                       batch_first=None, nonlinearity=None, weights_format="safetensors", **kwargs):
    """Runs a torch model's recurrent module in eval mode and saves the fixture.

    model: an nn.RNN/GRU/LSTM (or a cell), or a model holding one; the weights file is
        `model.state_dict()`. module: the recurrent module's name inside `model`
        (None: `model` itself if recurrent, else its only recurrent module).
    input, lengths, h0, c0: tensors or arrays; with `lengths` the batch is packed with
        pack_padded_sequence(enforce_sorted=False) and unpacked to the input's length.
    batch_first, nonlinearity: None takes the module's own. Other keywords go to `save_fixture`.
    """
    import torch

    name, recurrent = _find_recurrent(model, module)
    as_tensor = lambda a: None if a is None else (a if isinstance(a, torch.Tensor) else torch.from_numpy(np.asarray(a)))
    x, h, c = as_tensor(input), as_tensor(h0), as_tensor(c0)
    lens = None if lengths is None else torch.as_tensor(np.asarray(lengths, dtype=np.int64))
    if batch_first is None:
        batch_first = bool(getattr(recurrent, "batch_first", False))
    outputs = torch_outputs(recurrent, x, lens, h, c, batch_first)
    state = OrderedDict((k, v.detach().cpu().numpy()) for k, v in model.state_dict().items())
    return save_fixture(folder, state, x.detach().cpu().numpy(), outputs, module=name,
                        lengths=None if lens is None else lens.numpy(),
                        h0=None if h is None else h.numpy(), c0=None if c is None else c.numpy(),
                        batch_first=batch_first,
                        nonlinearity=nonlinearity or getattr(recurrent, "nonlinearity", "tanh"),
                        weights_format=weights_format, **kwargs)


def torch_outputs(module, x, lengths=None, h0=None, c0=None, batch_first=False):
    """Runs a torch recurrent module as the fixture contract says (eval mode, no grad;
    the module's training flag is restored afterwards);
    returns an ordered dict of numpy arrays: output, h_n and (LSTM) c_n.

    Cells run over the sequence step by step (h0/c0 given as (1, B, H)); layers run
    packed (pack_padded_sequence(enforce_sorted=False), pad_packed_sequence to the
    input's length) when `lengths` is given.
    """
    training = module.training
    module.eval()
    try:
        return _run(module, x, lengths, h0, c0, batch_first)
    finally:
        module.train(training)


def _run(module, x, lengths, h0, c0, batch_first):
    import torch
    import torch.nn as nn
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    with torch.no_grad():
        if isinstance(module, nn.RNNCellBase):
            assert lengths is None and not batch_first
            lstm = isinstance(module, nn.LSTMCell)
            h = h0[0] if h0 is not None else None
            c = c0[0] if c0 is not None else None
            if lstm and h is not None and c is None:
                c = torch.zeros_like(h)
            if lstm and c is not None and h is None:
                h = torch.zeros_like(c)
            steps = []
            for t in range(x.shape[0]):
                if lstm:
                    h, c = module(x[t], None if h is None else (h, c))
                else:
                    h = module(x[t], h)
                steps.append(h)
            result = OrderedDict(output=torch.stack(steps), h_n=h.unsqueeze(0))
            if lstm:
                result["c_n"] = c.unsqueeze(0)
            return OrderedDict((k, v.numpy()) for k, v in result.items())

        lstm = isinstance(module, nn.LSTM)
        hx = h0
        if lstm:
            hx = None
            if h0 is not None or c0 is not None:
                directions = 2 if module.bidirectional else 1
                batch = x.shape[0] if batch_first else x.shape[1]
                real = module.proj_size or module.hidden_size
                zeros = lambda width: torch.zeros(module.num_layers * directions, batch, width, dtype=x.dtype)
                hx = (h0 if h0 is not None else zeros(real), c0 if c0 is not None else zeros(module.hidden_size))
        steps = x.shape[1] if batch_first else x.shape[0]
        if lengths is not None:
            packed = pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=False)
            packed_out, state = module(packed, hx)
            output, _ = pad_packed_sequence(packed_out, batch_first=batch_first, total_length=steps)
        else:
            output, state = module(x, hx)
        result = OrderedDict(output=output)
        if lstm:
            result["h_n"], result["c_n"] = state
        else:
            result["h_n"] = state
        return OrderedDict((k, v.numpy()) for k, v in result.items())


def module_records(state_dict):
    """fixture.json's `modules`: every recurrent module the names and shapes show
    (`<prefix>weight_ih_l0` + `weight_hh_l0` for a layer stack, `weight_ih` + `weight_hh`
    for a cell), with the sizes PyTorch's constructor takes."""
    return [record for record, _ in _recurrent_modules(state_dict)]


def _recurrent_modules(state_dict):
    """(record, the module's own tensor names) for every recurrent module in `state_dict`."""
    shapes = OrderedDict((k, tuple(np.shape(v))) for k, v in state_dict.items())
    records = []
    for key in shapes:
        for suffix, kind in (("weight_ih_l0", "layer"), ("weight_ih", "cell")):
            if not key.endswith(suffix):
                continue
            prefix = key[: -len(suffix)]
            name = prefix[:-1] if prefix.endswith(".") else prefix
            if prefix and not prefix.endswith("."):
                continue
            tail = "_l0" if kind == "layer" else ""
            hh = shapes.get(f"{prefix}weight_hh{tail}")
            if hh is None or len(hh) != 2 or len(shapes[key]) != 2:
                continue
            hr = shapes.get(f"{prefix}weight_hr_l0") if kind == "layer" else None
            hidden = hr[1] if hr else hh[1]
            gates = shapes[key][0] // hidden if hidden else 0
            mode = {1: "RNN", 3: "GRU", 4: "LSTM"}.get(gates)
            if mode is None:
                continue
            layers = 1
            while kind == "layer" and f"{prefix}weight_ih_l{layers}" in shapes:
                layers += 1
            own = [k for k in shapes if k.startswith(prefix) and "." not in k[len(prefix):]
                   and k[len(prefix):].split("_l")[0] in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")]
            records.append((OrderedDict(
                name=name, mode=mode, kind=kind, input_size=shapes[key][1], hidden_size=hidden,
                num_layers=layers, bidirectional=f"{prefix}weight_ih_l0_reverse" in shapes,
                proj_size=hr[0] if hr else 0, bias=f"{prefix}bias_ih{tail}" in shapes,
                dtype=str(np.asarray(state_dict[key]).dtype),
                parameters=int(sum(int(np.prod(shapes[k])) for k in own))), own))
    return records


# --- helpers -----------------------------------------------------------------

def _named_outputs(outputs):
    if isinstance(outputs, dict):
        unknown = set(outputs) - set(_OUTPUT_NAMES)
        if unknown or "output" not in outputs or "h_n" not in outputs:
            raise ValueError(f"outputs needs 'output' and 'h_n' (and 'c_n' for an LSTM), got {sorted(outputs)}")
        items = [(k, outputs[k]) for k in _OUTPUT_NAMES if k in outputs]
    else:
        if len(outputs) not in (2, 3):
            raise ValueError("outputs is (output, h_n) or (output, h_n, c_n)")
        items = list(zip(_OUTPUT_NAMES, outputs))
    return OrderedDict((k, np.asarray(v)) for k, v in items)


def _prepare(folder, weights_format, overwrite):
    if os.path.isdir(folder) and os.listdir(folder) and not overwrite:
        raise FileExistsError(f"{folder} is not empty; pass overwrite=True to replace the fixture's files in it")
    os.makedirs(folder, exist_ok=True)
    weights = weights_format[0] if isinstance(weights_format, tuple) else _WEIGHTS.get(weights_format, ("",))[0]
    for name in _FILES + ((weights,) if weights else ()):
        path = os.path.join(folder, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        elif os.path.lexists(path):
            os.remove(path)


def _write_weights(folder, state_dict, weights_format):
    if isinstance(weights_format, tuple):
        name, fmt, writer = weights_format
        if writer is not None:
            writer(os.path.join(folder, name))
        return name, fmt
    if weights_format not in _WEIGHTS:
        raise ValueError(f"weights_format must be one of {', '.join(_WEIGHTS)}, not {weights_format!r}")
    name, fmt = _WEIGHTS[weights_format]
    path = os.path.join(folder, name)
    arrays = OrderedDict((k, np.ascontiguousarray(v)) for k, v in state_dict.items())
    if weights_format == "safetensors":
        _write_safetensors(path, arrays)
    elif weights_format == "npz":
        np.savez(path, **arrays)
    elif weights_format == "h5":
        import h5py
        with h5py.File(path, "w", track_order=True) as f:
            for key, array in arrays.items():
                f.create_dataset(key, data=array, track_times=False)
    else:
        os.makedirs(path, exist_ok=True)
        for key, array in arrays.items():
            np.save(os.path.join(path, key + ".npy"), array)
    return name, fmt


def _write_safetensors(path, arrays):
    """The safetensors layout: an 8-byte little-endian header length, a JSON header
    (name -> dtype, shape, data_offsets), padded with spaces to 8 bytes, then the data."""
    header, offset = OrderedDict(), 0
    for key, array in arrays.items():
        dtype = _SAFETENSORS_DTYPES.get(array.dtype.name)
        if dtype is None:
            raise ValueError(f"{key}: safetensors cannot hold {array.dtype}")
        header[key] = OrderedDict(dtype=dtype, shape=list(array.shape),
                                  data_offsets=[offset, offset + array.nbytes])
        offset += array.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for array in arrays.values():
            if array.dtype.byteorder == ">":
                array = array.astype(array.dtype.newbyteorder("<"))
            f.write(array.tobytes())


def _find_recurrent(model, module):
    import torch.nn as nn

    recurrent = (nn.RNNBase, nn.RNNCellBase)
    if module is not None:
        return module, model.get_submodule(module)
    if isinstance(model, recurrent):
        return "", model
    found = [(n, m) for n, m in model.named_modules() if isinstance(m, recurrent)]
    if len(found) != 1:
        raise ValueError(f"the model holds {len(found)} recurrent modules; name one with module= "
                         f"({', '.join(n for n, _ in found)})")
    return found[0]
