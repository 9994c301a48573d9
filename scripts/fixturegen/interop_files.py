"""Fixtures/keras/ and Fixtures/onnx/: files written by Keras 3 itself and by
torch.onnx.export, with inputs and the outputs those tools (and PyTorch)
computed, for the conversion issue.

Keras runs with KERAS_BACKEND=jax (set by make_fixtures.py before import)."""

import os
import shutil
from collections import OrderedDict

import h5py
import numpy as np
import torch
import torch.nn as nn

from fixturegen.common import (
    architecture, recurrent_modules, reseed, run_reference, seed_for, write_json, write_safetensors)


# --- Keras -----------------------------------------------------------------

def keras_to_torch(layer_kind, kernel, recurrent, bias, units):
    """One Keras cell's weights in PyTorch's layout (the documented mapping:
    transpose, GRU gates z,r,h -> r,z,n, LSTM/SimpleRNN bias -> b_ih, b_hh = 0)."""
    def gru_rows(m):  # columns [z | r | h] -> rows [r | z | n]
        z, r, h = m[..., :units], m[..., units:2 * units], m[..., 2 * units:]
        return np.concatenate([r, z, h], axis=-1)
    if layer_kind == "GRU":
        return OrderedDict(weight_ih=gru_rows(kernel).T, weight_hh=gru_rows(recurrent).T,
                           bias_ih=gru_rows(bias[0]), bias_hh=gru_rows(bias[1]))
    return OrderedDict(weight_ih=kernel.T, weight_hh=recurrent.T, bias_ih=bias,
                       bias_hh=np.zeros_like(bias))


def keras_models(keras):
    L = keras.layers
    return [
        ("stacked_lstm", lambda: [L.LSTM(6, return_sequences=True), L.LSTM(6, return_sequences=True)], (6, 4),
         "two stacked LSTM layers (units 6)"),
        ("bidirectional_lstm", lambda: [L.Bidirectional(L.LSTM(5, return_sequences=True))], (5, 3),
         "Bidirectional(LSTM(5)), merge_mode concat"),
        ("stacked_bidirectional_lstm", lambda: [L.Bidirectional(L.LSTM(4, return_sequences=True)),
                                                L.Bidirectional(L.LSTM(4, return_sequences=True))], (5, 3),
         "two stacked Bidirectional(LSTM(4)) layers"),
        ("gru", lambda: [L.GRU(5, return_sequences=True), L.GRU(5, return_sequences=True)], (6, 4),
         "two stacked GRU layers, reset_after=True (the Keras 3 default)"),
        ("bidirectional_gru", lambda: [L.Bidirectional(L.GRU(4, return_sequences=True))], (5, 3),
         "Bidirectional(GRU(4)), reset_after=True"),
        ("gru_reset_after_false", lambda: [L.GRU(5, reset_after=False, return_sequences=True)], (6, 4),
         "GRU with reset_after=False: PyTorch cannot express it, reading it back must be refused"),
        ("simple_rnn", lambda: [L.SimpleRNN(6, return_sequences=True)], (6, 4),
         "SimpleRNN (tanh)"),
        ("simple_rnn_relu", lambda: [L.SimpleRNN(5, activation="relu", return_sequences=True)], (5, 3),
         "SimpleRNN with activation relu"),
    ]


def h5_datasets(path):
    found = []
    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            found.append(OrderedDict(path=name, shape=list(obj.shape), dtype=str(obj.dtype)))
    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return found


def torch_equivalent(layers):
    """(module, state_dict in PyTorch names) for a Keras stack, or None if PyTorch cannot express it."""
    first = layers[0]
    bidirectional = type(first).__name__ == "Bidirectional"
    cells = [(l.forward_layer, l.backward_layer) if bidirectional else (l, None) for l in layers]
    base = cells[0][0]
    kind = {"LSTM": "LSTM", "GRU": "GRU", "SimpleRNN": "RNN"}[type(base).__name__]
    if kind == "GRU" and not base.reset_after:
        return None
    units = base.units
    input_size = int(base.cell.kernel.shape[0])
    common = dict(num_layers=len(layers), bidirectional=bidirectional, batch_first=True)
    if kind == "LSTM":
        module = nn.LSTM(input_size, units, **common)
    elif kind == "GRU":
        module = nn.GRU(input_size, units, **common)
    else:
        act = base.activation.__name__
        module = nn.RNN(input_size, units, nonlinearity=act, **common)
    state = OrderedDict()
    for index, (fwd, bwd) in enumerate(cells):
        for suffix, layer in (("", fwd), ("_reverse", bwd)):
            if layer is None:
                continue
            weights = [np.asarray(w) for w in layer.cell.get_weights()]
            for k, v in keras_to_torch(kind, *weights, units).items():
                state[f"{k}_l{index}{suffix}"] = torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32))
    module.load_state_dict(state)
    return module, state


