"""Writes the README.md files of Fixtures/ from what was generated, so the
tables always list exactly the fixtures on disk."""

import json
import os

import torch

FORMAT_TEXT = """\
# Fixtures

Everything in this folder (except `formats/`, the readers' own sample files) is written by
`scripts/make_fixtures.py` with real PyTorch {torch_version} (and Keras / ONNX for the interop
folders). Regenerate with `make fixtures`; never edit a file here by hand, and never type an
expected number: every `expected.npz` is what PyTorch (or Keras) returned. Seeds are fixed per
fixture name, so the numbers are reproducible; `.pt` files carry a random serialization id and
`.keras` archives a save date, so their bytes (not their contents) change on each run.

| folder | what |
|---|---|
| `<name>/` | {count} module fixtures (the table below), in the format described next |
| `problems/` | damaged weight files for the inspector's diagnostics (`problems/README.md`) |
| `unreadable/` | files whose recurrent module has tensors in a form rnnkit does not read (HDF5 external storage and links, float8, an NPZ member that is no NPY array, lists in a state dict), which it must refuse naming them (`unreadable/README.md`, `scripts/fixturegen/unreadable_files.py`) |
| `checkpoints/` | `torch.save` files for the checkpoint reader (`checkpoints/README.md`) |
| `sharded/` | checkpoints split into shards by huggingface_hub's `save_torch_state_dict` (safetensors and `.bin`, with their indexes), a 2-layer LSTM cut between shards, with torch's outputs (`sharded/README.md`, `scripts/fixturegen/sharded_files.py`) |
| `torch_modules/` | TorchScript archives and `torch.save(model)` files, with hostile ones (`torch_modules/README.md`, made by `scripts/fixturegen/torch_module_files.py`) |
| `torch_code/` | `torch.save(model)` and TorchScript files whose recurrent module comes with a class or hooks rnnkit cannot run, or was saved in half precision or training mode, with torch's outputs (`torch_code/README.md`, `scripts/fixturegen/torch_code_files.py`) |
| `torch_buffers/` | stock `nn.LSTM`/`nn.GRU` objects (pickled, traced, scripted, `.pt2`) carrying buffers their forward ignores (`h0`, `c0`, `lengths`, `*_l0_reverse`), and one whose settings disagree with its `_flat_weights_names`, with torch's outputs (`torch_buffers/README.md`, `scripts/fixturegen/torch_buffer_files.py`) |
| `torch_traced/` | plain `torch.jit.trace` files whose traced forward holds the tracer's and PyTorch's own moves around the recurrence (a head on `h_n`, flattened results, a packed input, an unbatched input), which must run, with torch's outputs (`torch_traced/README.md`, `scripts/fixturegen/torch_traced_files.py`) |
| `pt2/` | exported programs (`torch.export.save`, `.pt2`): recurrent modules the graph runs as recorded, and ones it computes otherwise (a hook, a subclass's forward, decomposed, training-mode dropout), with torch's outputs (`pt2/README.md`, `scripts/fixturegen/pt2_files.py`) |
| `keras/` | models built and saved by Keras 3 itself (`keras/README.md`) |
| `onnx/` | `torch.onnx.export` files (`onnx/README.md`) |
| `onnx_invalid/` | ONNX files real exporters wrote that do not describe their model and that onnxruntime refuses (the dynamo exporter's LSTM with proj_size), which rnnkit must refuse (`onnx_invalid/README.md`, `scripts/fixturegen/onnx_invalid_files.py`) |
| `keras_precision/` | Keras 3 models whose dtype policy computes in float16 or bfloat16 (`mixed_float16`, `bfloat16`, …), with Keras's output and the float32 output `--full-precision` must give (`keras_precision/README.md`, `scripts/fixturegen/keras_precision_files.py`) |
| `keras_classes/` | Keras 3 models whose recurrent weights belong to a layer class rnnkit does not read (a registered subclass of LSTM, ConvLSTM1D), which it must refuse (`keras_classes/README.md`, `scripts/fixturegen/keras_class_files.py`) |
| `keras3_h5/` | Keras 3 models saved as legacy HDF5 (`model.save("m.h5")`: Keras 3's config in Keras 2's container), which rnnkit refuses naming the remedy (`keras3_h5/README.md`, `scripts/fixturegen/keras3_h5_files.py`) |
| `variants/` | cells beyond PyTorch's: ONNX nodes run by onnxruntime, Keras 3 models run by Keras (`variants/README.md`, `scripts/fixturegen/variant_files.py`) |

## The module fixture format

Each fixture is a folder `Fixtures/<name>/`:

- `fixture.json` (below);
- the weights file named by `fixture.json["weights"]`: `weights.h5`, `weights.npz`,
  `weights.safetensors`, `weights` (a directory of `.npy` files, tensor name = file name without
  `.npy`), or `weights.pt` / `weights_legacy.pt` when the fixture's container is PyTorch itself.
  It holds one or more modules and possibly other tensors (embeddings, heads);
- `input.npy`: the input exactly as passed to the module: `(T, B, F)`, or `(B, T, F)` when
  `flags.batch_first`; float32, or float64 for the float64 fixtures;
- optional `lengths.npy` (int64, shape `(B,)`, unsorted; the reference packed the batch with
  `pack_padded_sequence(..., enforce_sorted=False)` and unpacked it with
  `pad_packed_sequence(..., total_length=T)`, so `output` is zero past each length);
- optional `h0.npy` `(num_layers·directions, B, proj_size or hidden_size)` and `c0.npy`
  `(num_layers·directions, B, hidden_size)`;
- `expected.npz`: `output`, `h_n` and, for LSTM, `c_n`, as PyTorch returned them (`output`
  batch-first when `flags.batch_first`; `h_n`/`c_n` never are);
- `weights.pt` (torch.save zip) and `weights_legacy.pt` (`_use_new_zipfile_serialization=False`):
  twins holding exactly the tensors of the weights file (same names, same dtypes) as an
  `OrderedDict`, for the checkpoint reader. The `renames` apply to them as well.

Cells (`LSTMCell`, `GRUCell`, `RNNCell`) are run over the sequence step by step as a one-layer,
one-direction network: `output (T, B, H)` is the stacked `h` of every step, `h_n`/`c_n` are
`(1, B, H)`, and `h0`/`c0` are given as `(1, B, H)`.

Weights stored as float16/bfloat16: the reference is PyTorch with those rounded weights upcast
to float32 and a float32 input. numpy has no bfloat16, so bfloat16 fixtures are safetensors
files (and their `.pt` twins).

`fixture.json` (here the one of `multi_nested_h5`):

```json
{example}
```

- `module`: the module the reference outputs are for (`""` = the root).
- `renames`: the `--rename OLD=NEW` arguments that map the file's own names to PyTorch's; empty
  when the file already uses PyTorch's names. `modules`, `module` and `other_tensors` use the
  names after renaming.
- `flags.nonlinearity` is the reference module's (`tanh` for LSTM/GRU); an RNN's tanh vs relu is
  not stored in any weights file.
- `modules`: every recurrent module in the file, read off the torch module (`mode` RNN/GRU/LSTM,
  `kind` layer/cell, sizes, `bias`, `dtype` of the stored weights as numpy spells it,
  `parameters` = sum of `numel`).
- `shapes`: the shapes PyTorch returned. `container` (extra, informative) says how the weights
  file is laid out.

`make_fixtures.py` ends with a self-check that re-reads every `fixture.json`, loads each weights
file and its twins with independent readers, rebuilds the module from `modules`, runs PyTorch
again and requires `expected.npz` bit for bit.

## The module fixtures

| name | what it covers | module | inputs beside input.npy | container: weights |
|---|---|---|---|---|
{rows}
"""


