"""Fixtures/onnx_invalid/: ONNX files written by real exporters that do not describe the model they
were exported from, and that onnxruntime refuses to run. rnnkit must refuse them too, never run
them (exit 0 with numbers no framework computes).

- lstm_proj_dynamo.onnx: torch.onnx.export(dynamo=True) of nn.LSTM(5, 6, proj_size=3): one LSTM
  node of hidden_size 3 (the projection weights weight_hr_l0 are gone) whose zero initial_c keeps
  the cell's width 6.

invalid.json records, per file, what made it and onnxruntime's refusal.

Run with torch and onnxscript (torch.onnx.export(dynamo=True)), onnx and onnxruntime
(python3 scripts/make_fixtures.py --only onnx_invalid, or this file alone).
"""
import json
import os
import shutil

import onnxruntime
import torch
from torch import nn

try:
    from fixturegen import part_main
except ImportError:  # run as a script from its folder
    import part_main

README_BEGIN = "<!-- made by scripts/fixturegen/onnx_invalid_files.py -->"


def make(root):
    folder = os.path.join(root, "onnx_invalid")
    if os.path.exists(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    torch.manual_seed(9)
    made = []
    model = nn.LSTM(5, 6, proj_size=3).eval()
    x = torch.randn(7, 3, 5)
    path = os.path.join(folder, "lstm_proj_dynamo.onnx")
    torch.onnx.export(model, (x,), path, dynamo=True, external_data=False)
    try:
        onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"input": x.numpy()})
        refusal = None
    except Exception as error:  # onnxruntime's own words
        refusal = str(error).splitlines()[0][:300]
    made.append({"file": "lstm_proj_dynamo.onnx", "made_by": f"torch {torch.__version__} torch.onnx.export(dynamo=True)",
                 "model": repr(model), "onnxruntime": refusal})
    with open(os.path.join(folder, "invalid.json"), "w") as handle:
        json.dump({"onnxruntime_version": onnxruntime.__version__, "files": made}, handle, indent=2)
        handle.write("\n")
    return made


def write_readme(root, made):
    rows = "\n".join(f"| `{entry['file']}` | {entry['made_by']} of `{entry['model']}` | {entry['onnxruntime']} |" for entry in made)
    text = f"""{README_BEGIN}
# Fixtures/onnx_invalid: exported ONNX files that are not their model

Made by `scripts/fixturegen/onnx_invalid_files.py`. Each file was written by a real exporter but
does not describe the model it was exported from, and onnxruntime refuses it; rnnkit must refuse
it too (`ONNXInvalidFileTests`).

| file | made by | onnxruntime |
|---|---|---|
{rows}
"""
    with open(os.path.join(root, "onnx_invalid", "README.md"), "w") as handle:
        handle.write(text)


def main():
    part_main.run(__doc__, make, write_readme, lambda item: f"onnx_invalid/{item['file']}")


if __name__ == "__main__":
    main()
