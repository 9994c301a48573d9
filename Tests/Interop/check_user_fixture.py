#!/usr/bin/env python3
"""Users' own fixtures (python/rnnkit_fixture.py), the numpy path end to end.

ONNX Runtime runs LSTM / GRU / RNN graphs built with onnx.helper from random weights;
the weights, renamed and reordered into PyTorch's layout (ONNX gates i,o,f,c -> PyTorch
i,f,g,o; z,r,h -> r,z,n; B = bias_ih ++ bias_hh), and ONNX Runtime's outputs (reshaped
into PyTorch's) are written with save_fixture. `rnnkit verify` must pass each fixture,
and fail with exit 1 once an expected value is perturbed. No expected number is typed here.

    python3 Tests/Interop/check_user_fixture.py --rnnkit .build/debug/rnnkit
"""

import argparse
import os
import shutil
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
from interop_support import Tally, run  # noqa: E402
from rnnkit_fixture import save_fixture  # noqa: E402

# ONNX gate blocks in PyTorch's order
GATE_ORDER = {"LSTM": [0, 2, 3, 1], "GRU": [1, 0, 2], "RNN": [0]}


def onnx_run(mode, x, W, R, B, lengths=None, h0=None, c0=None, activation=None):
    """Runs one ONNX recurrent node in ONNX Runtime; returns its Y, Y_h (and Y_c)."""
    directions, hidden = W.shape[0], R.shape[2]
    attributes = dict(hidden_size=hidden, direction="bidirectional" if directions == 2 else "forward")
    if mode == "GRU":
        attributes["linear_before_reset"] = 1
    if activation:
        attributes["activations"] = [activation] * directions
    feeds = {"X": x, "W": W, "R": R, "B": B}
    if lengths is not None:
        feeds["sequence_lens"] = np.asarray(lengths, dtype=np.int32)
    if h0 is not None:
        feeds["initial_h"] = h0
    if c0 is not None:
        feeds["initial_c"] = c0
    names = ["X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c"][: 7 if mode == "LSTM" else 6]
    node_inputs = [n if n in feeds else "" for n in names]
    while node_inputs[-1] == "":
        node_inputs.pop()
    outputs = ["Y", "Y_h"] + (["Y_c"] if mode == "LSTM" else [])
    node = helper.make_node(mode, node_inputs, outputs, **attributes)
    elem = lambda a: TensorProto.INT32 if a.dtype == np.int32 else TensorProto.FLOAT
    graph = helper.make_graph(
        [node], "user_fixture",
        [helper.make_tensor_value_info(n, elem(a), list(a.shape)) for n, a in feeds.items()],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, [None] * (4 if n == "Y" else 3)) for n in outputs])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    onnx.checker.check_model(model)
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(outputs, feeds)


def case(seed, mode, T=6, B=3, F=4, H=5, bidirectional=False, lengths=None, states=False, activation=None):
    """Random weights and input, ONNX Runtime's outputs; returns (state_dict, x, outputs, h0, c0)."""
    rng = np.random.default_rng(seed)
    directions, gates = (2 if bidirectional else 1), len(GATE_ORDER[mode])
    rand = lambda *shape: rng.uniform(-0.5, 0.5, shape).astype(np.float32)
    W, R, Bias = rand(directions, gates * H, F), rand(directions, gates * H, H), rand(directions, 2 * gates * H)
    x = rand(T, B, F)
    h0 = rand(directions, B, H) if states else None
    c0 = rand(directions, B, H) if states and mode == "LSTM" else None
    result = onnx_run(mode, x, W, R, Bias, lengths, h0, c0, activation)
    Y = result[0]  # (T, directions, B, H)
    outputs = {"output": Y.transpose(0, 2, 1, 3).reshape(T, B, directions * H), "h_n": result[1]}
    if mode == "LSTM":
        outputs["c_n"] = result[2]
    reorder = lambda m: np.concatenate([np.split(m, gates)[g] for g in GATE_ORDER[mode]])
    state = {}
    for d in range(directions):
        suffix = "_l0" + ("_reverse" if d else "")
        state["rnn.weight_ih" + suffix] = reorder(W[d])
        state["rnn.weight_hh" + suffix] = reorder(R[d])
        state["rnn.bias_ih" + suffix] = reorder(Bias[d][: gates * H])
        state["rnn.bias_hh" + suffix] = reorder(Bias[d][gates * H:])
    state["head.weight"] = rand(3, directions * H)  # another tensor in the same file
    return state, x, outputs, h0, c0


def verify(rnnkit, folder, expected_exit):
    result = run([rnnkit, "verify", folder])
    last = (result.stdout.strip().splitlines() or [result.stderr.strip()])[-1]
    return result.returncode == expected_exit, f"exit {result.returncode} (want {expected_exit}): {last}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rnnkit", required=True)
    args = parser.parse_args()
    tally = Tally()
    work = tempfile.mkdtemp(prefix="rnnkit-user-fixture-")
    try:
        lengths = [4, 6, 2]
        made = [
            ("lstm_bi_packed_states", "safetensors", dict(mode="LSTM", bidirectional=True, lengths=lengths, states=True), {}),
            ("gru_batch_first", "npz", dict(mode="GRU", H=6), dict(batch_first=True)),
            ("rnn_relu_h0", "npy", dict(mode="RNN", states=True, activation="Relu"), dict(nonlinearity="relu")),
        ]
        try:
            import h5py  # noqa: F401
            made.append(("gru_bi_h5", "h5", dict(mode="GRU", bidirectional=True), {}))
        except ImportError:
            print("skip gru_bi_h5: h5py is not installed")
        for seed, (name, weights_format, spec, options) in enumerate(made):
            state, x, outputs, h0, c0 = case(seed, **spec)
            if options.get("batch_first"):  # PyTorch's batch_first output is the time-major one transposed
                x, outputs["output"] = x.transpose(1, 0, 2), outputs["output"].transpose(1, 0, 2)
            folder = os.path.join(work, name)
            save_fixture(folder, state, x, outputs, module="rnn", lengths=spec.get("lengths"), h0=h0, c0=c0,
                         weights_format=weights_format, description=f"{name}: ONNX Runtime's outputs", **options)
            tally.check(f"{name} ({weights_format}) passes rnnkit verify", verify, args.rnnkit, folder, 0)

        import safetensors.numpy
        def safetensors_readback():
            state, *_ = case(0, mode="LSTM", bidirectional=True, lengths=lengths, states=True)
            read = safetensors.numpy.load_file(os.path.join(work, made[0][0], "weights.safetensors"))
            same = list(read) == list(state) and all(np.array_equal(read[k], v) for k, v in state.items())
            return same, "the safetensors package reads the hand-written file back exactly" if same else "differs"
        tally.check("hand-written safetensors", safetensors_readback)

        wrong = os.path.join(work, "wrong")
        shutil.copytree(os.path.join(work, made[0][0]), wrong)
        expected = dict(np.load(os.path.join(wrong, "expected.npz")))
        expected["output"][1, 0, 0] += 1e-2
        np.savez(os.path.join(wrong, "expected.npz"), **expected)
        tally.check("a perturbed expected output fails rnnkit verify", verify, args.rnnkit, wrong, 1)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"user fixtures: {tally.failures} failure(s)")
    return 1 if tally.failures else 0


if __name__ == "__main__":
    sys.exit(main())