def make_keras(root):
    import keras
    folder = os.path.join(root, "keras")
    if os.path.exists(folder):
        shutil.rmtree(folder)
    made = []
    for name, build, shape, description in keras_models(keras):
        out = os.path.join(folder, name)
        os.makedirs(out)
        keras.backend.clear_session()  # default layer names: lstm, lstm_1, …
        seed = seed_for("keras_" + name)
        keras.utils.set_random_seed(seed)
        layers = build()
        model = keras.Sequential([keras.Input(shape)] + layers)
        rng = np.random.default_rng(seed)
        model.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype(np.float32) for w in model.get_weights()])
        x = rng.standard_normal((3,) + shape).astype(np.float32)
        y = np.asarray(model.predict(x, verbose=0))
        model.save(os.path.join(out, "model.keras"))
        model.save_weights(os.path.join(out, "model.weights.h5"))
        np.save(os.path.join(out, "input.npy"), x)
        np.savez(os.path.join(out, "expected.npz"), output=y)
        loaded = keras.saving.load_model(os.path.join(out, "model.keras"))
        assert np.array_equal(np.asarray(loaded.predict(x, verbose=0)), y), name

        sidecar = OrderedDict(
            description=description, model="model.keras", weights="model.weights.h5",
            input="input.npy", expected="expected.npz", input_layout="(batch, time, features)",
            keras_version=keras.__version__, backend=keras.backend.backend(),
            layers=[layer_record(l) for l in model.layers],
            weights_h5_datasets=h5_datasets(os.path.join(out, "model.weights.h5")))
        equivalent = torch_equivalent(model.layers)
        if equivalent is None:
            sidecar["pytorch"] = None
            sidecar["refuse_because"] = "GRU reset_after=False applies the reset gate before the recurrent matmul; PyTorch's GRU cannot express it"
        else:
            module, state = equivalent
            ref = run_reference(module, torch.from_numpy(x), batch_first=True)
            error = float(np.abs(ref["output"] - y).max())
            assert error < 1e-5, (name, error)
            write_safetensors(os.path.join(out, "pytorch.safetensors"), state)
            np.savez(os.path.join(out, "pytorch_expected.npz"), **ref)
            sidecar["pytorch"] = OrderedDict(
                weights="pytorch.safetensors", expected="pytorch_expected.npz",
                module=architecture("", module, "float32"),
                flags=OrderedDict(batch_first=True, nonlinearity=getattr(module, "nonlinearity", "tanh")),
                max_abs_difference_to_keras=error)
        sidecar["torch_version"] = torch.__version__
        write_json(os.path.join(out, "keras.json"), sidecar)
        made.append((name, sidecar))
    return made


def layer_record(layer):
    config = layer.get_config()
    record = OrderedDict(name=layer.name, class_name=type(layer).__name__)
    inner = layer.forward_layer if record["class_name"] == "Bidirectional" else layer
    if record["class_name"] == "Bidirectional":
        record["merge_mode"] = config["merge_mode"]
        record["forward_layer"] = layer.forward_layer.name
        record["backward_layer"] = layer.backward_layer.name
    record["cell_class"] = type(inner).__name__
    record["units"] = inner.units
    record["activation"] = inner.activation.__name__
    record["return_sequences"] = inner.return_sequences
    if hasattr(inner, "reset_after"):
        record["reset_after"] = inner.reset_after
    record["weights"] = [OrderedDict(path=w.path, shape=list(w.shape)) for w in layer.weights]
    return record


# --- ONNX --------------------------------------------------------------------

