"""Fixtures/torch_traced/: plain `torch.jit.trace` files whose traced recurrent forward holds more
than the recurrence call, all of it PyTorch's own or the tracer's: a wrapper whose head reads only
h_n (the submodule's forward returns `h` alone), a wrapper returning the module's results (flattened
by the tracer as `(h, c, output)`), a packed input (`torch.select` of the largest batch,
`torch.index_select` putting the final state back in the input's order), an unbatched `(T, F)`
input (`torch.unsqueeze`/`torch.squeeze` of the batch axis). rnnkit refuses a traced forward that
computes anything besides the recurrence (a hook traced into it); these must still run. And a
scripted nn.RNN(relu), whose code records its nonlinearity only in the `mode` constant. And traced
cells, whose code is PyTorch's cell math written out op by op: stock ones must run (an RNNCell's
nonlinearity read from it), ones with a hook traced into the ops (`cell_*hook`) must be refused.

expected.npz holds, per file stem, `<stem>_output` / `<stem>_h_n` (and `_c_n`): what the recurrent
module computes for its input file (`<stem>_input.npy`, and `<stem>_lengths.npy` for the packed one);
for the cells, the cell called step by step over `cell_input.npy` from the zero state, and for the
hooked ones `<stem>_pytorch`: the same without the hook (what `--assume-pytorch-forward` computes).

Run with torch (python3 scripts/make_fixtures.py --only torch_traced, or this file alone).
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

README_BEGIN = "<!-- made by scripts/fixturegen/torch_traced_files.py -->"


class HeadOnState(nn.Module):
    """A classifier on the last layer's final state: the GRU's traced forward returns `h` alone."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(4, 5, num_layers=2)
        self.fc = nn.Linear(5, 2)

    def forward(self, x):
        _, h = self.gru(x)
        return self.fc(h[-1])


class Passthrough(nn.Module):
    """Returns the LSTM's results as they are: the tracer flattens them as (h, c, output)."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(4, 5, num_layers=2)

    def forward(self, x):
        return self.lstm(x)


class StateGiven(nn.Module):
    """Passes its GRU the state it is given."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(4, 5)

    def forward(self, x, h):
        return self.gru(x, h)


