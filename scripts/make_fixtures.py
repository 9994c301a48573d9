#!/usr/bin/env python3
"""Regenerates Fixtures/ with real PyTorch (and Keras 3 / ONNX for the interop
folders). Run by hand (`make fixtures`), never in CI:

    python3 scripts/make_fixtures.py [--only modules,problems,checkpoints,keras,onnx,onnx_trust,keras_masks,torch_modules,variants,keras_precision,torch_code,torch_buffers,torch_traced,keras_classes,pt2,unreadable,onnx_invalid,sharded,keras3_h5,keras2] [--root Fixtures]

Needs torch, numpy, h5py, safetensors, keras 3 + jax, onnx, onnxruntime and onnxscript
(torch.onnx.export(dynamo=True), part onnx_trust).
Every expected output is computed here by the real library; seeds are fixed
per fixture. Fixtures/formats/ belongs to the readers and is left alone.
The script ends with a self-check that re-reads everything it wrote.
"""

import argparse
import glob
import os
import shutil
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import torch  # noqa: E402

from fixturegen import (  # noqa: E402
    checkpoint_files, interop_files, keras3_h5_files, keras_class_files, keras_mask_files, keras_precision_files, module_fixtures,
    onnx_invalid_files, onnx_trust_files, problem_files, pt2_files, readmes, self_check, sharded_files, torch_buffer_files, torch_code_files, torch_traced_files, torch_module_files, unreadable_files,
    variant_files)

# part -> (maker, README writer, what it counts)
PARTS = {
    "modules": (module_fixtures.make, readmes.write_main, "fixtures"),
    "problems": (problem_files.make, readmes.write_problems, "files"),
    "checkpoints": (checkpoint_files.make, readmes.write_checkpoints, "files"),
    "keras": (interop_files.make_keras, readmes.write_keras, "models"),
    "onnx": (interop_files.make_onnx, readmes.write_onnx, "models"),
    # Stored state/lengths, hidden layouts, control flow (issue 13); after "onnx", whose README it extends.
    "onnx_trust": (onnx_trust_files.make, onnx_trust_files.write_readme, "models"),
    # After "keras": its README section is added to Fixtures/keras/README.md.
    "keras_masks": (keras_mask_files.make, keras_mask_files.write_readme, "models"),
    "torch_modules": (torch_module_files.make, torch_module_files.write_readme, "files"),
    # Cells beyond PyTorch's (ONNX nodes by onnx.helper + onnxruntime, Keras 3 models): Fixtures/variants/.
    "variants": (variant_files.make, variant_files.write_readme, "models"),
    # Keras 3 layers whose dtype policy computes in float16/bfloat16: Fixtures/keras_precision/.
    "keras_precision": (keras_precision_files.make, keras_precision_files.write_readme, "models"),
    # Pickled/scripted modules with code rnnkit cannot run (a class of their own, hooks): Fixtures/torch_code/.
    "torch_code": (torch_code_files.make, torch_code_files.write_readme, "files"),
    # Stock nn.LSTM/GRU objects with buffers their forward ignores (h0, lengths, *_reverse): Fixtures/torch_buffers/.
    "torch_buffers": (torch_buffer_files.make, torch_buffer_files.write_readme, "files"),
    # Plain traced modules whose forward holds the tracer's and PyTorch's own moves around the recurrence: Fixtures/torch_traced/.
    "torch_traced": (torch_traced_files.make, torch_traced_files.write_readme, "files"),
    # Keras layers of classes rnnkit does not read that hold recurrent weights: Fixtures/keras_classes/.
    "keras_classes": (keras_class_files.make, keras_class_files.write_readme, "models"),
    # Exported programs (torch.export.save, .pt2) run as recorded or refused: Fixtures/pt2/.
    "pt2": (pt2_files.make, pt2_files.write_readme, "files"),
    # Module tensors in forms rnnkit does not read (external storage, float8, …), which it must refuse: Fixtures/unreadable/.
    "unreadable": (unreadable_files.make, unreadable_files.write_readme, "files"),
    # ONNX files real exporters wrote that are not their model (onnxruntime refuses them): Fixtures/onnx_invalid/.
    "onnx_invalid": (onnx_invalid_files.make, onnx_invalid_files.write_readme, "files"),
    # Checkpoints split into shards by huggingface_hub, with their indexes: Fixtures/sharded/.
    "sharded": (sharded_files.make, sharded_files.write_readme, "checkpoints"),
    # Keras 3 models saved as legacy .h5 (Keras 3's config in Keras 2's container), refused: Fixtures/keras3_h5/.
    "keras3_h5": (keras3_h5_files.make, keras3_h5_files.write_readme, "models"),
}
# Parts made by another Python (TensorFlow's): run as a script, their READMEs kept by hand.
EXTERNAL_PARTS = {
    "keras2": (os.environ.get("RNNKIT_TF_PYTHON", "/opt/venv-tf/bin/python"), "fixturegen/keras2_files.py"),
}


def remove_stale_fixtures(root, names):
    """Deletes module fixture folders the generator no longer makes."""
    for path in glob.glob(os.path.join(root, "*", "fixture.json")):
        folder = os.path.dirname(path)
        if os.path.basename(folder) not in names:
            shutil.rmtree(folder)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures")
    parser.add_argument("--root", default=os.path.normpath(default_root))
    parser.add_argument("--only", default=",".join(PARTS), help="comma-separated parts: " + ", ".join(PARTS))
    args = parser.parse_args()
    parts = [p for p in PARTS if p in args.only.split(",")]
    unknown = set(args.only.split(",")) - set(PARTS) - set(EXTERNAL_PARTS)
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")

    torch.set_num_threads(1)  # one thread: the same float sums on every run
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.root, exist_ok=True)

    for part in parts:
        make, write_readme, unit = PARTS[part]
        made = make(args.root)
        if part == "modules":
            remove_stale_fixtures(args.root, set(made))
        write_readme(args.root, made)
        print(f"{part}: {len(made)} {unit}")

    for part, (python, script) in EXTERNAL_PARTS.items():
        if part in args.only.split(","):
            import subprocess
            subprocess.run([python, os.path.join(os.path.dirname(os.path.abspath(__file__)), script), "--root", args.root], check=True)

    self_check.run(args.root, parts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
