"""Fixtures/torch_modules/: PyTorch files that hold whole modules rather than
state dicts, for the reader of TorchScript archives and pickled modules.

    python3 scripts/make_fixtures.py --only torch_modules

Readable cases are folders `<name>/` with `model.pt` (written by
`torch.jit.save` of `torch.jit.script` / `torch.jit.trace`, or by
`torch.save(model)` in the zip or legacy format), `state_dict.npz` (what
`state_dict()` of the loaded file holds, in its order), `input.npy`,
`expected.npz` (what PyTorch returned for the reference module) and
`model.json`. Hostile cases are single `.pt` files in `hostile/`, made by
`torch.save` of a real model into whose `_modules` a value that pickles as a
code-running call was planted, with a sidecar naming the global to refuse.
Every file is loaded back with torch here to check the sidecar.
"""

import os
import subprocess
import sys
import zipfile
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn

from .common import architecture, recurrent_modules, reseed, run_reference, write_json

FOLDER = "torch_modules"


def main_class(cls):
    """Makes `cls` pickle as `__main__.<name>`, as a user's training script would."""
    cls.__module__ = "__main__"
    setattr(sys.modules["__main__"], cls.__name__, cls)
    return cls


@main_class
class Seq2Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.LSTM(4, 5, num_layers=2, batch_first=True, bidirectional=True)
        self.decoder = nn.GRU(10, 6)
        self.head = nn.Linear(6, 3)
        self.register_buffer("scale", torch.tensor([0.5, 2.0]))
        self.register_buffer("cache", torch.zeros(3), persistent=False)

    def forward(self, x):
        y, _ = self.encoder(x)
        z, _ = self.decoder(y.transpose(0, 1))
        return self.head(z)


@main_class
class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 4, batch_first=True)
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        y, _ = self.lstm(x)
        return self.head(y)


@main_class
class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTMCell(6, 5)

    def forward(self, x, h, c):
        return self.rnn(x, (h, c))


@main_class
class Inner(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(4, 6), nn.ReLU())
        self.decoder = Decoder()

    def forward(self, x, h, c):
        return self.decoder(self.encoder(x), h, c)


@main_class
class SileroLike(nn.Module):
    """Named like silero-vad's `_model.decoder.rnn` (an LSTMCell)."""

    def __init__(self):
        super().__init__()
        self._model = Inner()

    def forward(self, x, h, c):
        return self._model(x, h, c)


@main_class
class Stacks(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.GRU(3, 4), nn.LSTM(4, 5, proj_size=2)])
        self.heads = nn.ModuleDict({"enc": nn.RNN(2, 3, nonlinearity="relu"), "out": nn.Linear(3, 1)})


@main_class
class Shifted(nn.Module):
    """A GRU after a persistent buffer: `state_dict()` puts `offset` first."""

    def __init__(self):
        super().__init__()
        self.register_buffer("offset", torch.tensor([0.25, -0.5, 1.0]))
        self.gru = nn.GRU(3, 4, num_layers=2)

    def forward(self, x):
        y, _ = self.gru(x - self.offset)
        return y


@main_class
class Planted:
    """Pickles as a call to `target(*arguments)`: the hostile payload."""

    def __init__(self, target, arguments):
        self.target, self.arguments = target, arguments

    def __reduce__(self):
        return self.target, self.arguments


def recorded(model, script):
    """What the file records about each of PyTorch's recurrent modules: their
    pickled attributes (`torch.save`), or the `Final` constants a scripted
    class keeps (`torch.jit.script`); a traced module records nothing."""
    result = {}
    for name, module in model.named_modules():
        if not isinstance(module, (nn.RNNBase, nn.RNNCellBase)) or script is False:
            continue
        entry = {}
        if isinstance(module, nn.RNNBase):
            entry["batch_first"] = module.batch_first
        if isinstance(module, (nn.RNN, nn.RNNCell)):
            entry["nonlinearity"] = module.nonlinearity
        if entry:
            result[name] = entry
    return result