class Packed(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(4, 5)

    def forward(self, x, lengths):
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
        y, state = self.rnn(packed)
        return nn.utils.rnn.pad_packed_sequence(y, total_length=x.shape[0])[0], state


def make(root):
    folder = os.path.join(root, "torch_traced")
    if os.path.exists(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    torch.manual_seed(11)
    expected, made = {}, []

    def keep(stem, module, x, description, *args):
        with torch.no_grad():
            output, state = module(x, *args)
        h, c = state if isinstance(state, tuple) else (state, None)
        expected[stem + "_output"], expected[stem + "_h_n"] = output.numpy(), h.numpy()
        if c is not None:
            expected[stem + "_c_n"] = c.numpy()
        np.save(os.path.join(folder, stem + "_input.npy"), x.numpy())
        made.append((stem + ".pt", description))

    x = torch.randn(6, 3, 4)
    model = HeadOnState().eval()
    torch.jit.save(torch.jit.trace(model, x), os.path.join(folder, "head_on_state.pt"))
    keep("head_on_state", model.gru, x, "torch.jit.trace of a model whose Linear head reads the 2-layer GRU's h_n[-1] (module `gru`)")
    model = Passthrough().eval()
    torch.jit.save(torch.jit.trace(model, x), os.path.join(folder, "passthrough.pt"))
    keep("passthrough", model.lstm, x, "torch.jit.trace of a model returning its 2-layer LSTM's results (module `lstm`)")
    model = Packed().eval()
    lengths = torch.tensor([6, 2, 4])
    torch.jit.save(torch.jit.trace(model, (x, lengths)), os.path.join(folder, "packed.pt"))
    np.save(os.path.join(folder, "packed_lengths.npy"), lengths.numpy())
    with torch.no_grad():
        output, (h, c) = model(x, lengths)
    expected["packed_output"], expected["packed_h_n"], expected["packed_c_n"] = output.numpy(), h.numpy(), c.numpy()
    np.save(os.path.join(folder, "packed_input.npy"), x.numpy())
    made.append(("packed.pt", "torch.jit.trace of an LSTM on pack_padded_sequence(lengths [6, 2, 4], enforce_sorted=False) "
                 "(module `rnn`; run with --lengths packed_lengths.npy)"))
    unbatched = nn.LSTM(4, 5).eval()
    single = torch.randn(6, 4)
    torch.jit.save(torch.jit.trace(unbatched, single), os.path.join(folder, "unbatched.pt"))
    keep("unbatched", unbatched, single, "torch.jit.trace of nn.LSTM(4, 5) on an unbatched (T, F) input")
    # torch 2.13 scripts nn.RNN with its `mode` constant ("RNN_RELU") and no `nonlinearity` constant.
    scripted = nn.RNN(4, 5, nonlinearity="relu").eval()
    torch.jit.save(torch.jit.script(scripted), os.path.join(folder, "scripted_rnn_relu.pt"))
    keep("scripted_rnn_relu", scripted, x, "torch.jit.script of nn.RNN(4, 5, nonlinearity='relu'): its code records `mode = \"RNN_RELU\"`")
    # Traced cells: the tracer writes PyTorch's cell math out op by op (no recurrence call), and a hook
    # traced into it is one more op. rnnkit runs a cell over the sequence (docs/layouts.md): the expected
    # numbers are the cell called step by step from the zero state.
    def cell_over_sequence(cell, x):
        state, outputs = None, []
        with torch.no_grad():
            for step in x:
                state = cell(step) if state is None else cell(step, state)
                outputs.append(state[0] if isinstance(state, tuple) else state)
        return torch.stack(outputs)

    def double(module, inputs, output):
        return tuple(o * 2 for o in output) if isinstance(output, tuple) else output * 2

    def halve_input(module, inputs):
        return (inputs[0] * 0.5,) + tuple(inputs[1:])

    cells = [
        ("cell_lstm", nn.LSTMCell(4, 5), (x[0],), None, "torch.jit.trace of nn.LSTMCell(4, 5) on one step (B, F)"),
        ("cell_gru_nobias_state", nn.GRUCell(4, 5, bias=False), (x[0], torch.randn(3, 5)), None,
         "torch.jit.trace of nn.GRUCell(4, 5, bias=False) called with (input, hx)"),
        ("cell_rnn_relu", nn.RNNCell(4, 5, nonlinearity="relu"), (x[0],), None,
         "torch.jit.trace of nn.RNNCell(4, 5, nonlinearity='relu'): the traced code applies torch.relu"),
        ("cell_rnn_unbatched", nn.RNNCell(4, 5), (x[0, 0],), None,
         "torch.jit.trace of nn.RNNCell(4, 5) on an unbatched (F) step (torch.unsqueeze/torch.squeeze around it)"),
        ("cell_lstm_hook", nn.LSTMCell(4, 5), (x[0],), double,
         "torch.jit.trace of nn.LSTMCell(4, 5) with a forward hook (h and c ×2): must be refused"),
        ("cell_gru_pre_hook", nn.GRUCell(4, 5), (x[0],), halve_input,
         "torch.jit.trace of nn.GRUCell(4, 5) with a forward pre-hook (input ×½): must be refused"),
    ]
    for stem, cell, example, hook, description in cells:
        cell.eval()
        stock = cell_over_sequence(cell, x)  # before the hook: PyTorch's forward for the weights
        if hook is double:
            cell.register_forward_hook(hook)
        elif hook is not None:
            cell.register_forward_pre_hook(hook)
        torch.jit.save(torch.jit.trace(cell, example), os.path.join(folder, stem + ".pt"))
        output = cell_over_sequence(cell, x)
        expected[stem + "_output"], expected[stem + "_h_n"] = output.numpy(), output[-1:].numpy()
        if hook is not None:
            expected[stem + "_pytorch"] = stock.numpy()
        made.append((stem + ".pt", description))
    # A model passing its GRU a state it is given: the GRU's traced forward takes it as an argument.
    given = StateGiven().eval()
    state = torch.randn(1, 3, 5)
    torch.jit.save(torch.jit.trace(given, (x, state)), os.path.join(folder, "state_argument.pt"))
    np.save(os.path.join(folder, "state_argument_h0.npy"), state.numpy())
    keep("state_argument", given.gru, x, "torch.jit.trace of a model calling its GRU with (x, h): the traced GRU forward takes h "
         "as an argument (module `gru`; run with --h0 state_argument_h0.npy)", state)
    np.save(os.path.join(folder, "cell_input.npy"), x.numpy())
    np.savez(os.path.join(folder, "expected.npz"), **expected)
    with open(os.path.join(folder, "files.json"), "w") as handle:
        json.dump({"torch_version": torch.__version__, "files": dict(made)}, handle, indent=2)
        handle.write("\n")
    return made


def write_readme(root, made):
    rows = "\n".join(f"| `{name}` | {description} |" for name, description in made)
    text = f"""{README_BEGIN}
# Fixtures/torch_traced: plain traced modules whose forward holds more than the recurrence call

Made by `scripts/fixturegen/torch_traced_files.py` with torch {torch.__version__}. rnnkit refuses a
traced recurrent forward that computes anything besides the recurrence (a hook traced into it,
Fixtures/torch_code/`traced_*_hook`); what the tracer and PyTorch's own forward write around the
call — a return of only the results the caller uses, in the tracer's order; `torch.select` and
`torch.index_select` for a packed input; `torch.unsqueeze`/`torch.squeeze` for an unbatched one —
is not such a computation, and these files must run to torch's numbers (`expected.npz`:
`<stem>_output`, `<stem>_h_n`, `<stem>_c_n` for `<stem>_input.npy`). Until the fix of 2026-12-07
each was refused. `scripted_rnn_relu.pt`: torch 2.13 records a scripted `nn.RNN`'s nonlinearity
only as its `mode` constant (`"RNN_RELU"`), which rnnkit reads (it asked for `--nonlinearity`).

`state_argument.pt`: a model that passes its GRU a state it is given; the GRU's traced forward
takes it as an argument, which rnnkit says (run needs `--h0 state_argument_h0.npy` for the model's
numbers; until 2026-12-07 it started from zeros without a word).

`cell_*.pt`: traced cells, whose traced code is PyTorch's cell math written out op by op
(`torch.linear`, `torch.unsafe_chunk`, `torch.sigmoid_`, …), with no recurrence call. rnnkit runs a
cell over the sequence (`cell_input.npy`, `(T, B, F)`), so `<stem>_output` is the cell called step by
step from the zero state. The stock ones must run to those numbers (the RNNCell's relu read from its
code); `cell_lstm_hook.pt` and `cell_gru_pre_hook.pt` carry a hook traced into the ops and must be
refused (until the fix of 2026-12-07 they ran and exited 0, 0.2–0.4 off); `<stem>_pytorch` is the
cell without its hook, what `--assume-pytorch-forward` computes.

| file | what |
|---|---|
{rows}
"""
    with open(os.path.join(root, "torch_traced", "README.md"), "w") as handle:
        handle.write(text)


def main():
    part_main.run(__doc__, make, write_readme, lambda item: f"torch_traced/{item[0]}")


if __name__ == "__main__":
    main()