class Exported(nn.Module):
    """Wraps one recurrent module so the exported graph returns output, h_n (, c_n)."""

    def __init__(self, attr, module):
        super().__init__()
        setattr(self, attr, module)
        self.attr = attr

    def forward(self, x):
        output, state = getattr(self, self.attr)(x)
        return (output,) + tuple(state) if isinstance(state, tuple) else (output, state)


def onnx_cases():
    return [
        ("lstm_2l_bi", "lstm", lambda: nn.LSTM(4, 5, num_layers=2, bidirectional=True), False, (6, 3, 4)),
        ("gru_2l", "gru", lambda: nn.GRU(4, 6, num_layers=2), False, (6, 2, 4)),
        ("rnn_tanh", "rnn", lambda: nn.RNN(3, 5), False, (5, 2, 3)),
        ("rnn_relu_bi", "rnn", lambda: nn.RNN(3, 4, nonlinearity="relu", bidirectional=True), False, (5, 2, 3)),
        ("gru_bi_batch_first", "encoder", lambda: nn.GRU(4, 5, bidirectional=True, batch_first=True), True, (2, 6, 4)),
    ]


def make_onnx(root):
    import onnx
    import onnxruntime
    folder = os.path.join(root, "onnx")
    if os.path.exists(folder):
        shutil.rmtree(folder)
    made = []
    for name, attr, build, batch_first, shape in onnx_cases():
        out = os.path.join(folder, name)
        os.makedirs(out)
        reseed("onnx_" + name)
        model = Exported(attr, build()).eval()
        x = torch.randn(*shape)
        expected = run_reference(getattr(model, attr), x, batch_first=batch_first)
        outputs = list(expected.keys())
        torch.onnx.export(model, (x,), os.path.join(out, "model.onnx"), dynamo=False, opset_version=14,
                          input_names=["input"], output_names=outputs)
        graph = onnx.load(os.path.join(out, "model.onnx"))
        onnx.checker.check_model(graph)
        ops = [n.op_type for n in graph.graph.node]
        assert any(op in ("LSTM", "GRU", "RNN") for op in ops), (name, ops)
        session = onnxruntime.InferenceSession(os.path.join(out, "model.onnx"), providers=["CPUExecutionProvider"])
        ort = session.run(None, {"input": x.numpy()})
        ort_error = max(float(np.abs(a - expected[k]).max()) for a, k in zip(ort, outputs))
        assert ort_error < 1e-5, (name, ort_error)

        np.save(os.path.join(out, "input.npy"), x.numpy())
        np.savez(os.path.join(out, "expected.npz"), **expected)
        state = model.state_dict()
        write_safetensors(os.path.join(out, "pytorch.safetensors"), state)
        module = getattr(model, attr)
        sidecar = OrderedDict(
            description=f"torch.onnx.export (TorchScript exporter, dynamo=False) of {type(module).__name__} '{attr}'",
            model="model.onnx", input="input.npy", expected="expected.npz",
            pytorch_weights="pytorch.safetensors", module=attr,
            modules=[architecture(n, m, "float32") for n, m in recurrent_modules(model)],
            flags=OrderedDict(batch_first=batch_first, nonlinearity=getattr(module, "nonlinearity", "tanh")),
            opset=[OrderedDict(domain=o.domain, version=o.version) for o in graph.opset_import],
            graph_inputs=[i.name for i in graph.graph.input], graph_outputs=[o.name for o in graph.graph.output],
            nodes=ops,
            recurrent_nodes=[OrderedDict(op=n.op_type, name=n.name, inputs=list(n.input),
                                         attributes={a.name: onnx.helper.get_attribute_value(a) for a in n.attribute
                                                     if a.name in ("hidden_size", "direction", "linear_before_reset")})
                             for n in graph.graph.node if n.op_type in ("LSTM", "GRU", "RNN")],
            initializers=[OrderedDict(name=i.name, shape=list(i.dims)) for i in graph.graph.initializer],
            onnxruntime_max_abs_difference=ort_error,
            torch_version=torch.__version__, onnx_version=onnx.__version__)
        sidecar["recurrent_nodes"] = jsonable(sidecar["recurrent_nodes"])
        write_json(os.path.join(out, "onnx.json"), sidecar)
        made.append((name, sidecar))
    return made


def jsonable(value):
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, dict):
        return OrderedDict((k, jsonable(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value
