"""Cells beyond PyTorch's, made by the real tools, with their own outputs: Fixtures/variants/.

Part `variants` of scripts/make_fixtures.py; also runs alone (system python3: numpy, onnx,
onnxruntime, keras 3 + jax; no torch):

    KERAS_BACKEND=jax python3 scripts/fixturegen/variant_files.py [--root Fixtures]

- onnx/<name>/: one LSTM/GRU/RNN node built with onnx.helper (gate activations with
  activation_alpha/beta, linear_before_reset=0, peepholes P, clip, input_forget, direction=reverse),
  expected outputs from onnxruntime.
- keras/<name>/: a Keras 3 Sequential saved with model.save (GRU reset_after=False, hard_sigmoid,
  go_backwards, Bidirectional merge_mode sum/mul/ave), expected outputs from Keras.

Each folder: the model, input.npy (what `rnnkit run` reads: (time, batch, features) for ONNX,
(batch, time, features) for Keras), expected.npz (output in PyTorch's shape for that layout, h_n and,
for an LSTM, c_n as (layers*directions, batch, hidden)) and variant.json (what the cell is and what
rnnkit must do with it: `convert` maps each target to "ok" or the word a refusal must contain).
No expected number is typed by hand.
"""

import argparse
import json
import os
import shutil
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402

MARKER = "variant.json"
README_BEGIN = "<!-- variant_files: begin (scripts/fixturegen/variant_files.py) -->"
README_END = "<!-- variant_files: end -->"
GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}

# PyTorch names refuse every variant; ONNX refuses what only Keras has, Keras what only ONNX has.
PYTORCH_REFUSED = "refused"


def onnx_cases():
    """(name, op, attributes, bidirectional, peepholes, description, convert targets)."""
    keras_no = {"keras": "cannot write Keras"}
    return [
        ("lstm_hardsigmoid_alpha_beta", "LSTM", {"activations": ["HardSigmoid", "Tanh", "Tanh"], "activation_alpha": [0.3],
                                                 "activation_beta": [0.4]}, False, False,
         "LSTM, gates HardSigmoid(alpha=0.3, beta=0.4)", keras_no),
        ("lstm_keras3_hardsigmoid", "LSTM", {"activations": ["HardSigmoid", "Tanh", "Tanh"], "activation_alpha": [1.0 / 6.0],
                                             "activation_beta": [0.5]}, False, False,
         "LSTM, gates HardSigmoid(1/6, 0.5), Keras 3's hard_sigmoid", {"keras": "ok"}),
        ("gru_relu_hardsigmoid_default", "GRU", {"activations": ["HardSigmoid", "Relu"]}, False, False,
         "GRU, gates HardSigmoid with ONNX's default alpha 0.2, beta 0.5 (Keras 2's hard_sigmoid), candidate Relu, "
         "linear_before_reset=0 (ONNX's default)", keras_no),
        ("gru_linear_before_reset_0", "GRU", {"linear_before_reset": 0}, False, False,
         "GRU, reset gate before the recurrent product (linear_before_reset=0), biases in W and R", {"keras": "ok"}),
        ("gru_bi_sigmoid_relu", "GRU", {"activations": ["Sigmoid", "Relu", "Sigmoid", "Relu"], "linear_before_reset": 1}, True, False,
         "bidirectional GRU, candidate Relu in both directions", {"keras": "ok"}),
        ("rnn_sigmoid_clip", "RNN", {"activations": ["Sigmoid"], "clip": 0.7}, False, False,
         "RNN with a Sigmoid activation and clip 0.7", keras_no),
        ("lstm_peepholes", "LSTM", {}, False, True, "LSTM with peepholes P (order i, o, f)", keras_no),
        ("lstm_clip", "LSTM", {"clip": 0.5}, False, False, "LSTM, gate pre-activations clipped to ±0.5", keras_no),
        ("lstm_input_forget_peepholes", "LSTM", {"input_forget": 1}, False, True,
         "LSTM with coupled input-forget gate (f = 1 - i) and peepholes", keras_no),
        ("lstm_bi_peepholes_clip", "LSTM", {"clip": 0.8, "activations": ["HardSigmoid", "Tanh", "Tanh"] * 2,
                                            "activation_alpha": [0.25, 0.25], "activation_beta": [0.45, 0.45]}, True, True,
         "bidirectional LSTM, peepholes, clip 0.8, HardSigmoid(0.25, 0.45) gates", keras_no),
        ("gru_reverse", "GRU", {"direction": "reverse", "linear_before_reset": 1}, False, False,
         "GRU reading the sequence backwards (direction=reverse), outputs at their own steps", keras_no),
        ("lstm_reverse_clip", "LSTM", {"direction": "reverse", "clip": 0.6}, False, False,
         "LSTM with direction=reverse and clip 0.6", keras_no),
        # sequence_lens stored in the file: run's default --lengths (each sequence from its own end).
        ("gru_reverse_lbr0_lengths", "GRU", {"direction": "reverse", "activations": ["HardSigmoid", "Tanh"]}, False, False,
         "GRU, direction=reverse, linear_before_reset=0, HardSigmoid gates, stored sequence_lens [6, 3, 1]",
         {"keras": "sequence lengths"}),
        ("lstm_bi_peepholes_lengths", "LSTM", {"input_forget": 1}, True, True,
         "bidirectional LSTM, peepholes, input_forget, stored sequence_lens [6, 3, 1]", {"keras": "sequence lengths"}),
    ]