def write_text(root, folder, text):
    with open(os.path.join(root, folder, "README.md"), "w", encoding="utf-8") as f:
        f.write(text)


def fixture_rows(made):
    rows = []
    for name, fixture in made.items():
        inputs = [k for k in ("lengths", "h0", "c0") if fixture["inputs"][k]]
        if fixture["renames"]:
            inputs.append(f"{len(fixture['renames'])} renames")
        module = fixture["module"] or "(root)"
        rows.append(f"| `{name}` | {fixture['description']} | `{module}` | {', '.join(inputs) or '—'} "
                    f"| {fixture['container']}: `{fixture['weights']}` |")
    return "\n".join(rows)


def compact_json(fixture):
    """fixture.json with one line per key (and per module), for the README."""
    lines = []
    for key, value in fixture.items():
        if key == "modules":
            inner = ",\n".join("    " + json.dumps(m, ensure_ascii=False) for m in value)
            lines.append(f'  "modules": [\n{inner}\n  ]')
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(lines) + "\n}"


def write_main(root, made):
    example = compact_json(made["multi_nested_h5"])
    text = FORMAT_TEXT.format(torch_version=torch.__version__, count=len(made), example=example,
                              rows=fixture_rows(made))
    write_text(root, "", text)


def write_problems(root, files):
    rows = "\n".join(f"| `{e['file']}` | {e['format']} | {e['damage']} | "
                     f"{', '.join('`%s`' % t for t in e['must_report'])} | "
                     f"{', '.join('`%s`' % t for t in e['may_report']) or '—'} |" for e in files)
    text = f"""# Problem files

Small weight files made from real torch modules and then damaged, one container each, for
`rnnkit inspect`'s diagnostics. A damaged file is still readable: inspect must list problems and
exit 0, never fail or crash.

`problems.json` lists, per file: `module` (the damaged module's name), `source_module` (its
architecture before the damage, read off torch), `damage`, `must_report` and `may_report`.
The inspector passes a file when every name in `must_report` is the `tensor` of at least one
reported problem, and every problem that names a tensor names one from `must_report` or
`may_report` (module-wide problems without a tensor are allowed). Mixed dtypes must name the
odd tensor. `healthy_modules` are modules in the same file that must come out without problems.
The wording of each message is the inspector's.

| file | container | damage | must report | may report |
|---|---|---|---|---|
{rows}
"""
    write_text(root, "problems", text)


