"""Fixtures/unreadable/: weight files, written by h5py, safetensors, numpy and torch, that hold a
recurrent module's tensors in a form rnnkit does not read (HDF5 external storage and external
links, float8, an NPZ member that is not an NPY array, a list in a state dict). rnnkit must refuse
to run or convert the module, naming each such tensor, never run it without them (a module
without its biases, or with a layer fewer, computes other numbers).

unreadable.json lists, per file, the tensors rnnkit must name (`unreadable`) and what the module
is (`module`: torch's repr).

Run with torch, h5py and safetensors (python3 scripts/make_fixtures.py --only unreadable, or this
file alone).
"""
import json
import os
import shutil
import zipfile

import h5py
import numpy as np
import torch
from safetensors.torch import save_file
from torch import nn

try:
    from fixturegen import part_main
except ImportError:  # run as a script from its folder
    import part_main

README_BEGIN = "<!-- made by scripts/fixturegen/unreadable_files.py -->"


def make(root):
    folder = os.path.join(root, "unreadable")
    if os.path.exists(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    torch.manual_seed(5)
    made = []

    def record(file, module, unreadable, description):
        made.append({"file": file, "module": repr(module), "unreadable": unreadable, "description": description})

    # HDF5: the biases in external storage (raw files beside it, which h5py reads).
    lstm = nn.LSTM(3, 4)
    state = {k: v.detach().numpy() for k, v in lstm.state_dict().items()}
    with h5py.File(os.path.join(folder, "bias_external.h5"), "w", track_order=True) as f:
        for name, value in state.items():
            if name.startswith("bias"):
                value.astype("<f4").tofile(os.path.join(folder, f"{name}.bin"))
                f.create_dataset(name, shape=value.shape, dtype="<f4", external=[(f"{name}.bin", 0, value.nbytes)])
            else:
                f[name] = value
    record("bias_external.h5", lstm, ["bias_ih_l0", "bias_hh_l0"], "nn.LSTM(3, 4) whose biases are HDF5 external storage (bias_*.bin)")

    # HDF5: the biases as external links into another HDF5 file.
    with h5py.File(os.path.join(folder, "bias_target.h5"), "w") as f:
        for name in ("bias_ih_l0", "bias_hh_l0"):
            f[name] = state[name]
    with h5py.File(os.path.join(folder, "bias_external_link.h5"), "w", track_order=True) as f:
        for name, value in state.items():
            if name.startswith("bias"):
                f[name] = h5py.ExternalLink("bias_target.h5", "/" + name)
            else:
                f[name] = value
    record("bias_external_link.h5", lstm, ["bias_ih_l0", "bias_hh_l0"], "the same LSTM with its biases as external links into bias_target.h5")

    # safetensors: the second layer of a bidirectional LSTM in float8.
    deep = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    tensors = {k: (v.to(torch.float8_e4m3fn) if "_l1" in k else v).detach().contiguous() for k, v in deep.state_dict().items()}
    save_file(tensors, os.path.join(folder, "layer1_float8.safetensors"))
    record("layer1_float8.safetensors", deep, sorted(k for k in tensors if "_l1" in k),
           "2-layer bidirectional nn.LSTM(3, 4) whose layer-1 tensors are float8_e4m3fn")

    # NPZ: bias members that are not NPY arrays (raw float32 bytes).
    gru = nn.GRU(3, 4)
    path = os.path.join(folder, "bias_raw_bytes.npz")
    with zipfile.ZipFile(path, "w") as archive:
        for name, value in gru.state_dict().items():
            data = value.detach().numpy()
            if name.startswith("bias"):
                archive.writestr(name + ".npy", data.tobytes())
            else:
                with archive.open(name + ".npy", "w") as member:
                    np.save(member, data)
    record("bias_raw_bytes.npz", gru, ["bias_ih_l0", "bias_hh_l0"], "nn.GRU(3, 4) whose bias members hold raw bytes, not NPY arrays")

    # PyTorch: biases saved as Python lists.
    rnn = nn.RNN(3, 4)
    saved = {k: (v.tolist() if k.startswith("bias") else v) for k, v in rnn.state_dict().items()}
    torch.save(saved, os.path.join(folder, "bias_lists.pt"))
    record("bias_lists.pt", rnn, ["bias_ih_l0", "bias_hh_l0"], "nn.RNN(3, 4) state dict whose biases are Python lists")

    with open(os.path.join(folder, "unreadable.json"), "w") as handle:
        json.dump({"torch_version": torch.__version__, "h5py_version": h5py.__version__, "files": made}, handle, indent=2)
        handle.write("\n")
    return made


def write_readme(root, made):
    rows = "\n".join(f"| `{entry['file']}` | {entry['description']} | {', '.join('`%s`' % n for n in entry['unreadable'])} |"
                     for entry in made)
    text = f"""{README_BEGIN}
# Fixtures/unreadable: module tensors rnnkit cannot read

Made by `scripts/fixturegen/unreadable_files.py` with torch {torch.__version__} and h5py
{h5py.__version__}. Each file holds a recurrent module's tensors under PyTorch's names, some in a
form rnnkit does not read. rnnkit must refuse to run or convert the module, naming them: without
them it would compute another module (no biases, a layer fewer). `bias_*.bin` are the external
storage of `bias_external.h5`, `bias_target.h5` the file `bias_external_link.h5` links into;
rnnkit reads neither (it reads only the file it is given).

| file | what | tensors rnnkit cannot read |
|---|---|---|
{rows}
"""
    with open(os.path.join(root, "unreadable", "README.md"), "w") as handle:
        handle.write(text)


def main():
    part_main.run(__doc__, make, write_readme, lambda item: f"unreadable/{item['file']}")


if __name__ == "__main__":
    main()