def make_onnx_case(folder, name, op, attributes, bidirectional, peepholes, seed):
    import onnx
    import onnxruntime
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(seed)
    steps, batch, features, hidden = 6, 3, 4, 5
    dirs = 2 if bidirectional else 1
    gates = GATES[op]
    w = rng.uniform(-0.8, 0.8, (dirs, gates * hidden, features)).astype(np.float32)
    r = rng.uniform(-0.8, 0.8, (dirs, gates * hidden, hidden)).astype(np.float32)
    b = rng.uniform(-0.5, 0.5, (dirs, 2 * gates * hidden)).astype(np.float32)
    x = (rng.standard_normal((steps, batch, features)) * 1.5).astype(np.float32)
    initializers = [numpy_helper.from_array(w, "W"), numpy_helper.from_array(r, "R"), numpy_helper.from_array(b, "B")]
    inputs = ["input", "W", "R", "B"]
    if name.endswith("_lengths"):
        initializers.append(numpy_helper.from_array(np.array([6, 3, 1], dtype=np.int32), "sequence_lens"))
        inputs.append("sequence_lens")
    if peepholes:
        p = rng.uniform(-0.8, 0.8, (dirs, 3 * hidden)).astype(np.float32)
        initializers.append(numpy_helper.from_array(p, "P"))
        inputs += [""] * (8 - len(inputs) - 1) + ["P"]
    attributes = dict(attributes)
    if bidirectional:
        attributes["direction"] = "bidirectional"
    outputs = ["Y", "Y_h"] + (["Y_c"] if op == "LSTM" else [])
    node = helper.make_node(op, inputs, outputs, name=f"{op.lower()}_node", hidden_size=hidden, **attributes)
    graph = helper.make_graph(
        [node], name, [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["time", "batch", features])],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, [None] * 4 if o == "Y" else [None] * 3) for o in outputs], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)], producer_name="onnx.helper")
    onnx.checker.check_model(model)
    path = os.path.join(folder, "model.onnx")
    onnx.save(model, path)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    results = dict(zip(outputs, session.run(None, {"input": x})))
    y = results["Y"]  # (T, dirs, B, H) -> PyTorch's (T, B, dirs*H)
    expected = {"output": y.transpose(0, 2, 1, 3).reshape(steps, batch, dirs * hidden), "h_n": results["Y_h"]}
    if op == "LSTM":
        expected["c_n"] = results["Y_c"]
    np.save(os.path.join(folder, "input.npy"), x)
    np.savez(os.path.join(folder, "expected.npz"), **expected)
    return {k: v for k, v in attributes.items()}, onnxruntime.__version__, onnx.__version__


