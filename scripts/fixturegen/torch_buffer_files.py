"""Fixtures/torch_buffers/: stock nn.LSTM / nn.GRU module objects carrying tensors their forward
does not use — buffers registered on them named like a stored state (h0, c0), stored lengths, or
the weights of a direction they do not have (`*_l0_reverse` on a unidirectional GRU) — pickled
(torch.save(model)), TorchScript (trace, script) and exported (.pt2). PyTorch's forward of the
stock class passes its recurrence only its `_flat_weights` with its recorded settings, so rnnkit
must compute exactly what the loaded file computes: the buffers are no initial state, no lengths,
no extra direction (a state dict's `h0`/`c0`/`lengths` beside the weights stay rnnkit's stored-input
convention). One GRU whose recorded `bidirectional` was changed after it was built, so its settings
and `_flat_weights_names` disagree: PyTorch's forward of it fails, rnnkit refuses it.

expected.npz holds, per file stem, what the file loaded by torch returns for input.npy (its output
sequence): torch.load(weights_only=False) / torch.jit.load / torch.export.load(file).module().

Run with torch (python3 scripts/make_fixtures.py --only torch_buffers, or this file alone).
"""
import json
import os
import shutil

import numpy as np
import torch
from torch import nn

try:
    from fixturegen import part_main
except ImportError:  # run as a script from its folder
    import part_main

README_BEGIN = "<!-- made by scripts/fixturegen/torch_buffer_files.py -->"
REVERSE = [("weight_ih_l0_reverse", (15, 4)), ("weight_hh_l0_reverse", (15, 5)), ("bias_ih_l0_reverse", (15,)), ("bias_hh_l0_reverse", (15,))]


class Encoder(nn.Module):
    """A model of the user's own around nn.GRU(4, 5), which carries a `lengths` buffer."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(4, 5)
        self.gru.register_buffer("lengths", torch.tensor([3, 6]))

    def forward(self, x):
        return self.gru(x)[0]


def with_state_buffers(kind):
    """A stock `kind(4, 5)` with buffers h0 (and c0 for an LSTM) of non-zero values."""
    module = kind(4, 5)
    module.register_buffer("h0", torch.randn(1, 1, 5))
    if kind is nn.LSTM:
        module.register_buffer("c0", torch.randn(1, 1, 5))
    return module.eval()


def with_reverse_buffers():
    """A stock unidirectional nn.GRU(4, 5) with buffers named like a reverse direction's weights."""
    module = nn.GRU(4, 5)
    for name, shape in REVERSE:
        module.register_buffer(name, torch.randn(*shape))
    return module.eval()


def make(root):
    folder = os.path.join(root, "torch_buffers")
    if os.path.exists(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    torch.manual_seed(5)
    x = torch.randn(6, 2, 4)
    expected, made = {}, []

    def keep(stem, suffix, description, loaded):
        with torch.no_grad():
            out = loaded(x)
        expected[stem] = (out[0] if isinstance(out, tuple) else out).detach().numpy()
        made.append((stem + suffix, description))

    def pickled(stem, module, description):
        path = os.path.join(folder, stem + ".pt")
        torch.save(module, path)
        keep(stem, ".pt", description, torch.load(path, weights_only=False))

    def scripted(stem, module, description, trace):
        path = os.path.join(folder, stem + ".pt")
        torch.jit.save(torch.jit.trace(module, x) if trace else torch.jit.script(module), path)
        # A scripted nn.LSTM keeps its overloads as forward__0/__1, which a loaded archive cannot call: the module it compiled.
        keep(stem, ".pt", description, torch.jit.load(path) if trace else module)

    def exported(stem, module, description):
        path = os.path.join(folder, stem + ".pt2")
        torch.export.save(torch.export.export(module, (x,)), path)
        keep(stem, ".pt2", description, torch.export.load(path).module())

    pickled("lstm_state_buffers", with_state_buffers(nn.LSTM), "torch.save of nn.LSTM(4, 5) with buffers h0, c0 (not used by its forward)")
    pickled("gru_reverse_buffers", with_reverse_buffers(), "torch.save of nn.GRU(4, 5) with buffers weight_ih_l0_reverse, … (unidirectional)")
    scripted("traced_state_buffer", with_state_buffers(nn.GRU), "torch.jit.trace of nn.GRU(4, 5) with a buffer h0", trace=True)
    scripted("traced_reverse_buffers", with_reverse_buffers(), "torch.jit.trace of nn.GRU(4, 5) with buffers weight_ih_l0_reverse, …", trace=True)
    scripted("scripted_state_buffers", with_state_buffers(nn.LSTM), "torch.jit.script of nn.LSTM(4, 5) with buffers h0, c0", trace=False)
    exported("lstm_state_buffers_program", with_state_buffers(nn.LSTM), "torch.export of nn.LSTM(4, 5) with buffers h0, c0 (the graph gives aten.lstm zeros)")
    exported("gru_lengths_buffer_program", Encoder().eval(), "torch.export of a model around nn.GRU(4, 5) with a buffer gru.lengths")
    exported("gru_reverse_buffers_program", with_reverse_buffers(), "torch.export of nn.GRU(4, 5) with buffers weight_ih_l0_reverse, …")
    # Settings changed after the module was built: `_flat_weights_names` name one direction, bidirectional says two.
    mismatched = nn.GRU(4, 5).eval()
    mismatched.bidirectional = True
    torch.save(mismatched, os.path.join(folder, "gru_settings_mismatch.pt"))
    made.append(("gru_settings_mismatch.pt", "torch.save of nn.GRU(4, 5) whose bidirectional was set to True after it was built "
                 "(its forward fails in torch; rnnkit refuses it)"))
    np.save(os.path.join(folder, "input.npy"), x.numpy())
    np.savez(os.path.join(folder, "expected.npz"), **expected)
    with open(os.path.join(folder, "files.json"), "w") as handle:
        json.dump({"torch_version": torch.__version__, "files": dict(made)}, handle, indent=2)
        handle.write("\n")
    return made


def write_readme(root, made):
    rows = "\n".join(f"| `{name}` | {description} |" for name, description in made)
    text = f"""{README_BEGIN}
# Fixtures/torch_buffers: stock recurrent modules with tensors their forward does not use

Made by `scripts/fixturegen/torch_buffer_files.py` with torch {torch.__version__}. Each file saves a
stock `nn.LSTM` / `nn.GRU` object (pickled, traced, scripted or exported) that carries buffers its
forward ignores: `h0`, `c0`, `lengths`, or `*_l0_reverse` weights of a direction it does not have.
PyTorch's forward passes its recurrence only `_flat_weights` with the recorded settings; rnnkit must
compute what the loaded file computes (`expected.npz`: `<stem>` is the output sequence torch returns
for `input.npy`, `(T, B, F)`) and list the buffers as not used. `gru_settings_mismatch.pt` records
`bidirectional=True` beside the weights of one direction: torch's forward of it fails, rnnkit
refuses the file (exit 2).

| file | what |
|---|---|
{rows}
"""
    with open(os.path.join(root, "torch_buffers", "README.md"), "w") as handle:
        handle.write(text)


def main():
    part_main.run(__doc__, make, write_readme, lambda item: f"torch_buffers/{item[0]}")


if __name__ == "__main__":
    main()
