"""Fixtures/torch_code/: `torch.save(model)` and TorchScript files whose recurrent
module comes with code rnnkit cannot run: a subclass of nn.LSTM with its own forward, a subclass
that adds nothing, a module of the user's own class holding LSTM-named parameters (pickled and
scripted), a GRU with a forward hook, an LSTM and a GRU traced with a hook or pre-hook (whose
ops tracing writes into the class's own forward). rnnkit must refuse to run or convert them unless --assume-pytorch-forward, and then
compute PyTorch's forward for their weights.

expected.npz holds, per file stem, `<stem>_module` (what the saved module itself returns: its
output tensor) and `<stem>_pytorch` (what torch.nn.LSTM/GRU's forward returns for the same
weights); input.npy is the input (time-major, (T, B, F)), input_batch_first.npy the same (B, T, F)
for traced_batch_first. Two traced modules keep their settings only in the traced call: one
batch-first (rnnkit reads it), one traced in training mode with dropout (refused). One nn.LSTM
pickled in training mode (random dropout until eval(): rnnkit computes eval()'s output, noted).
A wrapper passing its LSTM a learned h0/c0 (pickled, state dict, traced): rnnkit runs the module from
zeros and says so; `--rename h0=lstm.h0 --rename c0=lstm.c0` makes them its stored default. Two
scripted GRU cells with a typed hook and pre-hook compiled into their class: refused, naming them.

Run with torch (python3 scripts/make_fixtures.py --only torch_code, or this file alone).
"""
import json
import os
import shutil

from typing import Optional, Tuple

import numpy as np
import torch
from torch import Tensor, nn

try:
    from fixturegen import part_main
except ImportError:  # run as a script from its folder
    import part_main

README_BEGIN = "<!-- made by scripts/fixturegen/torch_code_files.py -->"


class ScaledLSTM(nn.LSTM):
    """nn.LSTM with a forward of its own: the input doubled, the output halved."""

    def forward(self, x, hx=None):
        y, state = super().forward(x * 2.0, hx)
        return y * 0.5, state


class PlainLSTM(nn.LSTM):
    """A subclass that changes nothing (a helper method only)."""

    def describe(self):
        return f"LSTM {self.input_size}->{self.hidden_size}"


class OwnCell(nn.Module):
    """A module of the user's own whose parameters carry PyTorch's LSTM names."""

    def __init__(self, features, hidden):
        super().__init__()
        self.weight_ih_l0 = nn.Parameter(torch.randn(4 * hidden, features) * 0.3)
        self.weight_hh_l0 = nn.Parameter(torch.randn(4 * hidden, hidden) * 0.3)

    def forward(self, x):
        return torch.tanh(x @ self.weight_ih_l0.T)[..., : self.weight_hh_l0.shape[1]]


def halve_output(module, inputs, output):
    """A forward hook: halves the output sequence."""
    return output[0] * 0.5, output[1]


def double_input(module, inputs):
    """A forward pre-hook: doubles the input."""
    return (inputs[0] * 2.0,)


def pytorch_forward(kind, module, x):
    """torch.nn's own forward (in eval mode) for the weights `module` holds."""
    plain = kind(module.input_size, module.hidden_size, num_layers=module.num_layers, batch_first=module.batch_first)
    plain.load_state_dict({k: v for k, v in module.state_dict().items()})
    with torch.no_grad():
        return plain.eval()(x)[0].numpy()


def double_state(module: nn.Module, inputs: Tuple[Tensor, Optional[Tensor]], output: Tensor) -> Tensor:
    return output * 2.0


def halve_step(module: nn.Module, inputs: Tuple[Tensor, Optional[Tensor]]) -> Tuple[Tensor, Optional[Tensor]]:
    return (inputs[0] * 0.5, inputs[1])


def cell_over_sequence(cell, x):
    """The cell called step by step from the zero state, as rnnkit runs a cell over a sequence."""
    state, outputs = None, []
    with torch.no_grad():
        for step in x:
            state = cell(step, state)  # hx passed even when None: a scripted hook's inputs are typed as two
            outputs.append(state)
    return torch.stack(outputs).numpy()


