"""Fixtures/sharded/: checkpoints split into shards by huggingface_hub's save_torch_state_dict (the
writer transformers' save_pretrained uses): safetensors shards and pickle (.bin) shards, each with
its index (model.safetensors.index.json, pytorch_model.bin.index.json). The model's 2-layer LSTM
is cut between shards: one shard alone holds a 1-layer LSTM that is not the model's. rnnkit must
read the index with its shards and give the model's numbers, and refuse a shard alone to run or
convert (its name says it is one of several).

expected.npz holds `output`, `h_n`, `c_n` of the model's `lstm` (torch) for input.npy (T, B, F).

Run with torch and huggingface_hub (python3 scripts/make_fixtures.py --only sharded, or this file
alone).
"""
import json
import os
import shutil

import huggingface_hub
import numpy as np
import torch
from huggingface_hub import save_torch_state_dict
from torch import nn

try:
    from fixturegen import part_main
except ImportError:  # run as a script from its folder
    import part_main

README_BEGIN = "<!-- made by scripts/fixturegen/sharded_files.py -->"


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(50, 16)
        self.lstm = nn.LSTM(16, 32, num_layers=2)
        self.fc = nn.Linear(32, 50)


def make(root):
    folder = os.path.join(root, "sharded")
    if os.path.exists(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    torch.manual_seed(2)
    model = Tagger().eval()
    made = []
    for kind, safe in (("safetensors", True), ("bin", False)):
        target = os.path.join(folder, kind)
        os.makedirs(target)
        # 30 kB shards: the LSTM's layer 1 starts in the second shard.
        save_torch_state_dict(model.state_dict(), target, max_shard_size=30000, safe_serialization=safe)
        files = sorted(os.listdir(target))
        shards = [name for name in files if not name.endswith(".json")]
        index = next(name for name in files if name.endswith(".json"))
        with open(os.path.join(target, index)) as handle:
            weight_map = json.load(handle)["weight_map"]
        placed = {name: weight_map[name] for name in weight_map if name.startswith("lstm.")}
        made.append({"folder": kind, "index": index, "shards": shards, "lstm": placed})
    x = torch.randn(5, 3, 16)
    with torch.no_grad():
        output, (h, c) = model.lstm(x)
    np.save(os.path.join(folder, "input.npy"), x.numpy())
    np.savez(os.path.join(folder, "expected.npz"), output=output.numpy(), h_n=h.numpy(), c_n=c.numpy())
    with open(os.path.join(folder, "sharded.json"), "w") as handle:
        json.dump({"torch_version": torch.__version__, "huggingface_hub_version": huggingface_hub.__version__,
                   "module": "lstm", "checkpoints": made}, handle, indent=2)
        handle.write("\n")
    return made


def write_readme(root, made):
    rows = "\n".join(f"| `{entry['folder']}/` | `{entry['index']}` | {', '.join('`%s`' % s for s in entry['shards'])} |" for entry in made)
    text = f"""{README_BEGIN}
# Fixtures/sharded: checkpoints split into shards

Made by `scripts/fixturegen/sharded_files.py` with torch {torch.__version__} and huggingface_hub
{huggingface_hub.__version__} (`save_torch_state_dict(max_shard_size=30000)`, as `save_pretrained`
shards). The model (Embedding, a 2-layer `nn.LSTM(16, 32)` named `lstm`, Linear) is cut so that
the LSTM's layers lie in different shards; `sharded.json` says which shard holds each LSTM tensor.
rnnkit reads an index with its shards (`expected.npz`: torch's `output`, `h_n`, `c_n` for
`input.npy`), and refuses to run or convert a shard alone.

| folder | index | shards |
|---|---|---|
{rows}
"""
    with open(os.path.join(root, "sharded", "README.md"), "w") as handle:
        handle.write(text)


def main():
    part_main.run(__doc__, make, write_readme, lambda item: f"sharded/{item['folder']}/{item['index']}")


if __name__ == "__main__":
    main()