def keras_cases():
    """(name, layer builder, description, convert targets)."""
    import keras
    L = keras.layers
    return [
        ("gru_reset_after_false", lambda: L.GRU(5, reset_after=False, return_sequences=True),
         "GRU(reset_after=False): the reset gate before the recurrent product", {"onnx": "ok", "keras": "ok"}),
        ("lstm_hard_sigmoid", lambda: L.LSTM(5, recurrent_activation="hard_sigmoid", return_sequences=True),
         "LSTM(recurrent_activation='hard_sigmoid'), Keras 3's x/6 + 0.5", {"onnx": "ok", "keras": "ok"}),
        ("gru_relu_hard_sigmoid", lambda: L.GRU(5, activation="relu", recurrent_activation="hard_sigmoid", return_sequences=True),
         "GRU(activation='relu', recurrent_activation='hard_sigmoid')", {"onnx": "ok", "keras": "ok"}),
        ("lstm_go_backwards", lambda: L.LSTM(5, go_backwards=True, return_sequences=True),
         "LSTM(go_backwards=True): outputs in reading order", {"onnx": "go_backwards", "keras": "ok"}),
        ("simple_rnn_sigmoid_go_backwards", lambda: L.SimpleRNN(5, activation="sigmoid", go_backwards=True, return_sequences=True),
         "SimpleRNN(activation='sigmoid', go_backwards=True)", {"onnx": "go_backwards", "keras": "ok"}),
        ("bidirectional_gru_sum", lambda: L.Bidirectional(L.GRU(5, return_sequences=True), merge_mode="sum"),
         "Bidirectional(GRU, merge_mode='sum')", {"onnx": "merge", "keras": "ok"}),
        ("bidirectional_lstm_mul", lambda: L.Bidirectional(L.LSTM(5, return_sequences=True), merge_mode="mul"),
         "Bidirectional(LSTM, merge_mode='mul')", {"onnx": "merge", "keras": "ok"}),
        ("bidirectional_lstm_ave_hard_sigmoid",
         lambda: L.Bidirectional(L.LSTM(5, recurrent_activation="hard_sigmoid", return_sequences=True), merge_mode="ave"),
         "Bidirectional(LSTM(recurrent_activation='hard_sigmoid'), merge_mode='ave')", {"onnx": "merge", "keras": "ok"}),
        # Masking upstream: masked steps are skipped and output zeros in both directions before the merge.
        ("masking_bidirectional_lstm_ave", lambda: [L.Masking(0.0),
                                                    L.Bidirectional(L.LSTM(5, return_sequences=True), merge_mode="ave")],
         "Masking(0.0) then Bidirectional(LSTM, merge_mode='ave'); trailing steps masked",
         {"onnx": "mask", "keras": "mask", "pytorch": "mask"}),
        # The generic RNN layer around a cell: the same cells as LSTM, GRU and SimpleRNN, read from the cell's config.
        ("rnn_lstm_cell_go_backwards", lambda: L.RNN(L.LSTMCell(5), go_backwards=True, return_sequences=True),
         "RNN(LSTMCell(5), go_backwards=True): outputs in reading order", {"onnx": "go_backwards", "keras": "ok"}),
        ("rnn_lstm_cell_hard_sigmoid", lambda: L.RNN(L.LSTMCell(5, recurrent_activation="hard_sigmoid"), return_sequences=True),
         "RNN(LSTMCell(5, recurrent_activation='hard_sigmoid'))", {"onnx": "ok", "keras": "ok"}),
        ("rnn_simple_cell_sigmoid", lambda: L.RNN(L.SimpleRNNCell(5, activation="sigmoid"), return_sequences=True),
         "RNN(SimpleRNNCell(5, activation='sigmoid'))", {"onnx": "ok", "keras": "ok"}),
    ]


def keras_states(layer, x):
    """h_n (and c_n) of `layer` on x, in PyTorch's (directions, batch, units) shape."""
    import keras
    bidirectional = isinstance(layer, keras.layers.Bidirectional)
    layer.return_state = True
    if bidirectional:
        layer.forward_layer.return_state = layer.backward_layer.return_state = True
    rest = [np.asarray(s) for s in layer(x)[1:]]
    if bidirectional:
        half = len(rest) // 2
        states = {"h_n": np.stack([rest[0], rest[half]])}
        if half == 2:
            states["c_n"] = np.stack([rest[1], rest[3]])
        return states
    states = {"h_n": rest[0][None]}
    if len(rest) == 2:
        states["c_n"] = rest[1][None]
    return states