class LearnedState(nn.Module):
    """Passes its LSTM a learned initial state, expanded over the batch."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(4, 5, num_layers=2)
        self.h0 = nn.Parameter(torch.randn(2, 1, 5))
        self.c0 = nn.Parameter(torch.randn(2, 1, 5))

    def forward(self, x):
        batch = x.shape[1]
        return self.lstm(x, (self.h0.expand(-1, batch, -1).contiguous(), self.c0.expand(-1, batch, -1).contiguous()))


def make(root):
    folder = os.path.join(root, "torch_code")
    if os.path.exists(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    torch.manual_seed(7)
    x = torch.randn(6, 2, 4)
    expected, made = {}, []

    def save(stem, module, description, kind, scripted=False, traced=False, train=False, example=x):
        module.train(train)
        path = os.path.join(folder, stem + ".pt")
        if scripted:
            torch.jit.save(torch.jit.script(module), path)
        elif traced:
            torch.manual_seed(1)
            torch.jit.save(torch.jit.trace(module, example, check_trace=False), path)
        else:
            torch.save(module, path)
        with torch.no_grad():
            out = torch.jit.load(path)(example) if traced else module(example)
        expected[stem + "_module"] = (out[0] if isinstance(out, tuple) else out).numpy()
        if kind is not None:
            expected[stem + "_pytorch"] = pytorch_forward(kind, module, example)
        made.append((stem, description))

    save("subclass_forward", ScaledLSTM(4, 5), "torch.save of __main__.ScaledLSTM(nn.LSTM) with its own forward (input ×2, output ×½)", nn.LSTM)
    save("subclass_plain", PlainLSTM(4, 5), "torch.save of __main__.PlainLSTM(nn.LSTM), which adds a method only", nn.LSTM)
    hooked = nn.GRU(4, 5)
    hooked.register_forward_hook(halve_output)
    save("forward_hook", hooked, "torch.save of nn.GRU with a forward hook __main__.halve_output (output ×½)", nn.GRU)
    save("own_class", OwnCell(4, 5), "torch.save of __main__.OwnCell(nn.Module) whose parameters are named weight_ih_l0, weight_hh_l0", None)
    save("script_own_class", OwnCell(4, 5), "torch.jit.script of OwnCell (TorchScript class __torch__.OwnCell)", None, scripted=True)
    # Traced modules: the layout and the training flags live only in the traced torch.lstm(...) call.
    batch_major = x.transpose(0, 1).contiguous()
    save("traced_batch_first", nn.LSTM(4, 5, batch_first=True),
         "torch.jit.trace of nn.LSTM(4, 5, batch_first=True): batch_first only in the traced call (input_batch_first.npy)",
         nn.LSTM, traced=True, example=batch_major)
    save("traced_training_dropout", nn.LSTM(4, 5, num_layers=2, dropout=0.5),
         "torch.jit.trace of nn.LSTM(4, 5, num_layers=2, dropout=0.5) in training mode: dropout on every call",
         nn.LSTM, traced=True, train=True)
    np.save(os.path.join(folder, "input_batch_first.npy"), batch_major.numpy())
    # Module objects in half precision compute in it (a state dict's dtype is only storage).
    for stem, kind, dtype, scripted in [("half_module", nn.GRU, torch.float16, False), ("bfloat16_script", nn.LSTM, torch.bfloat16, True)]:
        module = kind(4, 5).to(dtype).eval()
        path = os.path.join(folder, stem + ".pt")
        if scripted:
            torch.jit.save(torch.jit.script(module), path)
        else:
            torch.save(module, path)
        with torch.no_grad():
            expected[stem + "_module"] = module(x.to(dtype))[0].float().numpy()
            expected[stem + "_pytorch"] = pytorch_forward(kind, module.float(), x)
        made.append((stem, f"{'torch.jit.script' if scripted else 'torch.save'} of {kind.__name__}(4, 5).to({dtype}): computes in {str(dtype)[6:]}"))
    # Saved in training mode: the loaded module drops out between its layers on every call until eval();
    # rnnkit computes eval()'s output (`_pytorch`) and says so. `_module` is one such random call.
    torch.manual_seed(11)
    save("saved_training_mode", nn.LSTM(4, 5, num_layers=2, dropout=0.5),
         "torch.save of nn.LSTM(4, 5, num_layers=2, dropout=0.5) in training mode: random dropout on every call until eval()",
         nn.LSTM, train=True)
    # Traced with a hook: tracing inlines the hook's ops into the LSTM class's own forward code.
    torch.manual_seed(13)
    traced_hook = nn.LSTM(4, 5)
    traced_hook.register_forward_hook(halve_output)
    save("traced_forward_hook", traced_hook, "torch.jit.trace of nn.LSTM with a forward hook (output ×½), traced into its forward",
         nn.LSTM, traced=True)
    traced_pre_hook = nn.GRU(4, 5)
    traced_pre_hook.register_forward_pre_hook(double_input)
    save("traced_pre_hook", traced_pre_hook, "torch.jit.trace of nn.GRU with a forward pre-hook (input ×2), traced into its forward",
         nn.GRU, traced=True)
    # A wrapper passing its LSTM a learned initial state: the file stores h0/c0 around the module, and
    # whether the model passes them is not the module's business. rnnkit runs the module from zeros
    # (`_pytorch`) and says so; renamed to lstm.h0/lstm.c0 they are its stored default (`_module`).
    torch.manual_seed(17)
    learned = LearnedState().eval()
    with torch.no_grad():
        expected["learned_state_module"] = learned(x)[0].numpy()
        expected["learned_state_pytorch"] = learned.lstm(x)[0].numpy()
    torch.save(learned, os.path.join(folder, "learned_state.pt"))
    torch.save(learned.state_dict(), os.path.join(folder, "learned_state_dict.pt"))
    torch.jit.save(torch.jit.trace(learned, x), os.path.join(folder, "learned_state_traced.pt"))
    made += [("learned_state", "torch.save of __main__.LearnedState, whose forward passes its LSTM (2 layers) "
              "the learned h0, c0 (2, 1, 5) it holds, expanded over the batch"),
             ("learned_state_dict", "its state_dict (lstm.*, h0, c0)"),
             ("learned_state_traced", "torch.jit.trace of it")]
    # Scripted cells with typed hooks: TorchScript compiles the hooks into the class
    # (`__forward_hooks__ = ["double_state"]`, `__forward_pre_hooks__`), so the saved module runs them.
    for stem, hook, pre in [("script_cell_hook", double_state, None), ("script_cell_pre_hook", None, halve_step)]:
        torch.manual_seed(19)
        cell = nn.GRUCell(4, 5).eval()
        expected[stem + "_pytorch"] = cell_over_sequence(cell, x)
        if hook is not None:
            cell.register_forward_hook(hook)
        if pre is not None:
            cell.register_forward_pre_hook(pre)
        path = os.path.join(folder, stem + ".pt")
        torch.jit.save(torch.jit.script(cell), path)
        expected[stem + "_module"] = cell_over_sequence(torch.jit.load(path), x)
        made.append((stem, f"torch.jit.script of nn.GRUCell(4, 5) with a typed forward {'hook (h ×2)' if hook else 'pre-hook (input ×½)'}, "
                           "compiled into its class"))
    np.save(os.path.join(folder, "input.npy"), x.numpy())
    np.savez(os.path.join(folder, "expected.npz"), **expected)
    with open(os.path.join(folder, "code.json"), "w") as handle:
        json.dump({"torch_version": torch.__version__, "files": {stem: description for stem, description in made}}, handle, indent=2)
        handle.write("\n")
    return made


def write_readme(root, made):
    rows = "\n".join(f"| `{stem}.pt` | {description} |" for stem, description in made)
    text = f"""{README_BEGIN}