def write_checkpoints(root, made):
    rows = "\n".join(f"| `{s['file']}` | {s['serialization']} | {s['content']}"
                     f"{' under `%s`' % s['state_dict_key'] if s['state_dict_key'] else ''} | "
                     f"{s['expect']} | {s['description']} |" for s in made)
    text = f"""# Checkpoint fixtures

`torch.save` files for the PyTorch-checkpoint reader, written by torch {torch.__version__}. Each
`<stem>.pt` / `.pth` has a sidecar `<stem>.json` and, when it must be readable, `<stem>.values.npz`
with the value of every tensor (as torch holds it, made contiguous; bfloat16 values are stored
as float32, which holds every bfloat16 exactly).

Sidecar fields: `expect` (`read`, or `refuse` with `refuse_because`), `serialization` (`zip`:
`archive_folder`, `byteorder`, `storage_keys`; or `legacy`), `content` (`state_dict`,
`checkpoint_dict` with the tensors under `state_dict_key`, or `pickled_module`),
`pickle_globals` (every global the data pickle names, found with `pickletools`), `tensors`
(name, dtype, shape, stride, storage_offset, contiguous, storage_bytes), `shared_storage`
(groups of tensors that share one storage), `non_tensor_items`, `modules` (the recurrent
modules, read off torch), `values`. The generator loads every readable file back with
`torch.load(weights_only=True)` and checks it against the sidecar.

| file | format | content | expect | what |
|---|---|---|---|---|
{rows}
"""
    write_text(root, "checkpoints", text)


def write_keras(root, made):
    rows = "\n".join(f"| `{n}/` | {s['description']} | "
                     f"{', '.join(l['name'] for l in s['layers'])} | "
                     f"{'refuse' if s['pytorch'] is None else 'PyTorch ' + s['pytorch']['module']['mode']}"
                     f" |" for n, s in made)
    text = f"""# Keras fixtures

Models built and saved by Keras {made[0][1]['keras_version']} itself (backend {made[0][1]['backend']}), with the
layer names Keras gives by default: each folder holds `model.keras` (`model.save`),
`model.weights.h5` (`model.save_weights`), `input.npy` `(batch, time, features)` and
`expected.npz` with `output` = `model.predict(input)`. Weights are random (uniform ±0.5, biases
included), set with `set_weights`.

`keras.json` describes the architecture: every layer (class, name, units, activation,
`reset_after`, Bidirectional `merge_mode` and inner layer names, weight paths and shapes) and
every dataset of `model.weights.h5`. When PyTorch can express the model, `pytorch` gives the
equivalent module and `pytorch.safetensors` its weights in PyTorch's names (kernel transposed;
GRU gates z,r,h reordered to r,z,n with the two bias rows as `bias_ih`/`bias_hh`; the merged
LSTM/SimpleRNN bias as `bias_ih` with `bias_hh` = 0), checked by running PyTorch on them
(`pytorch_expected.npz`, within `max_abs_difference_to_keras` of Keras). A GRU with
`reset_after=False` has `pytorch: null` and `refuse_because`: reading it back must be refused.

| folder | model | layers | reads back as |
|---|---|---|---|
{rows}
"""
    write_text(root, "keras", text)


def write_onnx(root, made):
    rows = "\n".join(f"| `{n}/` | {s['description']} | {', '.join(sorted(set(o['op'] for o in s['recurrent_nodes'])))} "
                     f"× {len(s['recurrent_nodes'])} | {'yes' if s['flags']['batch_first'] else 'no'} |" for n, s in made)
    ops = sorted({op for _, s in made for op in s["nodes"]} - {"LSTM", "GRU", "RNN"})
    others = ", ".join(f"`{op}`" for op in ops)
    initializer = made[0][1]["initializers"][0]["name"]
    text = f"""# ONNX fixtures

Files written by `torch.onnx.export(..., dynamo=False, opset_version=14)` (the TorchScript
exporter) from torch {torch.__version__}: one standard `LSTM` / `GRU` / `RNN` node per layer among
{others} nodes, with initializers named by the exporter (e.g. `{initializer}`).
Each folder holds `model.onnx`, `input.npy`, `expected.npz` (`output`, `h_n`, `c_n` from PyTorch),
and `pytorch.safetensors`, the original `state_dict` (the module is `onnx.json["module"]`), for
the round-trip comparison. The generator checked each model with `onnx.checker` and ran it in
ONNX Runtime (`onnxruntime_max_abs_difference`). `onnx.json` also lists the graph's nodes,
inputs/outputs, initializers and the attributes of every recurrent node.

| folder | model | recurrent nodes | batch_first |
|---|---|---|---|
{rows}
"""
    # Keep the section scripts/fixturegen/onnx_trust_files.py adds.
    existing = os.path.join(root, "onnx", "README.md")
    if os.path.exists(existing):
        previous = open(existing).read()
        marker = "<!-- onnx_trust_files: begin -->"
        if marker in previous:
            text = text.rstrip() + "\n\n" + previous[previous.index(marker):]
    write_text(root, "onnx", text)