def save(kind, model, path, example):
    if kind == "script":
        torch.jit.save(torch.jit.script(model), path)
    elif kind == "script_extra":
        torch.jit.save(torch.jit.script(model), path, _extra_files={"config.json": '{"hidden": 4}'})
    elif kind == "frozen":
        torch.jit.save(torch.jit.freeze(torch.jit.script(model)), path)
    elif kind == "trace":
        torch.jit.save(torch.jit.trace(model, example), path)
    elif kind == "zip":
        torch.save(model, path)
    elif kind == "checkpoint":
        torch.save({"model": model, "epoch": 3}, path)
    else:
        torch.save(model, path, _use_new_zipfile_serialization=False)


def load_state_dict(kind, path):
    if kind in ("script", "script_extra", "trace", "frozen"):
        return torch.jit.load(path).state_dict()
    loaded = torch.load(path, weights_only=False)
    return (loaded["model"] if kind == "checkpoint" else loaded).state_dict()


def classes(kind, path):
    """Module path -> class name as the file spells it, read back off torch."""
    if kind in ("script", "script_extra", "trace", "frozen"):
        loaded = torch.jit.load(path)
        return {name: module._c._type().qualified_name() for name, module in loaded.named_modules()}
    loaded = torch.load(path, weights_only=False)
    loaded = loaded["model"] if kind == "checkpoint" else loaded
    return {name: f"{type(m).__module__}.{type(m).__qualname__}" for name, m in loaded.named_modules()}


CASES = [
    # name, kind, model maker, reference module, batch_first of the input, description
    ("script_tagger", "script", Tagger, "lstm", True,
     "torch.jit.script of __main__.Tagger (LSTM batch_first=True + Linear)"),
    ("trace_tagger", "trace", Tagger, "lstm", True,
     "torch.jit.trace of __main__.Tagger: mangled class names, batch_first only in the traced graph"),
    ("script_silero_like", "script", SileroLike, "_model.decoder.rnn", False,
     "torch.jit.script of a silero-vad-like wrapper: LSTMCell at _model.decoder.rnn, Sequential encoder"),
    ("module_seq2seq", "zip", Seq2Seq, "encoder", True,
     "torch.save(model) zip of __main__.Seq2Seq: 2-layer bi LSTM (batch_first), GRU, Linear, "
     "a persistent and a non-persistent buffer"),
    ("module_seq2seq_legacy", "legacy", Seq2Seq, "encoder", True,
     "the same, _use_new_zipfile_serialization=False (module classes as ('module', class, …) persistent ids)"),
    ("module_sequential_gru", "zip", lambda: nn.Sequential(nn.GRU(3, 5, num_layers=2), nn.Identity()), "0", False,
     "torch.save of nn.Sequential(GRU 2 layers, Identity)"),
    ("module_rnn_relu_legacy", "legacy", lambda: nn.RNN(3, 4, nonlinearity="relu", batch_first=True), "", True,
     "torch.save legacy of a bare nn.RNN(nonlinearity='relu', batch_first=True)"),
    ("module_list_dict", "zip", Stacks, "heads.enc", False,
     "torch.save of a module with a ModuleList (GRU, LSTM proj_size) and a ModuleDict (RNN relu, Linear)"),
    ("checkpoint_with_module", "checkpoint", Tagger, "lstm", True,
     "torch.save({'model': module, 'epoch': 3}) with a whole __main__.Tagger"),
    ("script_extra_files", "script_extra", Shifted, "gru", False,
     "torch.jit.script of a 2-layer GRU after a buffer, saved with _extra_files={'config.json': …}"),
]

# torch.jit.freeze inlines the parameters as unnamed constants of the code
# (constants.pkl, constants/): state_dict() is empty and nothing can be named.
FROZEN = ("frozen_gru", "frozen", Shifted, "torch.jit.freeze(torch.jit.script(…)) of the buffer + GRU module: "
          "weights only as unnamed code constants")

