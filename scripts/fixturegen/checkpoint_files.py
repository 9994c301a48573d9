"""Fixtures/checkpoints/: torch.save files for the PyTorch-checkpoint reader,
each with a JSON sidecar (what is inside, as torch sees it) and the values of
its tensors in a .values.npz, all produced by torch itself."""

import io
import os
import pickletools
import shutil
import zipfile
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn

from fixturegen.common import NUMPY_NAME, architecture, recurrent_modules, reseed, write_json


def pickle_globals(path):
    """The `module.name` globals the data pickle refers to, in order of first use."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            name = next(n for n in z.namelist() if n.endswith("/data.pkl") or n == "data.pkl")
            streams = [io.BytesIO(z.read(name))]
            data_index = 0
    else:
        # legacy: magic number, protocol, sys info, then the data pickle
        with open(path, "rb") as f:
            blob = f.read()
        streams, stream = [], io.BytesIO(blob)
        for _ in range(4):
            start = stream.tell()
            for _op in pickletools.genops(stream):
                pass
            streams.append(io.BytesIO(blob[start:stream.tell()]))
        data_index = 3
    found, strings = [], []
    for op, arg, _pos in pickletools.genops(streams[data_index]):
        if op.name == "GLOBAL":
            found.append(arg.replace(" ", "."))
        elif op.name == "STACK_GLOBAL":
            found.append(".".join(strings[-2:]))
        if isinstance(arg, str):
            strings.append(arg)
    return list(OrderedDict.fromkeys(found))


def zip_facts(path):
    if not zipfile.is_zipfile(path):
        return OrderedDict(serialization="legacy")
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        pkl = next(n for n in names if n.endswith("data.pkl"))
        archive = pkl[: -len("data.pkl")].rstrip("/")
        byteorder = z.read(f"{archive}/byteorder").decode() if f"{archive}/byteorder" in names else None
        storages = sorted(n[len(archive) + 6:] for n in names if n.startswith(f"{archive}/data/"))
    return OrderedDict(serialization="zip", archive_folder=archive, byteorder=byteorder, storage_keys=storages)


def tensor_record(name, t):
    return OrderedDict(
        name=name, dtype=NUMPY_NAME[t.dtype], shape=list(t.shape), stride=list(t.stride()),
        storage_offset=t.storage_offset(), contiguous=t.is_contiguous(),
        storage_bytes=t.untyped_storage().nbytes())


def values_array(t):
    t = t.detach()
    if t.dtype == torch.bfloat16:
        t = t.to(torch.float32)  # exact: every bfloat16 is a float32
    return np.ascontiguousarray(t.numpy())


def shared_groups(tensors):
    groups = OrderedDict()
    for name, t in tensors.items():
        groups.setdefault(t.untyped_storage().data_ptr(), []).append(name)
    return [names for names in groups.values() if len(names) > 1]


def describe(folder, file, description, tensors, modules, content="state_dict", key=None,
             non_tensor=None, expect="read", refuse_because=None, extra=None):
    """Writes <stem>.json (and <stem>.values.npz for readable files)."""
    path = os.path.join(folder, file)
    stem = file.rsplit(".", 1)[0]
    sidecar = OrderedDict(file=file, description=description, expect=expect)
    if refuse_because:
        sidecar["refuse_because"] = refuse_because
    sidecar.update(zip_facts(path))
    sidecar["content"] = content
    sidecar["state_dict_key"] = key
    sidecar["pickle_globals"] = pickle_globals(path)
    sidecar["tensors"] = [tensor_record(n, t) for n, t in tensors.items()]
    sidecar["shared_storage"] = shared_groups(tensors)
    sidecar["non_tensor_items"] = non_tensor or OrderedDict()
    sidecar["modules"] = modules
    if expect == "read":
        np.savez(os.path.join(folder, stem + ".values.npz"),
                 **OrderedDict((n, values_array(t)) for n, t in tensors.items()))
        sidecar["values"] = stem + ".values.npz"
    if extra:
        sidecar.update(extra)
    sidecar["torch_version"] = torch.__version__
    write_json(os.path.join(folder, stem + ".json"), sidecar)
    # the file must load back in torch to what the sidecar describes
    if expect == "read":
        whole = content == "pickled_module"
        loaded = torch.load(path, weights_only=not whole)
        state = loaded.state_dict() if whole else loaded[key] if key else loaded
        for n, t in tensors.items():
            assert torch.equal(state[n], t), (file, n)
    return sidecar


def save_both(folder, stem, obj, suffix=".pt"):
    torch.save(obj, os.path.join(folder, stem + suffix))
    torch.save(obj, os.path.join(folder, stem + "_legacy" + suffix), _use_new_zipfile_serialization=False)
    return [stem + suffix, stem + "_legacy" + suffix]


class Seq2Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(10, 4)
        self.encoder = nn.LSTM(4, 5, num_layers=2, bidirectional=True)
        self.decoder = nn.GRU(4, 5)
        self.head = nn.Linear(5, 10)


def archs(model, dtype="float32"):
    return [architecture(n, m, dtype) for n, m in recurrent_modules(model)]


def make(root):
    folder = os.path.join(root, "checkpoints")
    if os.path.exists(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    made = []

    # several modules in a bare state_dict
    reseed("ckpt_multi_modules")
    model = Seq2Seq()
    sd = model.state_dict()
    for f in save_both(folder, "multi_modules", sd):
        made.append(describe(folder, f, "bare state_dict: embedding, encoder LSTM (2 layers, bi), decoder GRU, head",
                             sd, archs(model)))

    # {"model": sd, "epoch": 3, "optimizer": ...}
    reseed("ckpt_model_optimizer")
    model = nn.Module()
    model.rnn = nn.GRU(3, 4, num_layers=2)
    model.fc = nn.Linear(4, 2)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    out, _ = model.rnn(torch.randn(5, 2, 3))
    model.fc(out).pow(2).mean().backward()
    opt.step()
    sd = model.state_dict()
    ckpt = {"model": sd, "epoch": 3, "optimizer": opt.state_dict()}
    opt_tensors = [f"optimizer.state.{i}.{k}" for i, s in opt.state_dict()["state"].items() for k in s]
    for f in save_both(folder, "checkpoint_model_optimizer", ckpt):
        made.append(describe(folder, f, '{"model": state_dict, "epoch": 3, "optimizer": Adam state_dict after one step}',
                             sd, archs(model), content="checkpoint_dict", key="model",
                             non_tensor=OrderedDict(epoch=3, optimizer="dict: state (per-parameter tensors), param_groups"),
                             extra={"optimizer_tensors": opt_tensors}))

    # {"state_dict": sd}, saved as .pth
    reseed("ckpt_state_dict_key")
    lstm = nn.LSTM(3, 4, proj_size=2)
    model = nn.Module()
    model.lstm = lstm
    sd = model.state_dict()
    torch.save({"state_dict": sd}, os.path.join(folder, "checkpoint_state_dict.pth"))
    made.append(describe(folder, "checkpoint_state_dict.pth", '{"state_dict": state_dict} of an LSTM with proj_size, saved as .pth',
                         sd, archs(model), content="checkpoint_dict", key="state_dict"))

    # float16 / bfloat16 / float64
    for stem, dtype, mode in (("float16", torch.float16, "LSTM"), ("bfloat16", torch.bfloat16, "GRU"),
                              ("float64", torch.float64, "RNN")):
        reseed("ckpt_" + stem)
        module = {"LSTM": lambda: nn.LSTM(3, 4, bidirectional=True), "GRU": lambda: nn.GRU(3, 4, num_layers=2),
                  "RNN": lambda: nn.RNN(3, 4, nonlinearity="relu")}[mode]().to(dtype)
        sd = module.state_dict()
        for f in save_both(folder, stem, sd):
            made.append(describe(folder, f, f"root {mode} state_dict stored as {stem}", sd,
                                 archs(module, NUMPY_NAME[dtype])))

    # non-contiguous tensors saved as they are
    reseed("ckpt_noncontiguous")
    rnn = nn.RNN(3, 5)
    w_ih_t = rnn.weight_ih_l0.detach().t().contiguous()      # (3, 5)
    wide = torch.randn(4, 10)
    sd = OrderedDict([
        ("weight_ih_l0", w_ih_t.t()),                           # transposed view, stride (1, 5)
        ("weight_hh_l0", rnn.weight_hh_l0.detach().clone()),
        ("bias_ih_l0", rnn.bias_ih_l0.detach().clone()),
        ("bias_hh_l0", rnn.bias_hh_l0.detach().clone()),
        ("strided_slice", wide[1:, ::2]),                       # offset 10, stride (10, 2)
    ])
    assert not sd["weight_ih_l0"].is_contiguous() and not sd["strided_slice"].is_contiguous()
    for f in save_both(folder, "noncontiguous", sd):
        made.append(describe(folder, f, "RNN whose weight_ih_l0 is a transposed view (stride (1, 5)), "
                             "plus strided_slice = wide[1:, ::2] (storage offset 10)", sd, archs(rnn)))

    # several tensors sharing one storage
    reseed("ckpt_shared_storage")
    gru = nn.GRU(3, 4)
    flat = torch.cat([p.detach().reshape(-1) for p in gru.parameters()])
    sd, offset = OrderedDict(), 0
    for name, p in gru.named_parameters():
        sd[name] = flat[offset:offset + p.numel()].view(p.shape)
        offset += p.numel()
    weight_hh = sd["weight_hh_l0"]
    sd["reset_gate_hh"] = weight_hh[0:4]          # two slices of the same parameter
    sd["update_gate_hh"] = weight_hh[4:8]
    for f in save_both(folder, "shared_storage", sd):
        made.append(describe(folder, f, "GRU whose parameters are views of one flat buffer (as cuDNN keeps them), "
                             "plus reset_gate_hh/update_gate_hh slices of weight_hh_l0", sd, archs(gru)))

    # int64 tensors beside the weights
    reseed("ckpt_int64")
    lstm = nn.LSTM(3, 4)
    sd = lstm.state_dict()
    sd["num_batches_tracked"] = torch.tensor(17, dtype=torch.int64)
    sd["vocab_ids"] = torch.arange(5, dtype=torch.int64) * 1000003
    sd["negative"] = torch.tensor([-1, -(2**40), 2**62], dtype=torch.int64)
    for f in save_both(folder, "int64", sd):
        made.append(describe(folder, f, "LSTM state_dict plus int64 tensors (0-d num_batches_tracked, 1-d vocab_ids, negative)",
                             sd, archs(lstm)))

    # a whole pickled nn.Module: read as opaque objects (more in Fixtures/torch_modules/)
    reseed("ckpt_whole_module")
    module = nn.LSTM(3, 4)
    for f in save_both(folder, "whole_module", module):
        made.append(describe(folder, f, "torch.save(model) of a whole nn.LSTM: the pickle builds the class "
                             "torch.nn.modules.rnn.LSTM, read as an opaque object (its parameters by state_dict name)",
                             module.state_dict(), archs(module), content="pickled_module"))
    return made
