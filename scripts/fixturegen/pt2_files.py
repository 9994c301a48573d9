"""Fixtures/pt2/: exported programs (`torch.export.save`, `.pt2`) holding recurrent modules.

Some are run as recorded: their graph runs each recurrent module's weights through PyTorch's
recurrence operator (aten.lstm.input, aten.gru.input, aten.rnn_relu.input, aten.lstm_cell) and
nothing else inside the module. The others compute something rnnkit does not: a forward hook, a
subclass's own forward, the recurrence decomposed by run_decompositions(), training-mode dropout.
rnnkit must refuse those unless --assume-pytorch-forward, and then compute PyTorch's forward.

expected.npz holds, per file stem, `<stem>_program` (what torch.export.load(file).module()
returns for the stem's input: its output sequence, or h' for a cell) and `<stem>_pytorch` (what
torch.nn's own module returns for the same weights). cases.json names each stem's input file and
whether rnnkit runs it as recorded, and its state_dict's names in order; state_dicts.npz holds
the values (`<stem>:<name>`).

Run with torch (python3 scripts/make_fixtures.py --only pt2, or this file alone).
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

README_BEGIN = "<!-- made by scripts/fixturegen/pt2_files.py -->"


class Wrapped(nn.Module):
    """A model of the user's own around a batch-first nn.LSTM (the LSTM runs as recorded)."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(4, 5, batch_first=True)

    def forward(self, x):
        return self.lstm(x)[0]


class Hooked(nn.Module):
    """A GRU with a forward hook that halves its output sequence."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(4, 5)
        self.gru.register_forward_hook(lambda module, inputs, output: (output[0] * 0.5, output[1]))

    def forward(self, x):
        return self.gru(x)[0]


class ScaledLSTM(nn.LSTM):
    """nn.LSTM with a forward of its own: the input doubled."""

    def forward(self, x, hx=None):
        return super().forward(x * 2.0, hx)


class SwappedLSTM(nn.LSTM):
    """nn.LSTM whose forward returns (output, (c_n, h_n)): no operator of its own in the graph."""

    def forward(self, x, hx=None):
        output, (h, c) = super().forward(x, hx)
        return output, (c, h)


class LearnedState(nn.Module):
    """A GRU started from a learned initial state (an nn.Parameter of the wrapper), module 'gru'."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(4, 5)
        self.h0 = nn.Parameter(torch.randn(1, 1, 5))

    def forward(self, x):
        return self.gru(x, self.h0.expand(1, x.shape[1], 5).contiguous())[0]