HOSTILE = [
    # name, serialization, planted call (callable, arguments)
    ("posix_system", "zip", (os.system, ("echo rnnkit-ran-code",))),
    ("builtins_eval", "zip", (eval, ("print('rnnkit-ran-code')",))),
    ("subprocess_popen", "legacy", (subprocess.Popen, (["true"],))),
    ("builtins_getattr", "zip", (getattr, ("rnnkit", "upper"))),
    ("numpy_reconstruct", "zip", (np.core.multiarray._reconstruct, (np.ndarray, (0,), b"b"))),
]


def global_name(function):
    """The global a pickle names for `function` (as Python 3 reads it back)."""
    return f"{function.__module__}.{function.__name__}"


def extra_files(path):
    """`extra/<name>` members of a TorchScript archive and their sizes."""
    with zipfile.ZipFile(path) as archive:
        return {i.filename.split("/", 1)[1]: i.file_size for i in archive.infolist() if "/extra/" in i.filename}


def make_case(root, name, kind, maker, module_name, batch_first, description):
    folder = os.path.join(root, FOLDER, name)
    os.makedirs(folder, exist_ok=True)
    reseed(name)
    model = maker().eval()
    module = model.get_submodule(module_name) if module_name else model
    is_cell = isinstance(module, nn.RNNCellBase)
    x = torch.randn(5, 2, module.input_size) if not batch_first else torch.randn(2, 5, module.input_size)
    example = x if name != "script_silero_like" else None
    path = os.path.join(folder, "model.pt")
    save(kind, model, path, example)
    expected = run_reference(module, x, batch_first=batch_first and not is_cell)
    np.save(os.path.join(folder, "input.npy"), x.numpy())
    np.savez(os.path.join(folder, "expected.npz"), **expected)
    state = load_state_dict(kind, path)
    reference = model.state_dict()
    assert list(state) == list(reference), (name, list(state), list(reference))
    for key in state:
        assert torch.equal(state[key], reference[key]), (name, key)
    np.savez(os.path.join(folder, "state_dict.npz"), **{k: v.numpy() for k, v in state.items()})
    script = {"script": True, "script_extra": True, "trace": False}.get(kind)
    write_json(os.path.join(folder, "model.json"), {
        "description": description,
        "file": "model.pt",
        "kind": "torchscript" if kind in ("script", "script_extra", "trace") else "pickled_module",
        "made_by": {"script": "torch.jit.script + torch.jit.save",
                    "script_extra": "torch.jit.script + torch.jit.save(_extra_files=…)",
                    "trace": "torch.jit.trace + torch.jit.save",
                    "legacy": "torch.save(model, _use_new_zipfile_serialization=False)",
                    "checkpoint": "torch.save({'model': model, 'epoch': 3})"}.get(kind, "torch.save(model)"),
        "serialization": "legacy" if kind == "legacy" else "zip",
        "expect": "read",
        "state_dict": list(state),
        "values": "state_dict.npz",
        "classes": classes(kind, path),
        "recorded": recorded(model, script),
        "non_tensor_items": {"epoch": 3} if kind == "checkpoint" else {},
        "extra_files": extra_files(path) if kind.startswith("script") else {},
        "module": module_name,
        "flags": {"batch_first": bool(batch_first and not is_cell), "nonlinearity": getattr(module, "nonlinearity", "tanh")},
        "input": "input.npy",
        "expected": "expected.npz",
        "shapes": {k: list(v.shape) for k, v in expected.items()},
        "modules": [architecture(n, m, "float32") for n, m in recurrent_modules(model)],
        "torch_version": torch.__version__,
    })
    return name


def make_frozen(root, name, kind, maker, description):
    folder = os.path.join(root, FOLDER, name)
    os.makedirs(folder, exist_ok=True)
    reseed(name)
    path = os.path.join(folder, "model.pt")
    save(kind, maker().eval(), path, None)
    state = load_state_dict(kind, path)
    assert not state, list(state)
    with zipfile.ZipFile(path) as archive:
        constants = [m for m in archive.namelist() if "/constants/" in m]
    write_json(os.path.join(folder, "model.json"), {
        "description": description,
        "file": "model.pt",
        "kind": "torchscript",
        "made_by": "torch.jit.freeze + torch.jit.save",
        "serialization": "zip",
        "expect": "read",
        "state_dict": [],
        "classes": classes(kind, path),
        "recorded": {},
        "constant_storages": len(constants),
        "torch_version": torch.__version__,
    })
    return name


