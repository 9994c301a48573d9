"""Fixtures/problems/: weight files made from real torch modules and then
damaged, one container each, for the inspector's diagnostics. problems.json
names, per file, the tensors the inspector must (and may) report."""

import os
import shutil
from collections import OrderedDict

import torch
import torch.nn as nn

from fixturegen.common import (
    architecture, reseed, write_hdf5, write_json, write_npy_directory, write_npz,
    write_pytorch, write_safetensors)
from fixturegen.module_fixtures import wrap


def prefixed(prefix, state):
    return OrderedDict((f"{prefix}.{k}" if prefix else k, v.detach().clone()) for k, v in state.items())


def entry(file, fmt, module_name, source, damage, must, may=(), healthy=()):
    return OrderedDict(
        file=file, format=fmt, module=module_name,
        source_module=architecture(module_name, source, "float32"),
        damage=damage, must_report=list(must), may_report=list(may),
        healthy_modules=list(healthy))


def missing_reverse(folder):
    reseed("problem_missing_reverse")
    lstm = nn.LSTM(4, 5, num_layers=2, bidirectional=True)
    state = prefixed("encoder", lstm.state_dict())
    del state["encoder.weight_hh_l1_reverse"]
    write_hdf5(os.path.join(folder, "missing_reverse.h5"), state)
    return entry("missing_reverse.h5", "hdf5", "encoder", lstm,
                 "bidirectional 2-layer LSTM with encoder.weight_hh_l1_reverse deleted",
                 ["encoder.weight_hh_l1_reverse"])


def misshaped(folder):
    reseed("problem_misshaped")
    gru = nn.GRU(3, 5, num_layers=2)
    state = prefixed("gru", gru.state_dict())
    state["gru.weight_ih_l1"] = state["gru.weight_ih_l1"].t().contiguous()
    write_npz(os.path.join(folder, "misshaped.npz"), state)
    return entry("misshaped.npz", "npz", "gru", gru,
                 "2-layer GRU (hidden 5) whose gru.weight_ih_l1 is stored transposed: (5, 15) instead of (15, 5)",
                 ["gru.weight_ih_l1"])


def mixed_dtypes(folder):
    reseed("problem_mixed_dtypes")
    lstm = nn.LSTM(4, 6, num_layers=2)
    state = prefixed("", lstm.state_dict())
    state["bias_hh_l1"] = state["bias_hh_l1"].to(torch.float16)
    write_safetensors(os.path.join(folder, "mixed_dtypes.safetensors"), state)
    return entry("mixed_dtypes.safetensors", "safetensors", "", lstm,
                 "root 2-layer LSTM, float32 except bias_hh_l1 stored as float16",
                 ["bias_hh_l1"])


def layers_disagree(folder):
    reseed("problem_layers_disagree")
    gru = nn.GRU(4, 6, num_layers=2)
    other = nn.GRU(6, 5)  # a layer with hidden 5 that reads layer 0's 6 outputs
    state = prefixed("rnn", gru.state_dict())
    for key, value in other.state_dict().items():
        state["rnn." + key.replace("_l0", "_l1")] = value.detach().clone()
    write_npy_directory(os.path.join(folder, "layers_disagree"), state)
    return entry("layers_disagree", "npy", "rnn", gru,
                 "2-layer GRU whose layer 1 comes from a GRU with hidden_size 5 (layer 0 has 6); "
                 "hidden_size is read from weight_hh, so rnn.weight_hh_l1 must be named",
                 ["rnn.weight_hh_l1"], ["rnn.weight_ih_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1"])


def bias_one_layer(folder):
    reseed("problem_bias_one_layer")
    lstm = nn.LSTM(3, 4, num_layers=2)
    state = prefixed("lstm", lstm.state_dict())
    del state["lstm.bias_ih_l1"], state["lstm.bias_hh_l1"]
    write_pytorch(os.path.join(folder, "bias_one_layer.pt"), state)
    return entry("bias_one_layer.pt", "pytorch", "lstm", lstm,
                 "2-layer LSTM with biases on layer 0 only (lstm.bias_ih_l1, lstm.bias_hh_l1 deleted)",
                 ["lstm.bias_ih_l1", "lstm.bias_hh_l1"])


def healthy_and_broken(folder):
    reseed("problem_healthy_and_broken")
    model = wrap("encoder", nn.GRU(4, 5, bidirectional=True))
    model.decoder = nn.RNN(10, 5)
    model.head = nn.Linear(5, 3)
    state = model.state_dict()
    state["decoder.weight_hh_l0"] = state["decoder.weight_hh_l0"][:, :4].contiguous()
    write_hdf5(os.path.join(folder, "healthy_and_broken.h5"), state, nested=True)
    return entry("healthy_and_broken.h5", "hdf5", "decoder", model.decoder,
                 "nested HDF5: a healthy bidirectional encoder GRU and a decoder RNN whose "
                 "decoder.weight_hh_l0 lost a column ((5, 4) instead of (5, 5)); nothing may be "
                 "reported for encoder.* or head.*",
                 ["decoder.weight_hh_l0"], healthy=["encoder"])


def make(root):
    folder = os.path.join(root, "problems")
    if os.path.exists(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    files = [f(folder) for f in (missing_reverse, misshaped, mixed_dtypes, layers_disagree,
                                 bias_one_layer, healthy_and_broken)]
    listing = OrderedDict(
        description="Damaged weight files. For each, every name in must_report must be the tensor "
                    "of at least one reported problem, and every reported tensor must be in "
                    "must_report or may_report. Messages are the inspector's own.",
        torch_version=torch.__version__, files=files)
    write_json(os.path.join(folder, "problems.json"), listing)
    return files