class GivenState(nn.Module):
    """A GRU whose initial state is an input of the program, module 'gru'."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(4, 5)

    def forward(self, x, h):
        return self.gru(x, h)[0]


def plain_copy(module):
    """torch.nn's own module with `module`'s weights (its class's nearest torch.nn base)."""
    base = next(kind for kind in type(module).__mro__ if kind.__module__ == "torch.nn.modules.rnn")
    if base in (nn.LSTMCell, nn.GRUCell, nn.RNNCell):
        plain = base(module.input_size, module.hidden_size, bias=module.bias)
    else:
        plain = base(module.input_size, module.hidden_size, num_layers=module.num_layers, bias=module.bias,
                     batch_first=module.batch_first, bidirectional=module.bidirectional,
                     **({"proj_size": module.proj_size} if base is nn.LSTM else {}),
                     **({"nonlinearity": module.nonlinearity} if base is nn.RNN else {}))
    plain.load_state_dict(module.state_dict())
    return plain.eval()


def first(out):
    """The output sequence (or a cell's h')."""
    while isinstance(out, tuple):
        out = out[0]
    return out


def make(root):
    folder = os.path.join(root, "pt2")
    if os.path.exists(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    torch.manual_seed(11)
    x = torch.randn(6, 2, 4)
    inputs = {"input.npy": x, "input_batch_first.npy": x.transpose(0, 1).contiguous(), "input_step.npy": x[:1]}
    expected, weights, cases, made = {}, {}, {}, []

    def save(stem, model, recurrent, input_name, accepted, description, train=False, decompose=False, flag=None,
             state=None, dtype=None):
        """Exports `model` on the input (and `state`, an initial state given as a second input, saved as
        <stem>_state.npy); `accepted`: rnnkit runs it as recorded; else `flag` makes it run."""
        model.train(train)
        example = inputs[input_name]
        if input_name == "input_step.npy":
            example = example[0]  # a cell takes one step, (B, F)
        arguments = (example if dtype is None else example.to(dtype),) + ((state,) if state is not None else ())
        program = torch.export.export(model, arguments)
        if decompose:
            program = program.run_decompositions()
        path = os.path.join(folder, stem + ".pt2")
        torch.export.save(program, path)
        loaded = torch.export.load(path).module()
        with torch.no_grad():
            out = loaded(*arguments)
            expected[stem + "_program"] = first(out).float().numpy()
            if isinstance(out, tuple) and isinstance(out[1], tuple):
                expected[stem + "_program_h_n"] = out[1][0].float().numpy()
            expected[stem + "_pytorch"] = first(plain_copy(recurrent.float())(example)).numpy()
        saved = model.state_dict()
        for name, value in saved.items():
            weights[f"{stem}:{name}"] = value.detach().float().numpy()
        cases[stem] = {"input": input_name, "accepted": accepted, "description": description, "state_dict": list(saved)}
        if flag:
            cases[stem]["flag"] = flag
        if state is not None:
            np.save(os.path.join(folder, stem + "_state.npy"), state.numpy())
            cases[stem]["h0"] = stem + "_state.npy"
        made.append((stem, description))

    wrapped = Wrapped()
    save("lstm_wrapped_batch_first", wrapped, wrapped.lstm, "input_batch_first.npy", True,
         "a model of the user's own around nn.LSTM(4, 5, batch_first=True), module 'lstm'")
    gru = nn.GRU(4, 5, num_layers=2, bidirectional=True, batch_first=True)
    save("gru_2l_bi_batch_first", gru, gru, "input_batch_first.npy", True, "nn.GRU(4, 5, num_layers=2, bidirectional=True, batch_first=True)")
    rnn = nn.RNN(4, 5, nonlinearity="relu")
    save("rnn_relu", rnn, rnn, "input.npy", True, "nn.RNN(4, 5, nonlinearity='relu')")
    proj = nn.LSTM(4, 6, proj_size=3)
    save("lstm_proj", proj, proj, "input.npy", True, "nn.LSTM(4, 6, proj_size=3)")
    strided = nn.LSTM(4, 5)
    strided.weight_hh_l0 = nn.Parameter(torch.randn(5, 20).t())  # a transposed view: strides (1, 20)
    save("lstm_strided_weight", strided, strided, "input.npy", True, "nn.LSTM(4, 5) whose weight_hh_l0 is a transposed view (strides (1, 20))")
    cell = nn.LSTMCell(4, 5)
    save("lstmcell", cell, cell, "input_step.npy", True, "nn.LSTMCell(4, 5), exported on one step (B, F)")
    given = GivenState()
    save("gru_given_state", given, given.gru, "input.npy", True,
         "a GRU whose initial state is the program's second input (run takes it as --h0), module 'gru'",
         state=torch.randn(1, 2, 5))
    hooked = Hooked()
    save("gru_forward_hook", hooked, hooked.gru, "input.npy", False, "nn.GRU(4, 5) with a forward hook halving its output, module 'gru'")
    scaled = ScaledLSTM(4, 5)
    save("subclass_forward", scaled, scaled, "input.npy", False, "ScaledLSTM(nn.LSTM), whose forward doubles the input")
    decomposed = nn.LSTM(4, 5)
    save("lstm_decomposed", decomposed, decomposed, "input.npy", False,
         "nn.LSTM(4, 5) after run_decompositions(): aten.addmm, aten.sigmoid, … in place of aten.lstm", decompose=True)
    training = nn.LSTM(4, 5, num_layers=2, dropout=0.5)
    torch.manual_seed(3)
    save("lstm_train_dropout", training, training, "input.npy", False,
         "nn.LSTM(4, 5, num_layers=2, dropout=0.5) exported in training mode (dropout between the layers)", train=True)
    swapped = SwappedLSTM(4, 5)
    save("subclass_swapped_states", swapped, swapped, "input.npy", False,
         "SwappedLSTM(nn.LSTM), whose forward returns (output, (c_n, h_n)) without an operator of its own")
    learned = LearnedState()
    save("gru_learned_state", learned, learned.gru, "input.npy", False,
         "a GRU started from the wrapper's learned h0 (an nn.Parameter, expanded to the batch), module 'gru'")
    np.save(os.path.join(folder, "gru_learned_state_state.npy"), learned.h0.detach().expand(1, 2, 5).numpy())
    cases["gru_learned_state"]["h0"] = "gru_learned_state_state.npy"
    half = nn.GRU(4, 5).half()
    save("gru_float16", half, half, "input.npy", False,
         "nn.GRU(4, 5).half(), exported on float16 input: the program computes in float16", flag="--full-precision",
         dtype=torch.float16)
    for name, value in inputs.items():
        np.save(os.path.join(folder, name), value.numpy())
    np.savez(os.path.join(folder, "expected.npz"), **expected)
    np.savez(os.path.join(folder, "state_dicts.npz"), **weights)
    with open(os.path.join(folder, "cases.json"), "w") as handle:
        json.dump({"torch_version": torch.__version__, "cases": cases}, handle, indent=2)
        handle.write("\n")
    return made


def write_readme(root, made):
    rows = "\n".join(f"| `{stem}.pt2` | {description} |" for stem, description in made)
    text = f"""{README_BEGIN}
# Fixtures/pt2: exported programs (`torch.export.save`)

Made by `scripts/fixturegen/pt2_files.py` with torch {torch.__version__}. Each file is a pt2
archive: the weights as raw bytes with their dtypes, sizes and strides, and the program's graph of
operators as JSON. rnnkit reads the weights as a state dict and the graph for how each recurrent
module is run: seven run their weights through PyTorch's recurrence operator and nothing else
inside the module (`accepted` in `cases.json`); the others compute something rnnkit does not, and
are refused unless `--assume-pytorch-forward` (or, for the float16 program, `--full-precision`:
`flag`). `<stem>_state.npy` is an initial state: the program's second input (`gru_given_state`), or
the learned one the program starts from (`gru_learned_state`); `<stem>_program_h_n` the program's
second output where it has one. `expected.npz`: `<stem>_program` is what
`torch.export.load(file).module()` returns, `<stem>_pytorch` what torch.nn's module returns for the
same weights; `input.npy` is `(T, B, F)`, `input_batch_first.npy` the same `(B, T, F)`,
`input_step.npy` its first step `(1, B, F)` (the cell's fixture was exported on `(B, F)`).
`cases.json` lists each file's `state_dict()` names in order, `state_dicts.npz` their values
(`<stem>:<name>`).
`lstm_train_dropout`'s program output is one draw of its dropout.

| file | what |
|---|---|
{rows}
"""
    with open(os.path.join(root, "pt2", "README.md"), "w") as handle:
        handle.write(text)


def main():
    part_main.run(__doc__, make, write_readme, lambda item: f"pt2/{item[0]}.pt2")


if __name__ == "__main__":
    main()