def make_hostile(root, name, serialization, planted):
    folder = os.path.join(root, FOLDER, "hostile")
    os.makedirs(folder, exist_ok=True)
    reseed(name)
    model = nn.Sequential(Tagger()).eval()
    # Deep inside _modules: model._modules['0']._modules['lstm']._modules['payload'].
    model[0].lstm._modules["payload"] = Planted(*planted)
    refused = global_name(planted[0])
    path = os.path.join(folder, f"{name}.pt")
    torch.save(model, path, _use_new_zipfile_serialization=serialization == "zip")
    # The file does name the global (checked without unpickling it; protocol 2
    # spells some modules the Python 2 way: __builtin__, commands).
    with open(path, "rb") as f:
        raw = f.read()
    assert b"\n" + refused.rpartition(".")[2].encode() + b"\n" in raw, (name, refused)
    write_json(os.path.join(folder, f"{name}.json"), {
        "file": f"{name}.pt",
        "description": f"torch.save(model) ({serialization}) with a value pickled as a call of {refused} "
                       "planted at 0.lstm._modules['payload']",
        "serialization": serialization,
        "expect": "refuse",
        "refused_global": refused,
    })
    return f"hostile/{name}.pt"


def make(root):
    made = [make_case(root, *case) for case in CASES]
    made.append(make_frozen(root, *FROZEN))
    made += [make_hostile(root, *case) for case in HOSTILE]
    return made


def write_readme(root, made):
    lines = [
        "# Whole-module PyTorch files",
        "",
        "Written by `scripts/fixturegen/torch_module_files.py` (`python3 scripts/make_fixtures.py --only "
        f"torch_modules`) with torch {torch.__version__}: TorchScript archives and `torch.save(model)` files "
        "for the reader that takes parameters out of them without running or importing anything.",
        "",
        "Each readable case is a folder with `model.pt`, `model.json`, `state_dict.npz` (the loaded file's "
        "`state_dict()`, names in order, checked against the model's), `input.npy` and `expected.npz` "
        "(`output`, `h_n`, `c_n` of the reference `module`, run by PyTorch as the module fixture format in "
        "`Fixtures/README.md` describes: cells step by step, `batch_first` input when `flags.batch_first`).",
        "",
        "`model.json`: `kind` (`torchscript` or `pickled_module`), `made_by`, `serialization`, `state_dict` "
        "(names), `classes` (module path -> class as the file names it, read back off torch), `recorded` "
        "(what the file itself records per recurrent module: a pickled module's `batch_first` / "
        "`nonlinearity` attributes, a scripted class's `Final` constants; nothing for traced ones), "
        "`non_tensor_items`, `extra_files` (`extra/` members and sizes), `module`, `flags`, `modules` "
        "(architecture read off torch).",
        "",
        "| case | what |",
        "|---|---|",
    ]
    lines += [f"| `{name}/` | {description} |" for name, _, _, _, _, description in CASES]
    lines += [f"| `{FROZEN[0]}/` | {FROZEN[-1]} (only `model.pt` and `model.json`, with `constant_storages`) |"]
    lines += [
        "",
        "## hostile/",
        "",
        "`torch.save(model)` of `nn.Sequential(__main__.Tagger())` with an object planted at "
        "`0.lstm._modules['payload']` "
        "whose `__reduce__` makes the pickle call a code-running global when `torch.load` reads it. rnnkit "
        "must refuse each file (exit 2) naming the global in `<name>.json[\"refused_global\"]`, and run nothing.",
        "",
        "| file | serialization | refused global |",
        "|---|---|---|",
    ]
    lines += [f"| `{name}.pt` | {serialization} | `{global_name(planted[0])}` |" for name, serialization, planted in HOSTILE]
    with open(os.path.join(root, FOLDER, "README.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