def make_keras_case(folder, build, seed):
    import keras
    rng = np.random.default_rng(seed)
    built = build()
    layers = built if isinstance(built, list) else [built]
    model = keras.Sequential([keras.Input((None, 4))] + layers)
    model.set_weights([rng.uniform(-0.7, 0.7, w.shape).astype(np.float32) for w in model.get_weights()])
    model.save(os.path.join(folder, "model.keras"))
    x = (rng.standard_normal((3, 6, 4)) * 1.5).astype(np.float32)
    expected = {"output": np.asarray(model.predict(x, verbose=0))}
    if len(layers) > 1:
        # Masked: trailing steps of two sequences hold the mask value; only the output is compared.
        x[1, 4:] = 0.0
        x[2, 2:] = 0.0
        np.save(os.path.join(folder, "input.npy"), x)
        np.savez(os.path.join(folder, "expected.npz"), output=np.asarray(model.predict(x, verbose=0)))
        return keras.__version__
    # A copy of the layer with return_state gives the final states (same weights).
    copy = keras.Sequential([keras.Input((None, 4)), build()])
    copy.set_weights(model.get_weights())
    expected.update(keras_states(copy.layers[-1], x))
    np.save(os.path.join(folder, "input.npy"), x)
    np.savez(os.path.join(folder, "expected.npz"), **expected)
    return keras.__version__


def write_json(path, value):
    with open(path, "w") as handle:
        json.dump(value, handle, indent=2)
        handle.write("\n")


def make(root):
    folder = os.path.join(root, "variants")
    if os.path.exists(folder):
        shutil.rmtree(folder)
    made = []
    for index, (name, op, attributes, bidirectional, peepholes, description, convert) in enumerate(onnx_cases()):
        out = os.path.join(folder, "onnx", name)
        os.makedirs(out)
        written, ort_version, onnx_version = make_onnx_case(out, name, op, attributes, bidirectional, peepholes, 100 + index)
        sidecar = {"description": description, "format": "onnx", "model": "model.onnx", "input": "input.npy",
                   "expected": "expected.npz", "batch_first": False, "op": op, "attributes": written, "peepholes": peepholes,
                   "convert": dict({"onnx": "ok", "pytorch": PYTORCH_REFUSED}, **convert),
                   "onnxruntime_version": ort_version, "onnx_version": onnx_version}
        write_json(os.path.join(out, MARKER), sidecar)
        made.append(("onnx/" + name, sidecar))
    for index, (name, build, description, convert) in enumerate(keras_cases()):
        out = os.path.join(folder, "keras", name)
        os.makedirs(out)
        version = make_keras_case(out, build, 200 + index)
        sidecar = {"description": description, "format": "keras", "model": "model.keras", "input": "input.npy",
                   "expected": "expected.npz", "batch_first": True,
                   "convert": dict({"pytorch": PYTORCH_REFUSED}, **convert), "keras_version": version, "backend": "jax",
                   "masked": "masking" in name}
        write_json(os.path.join(out, MARKER), sidecar)
        made.append(("keras/" + name, sidecar))
    return made


def write_readme(root, made):
    lines = [README_BEGIN, "# Fixtures/variants: cells beyond PyTorch's", "",
             "Made by `scripts/fixturegen/variant_files.py` (part `variants` of `scripts/make_fixtures.py`):",
             "ONNX nodes built with onnx.helper and run by onnxruntime, Keras 3 models saved and run by Keras (jax).",
             "Each folder holds the model, `input.npy`, `expected.npz` (output, h_n, c_n in PyTorch's shapes) and",
             "`variant.json` (`convert`: per target `ok` or a word the refusal must contain).", "",
             "| Folder | Cell | onnx | keras | PyTorch names |", "|---|---|---|---|---|"]
    for name, sidecar in made:
        convert = sidecar["convert"]
        lines.append(f"| {name} | {sidecar['description']} | {convert.get('onnx', '')} | {convert.get('keras', '')} | {convert['pytorch']} |")
    lines += ["", README_END, ""]
    write_text = "\n".join(lines)
    with open(os.path.join(root, "variants", "README.md"), "w") as handle:
        handle.write(write_text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Fixtures")
    parser.add_argument("--root", default=os.path.normpath(default_root))
    args = parser.parse_args()
    made = make(args.root)
    write_readme(args.root, made)
    print(f"variants: {len(made)} models in {os.path.join(args.root, 'variants')}")


if __name__ == "__main__":
    sys.exit(main())