# Fixtures/torch_code: modules with code rnnkit cannot run

Made by `scripts/fixturegen/torch_code_files.py` with torch {torch.__version__}. Each file's module
holds recurrent weights under PyTorch's names but comes with code the file names without carrying
it: a class of its own (whose forward may differ from nn.LSTM's) or a hook. rnnkit refuses to run
or convert them unless `--assume-pytorch-forward`, and then computes PyTorch's forward.
`expected.npz`: `<stem>_module` is what the saved module returns, `<stem>_pytorch` what
torch.nn.LSTM/GRU returns for the same weights (none for `own_class`, which is no LSTM);
`input.npy` is the input, `(T, B, F)`; `traced_batch_first` takes `input_batch_first.npy`, `(B, T, F)`.
The traced modules keep `batch_first` and the training flags only in their traced `torch.lstm(...)`
call: rnnkit reads the batch-first one without a flag, and refuses the one traced in training mode
(its dropout applies on every call) unless `--assume-pytorch-forward`. `saved_training_mode` is a
plain `nn.LSTM` pickled in training mode: its forward is random until `eval()`; rnnkit runs it as
`eval()` does (`_pytorch`) and says so in a note. `traced_forward_hook` and `traced_pre_hook` were
traced with a hook: tracing writes the hook's `torch.mul` into the LSTM/GRU class's own `forward`
beside `torch.lstm(...)`, so rnnkit refuses them (naming `torch.mul`) unless `--assume-pytorch-forward`.
`learned_state*` hold a wrapper whose forward passes its LSTM the learned `h0`, `c0` it stores beside
it: rnnkit runs the module alone, from zeros (`learned_state_pytorch`), and notes the state-shaped
tensors (until 2026-12-07 silently: 0.29 off the model); with `--rename h0=lstm.h0 --rename
c0=lstm.c0` they are the module's stored default and the run gives the model's output
(`learned_state_module`). `script_cell_hook` and `script_cell_pre_hook` are scripted `nn.GRUCell`s
whose typed hook TorchScript compiled into the class (`__forward_hooks__`, `__forward_pre_hooks__`):
refused naming the hook (until 2026-12-07 they ran, exit 0, without it); their `_module` and
`_pytorch` are the cell called step by step over `input.npy` with and without the hook.

| file | what |
|---|---|
{rows}
"""
    with open(os.path.join(root, "torch_code", "README.md"), "w") as handle:
        handle.write(text)


def main():
    part_main.run(__doc__, make, write_readme, lambda item: f"torch_code/{item[0]}.pt")


if __name__ == "__main__":
    main()
