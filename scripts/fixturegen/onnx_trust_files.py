"""ONNX files whose recurrent nodes rnnkit must not misread (issue 13): a stored
initial state, stored sequence lengths, a batch-major input hidden behind other
nodes, recurrent nodes inside If/Loop subgraphs, an input layout no one can tell.

Part `onnx_trust` of scripts/make_fixtures.py; also runnable alone:

    /opt/venv-torch/bin/python scripts/fixturegen/onnx_trust_files.py [--root Fixtures]

Needs torch (with onnxscript for dynamo=True), onnx, onnxruntime, numpy. Each folder
Fixtures/onnx/<name>/ holds `model.onnx`, `input.npy` (the module's own input, as
`rnnkit run --input` takes it), `expected.npz` (`output`, `h_n`, `c_n` in PyTorch's
shapes, computed by PyTorch or ONNX Runtime, never typed) and `case.json` (the module,
the run flags and what rnnkit should say). Only new folders are written.
"""

import importlib.util
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

MARK_BEGIN = "<!-- onnx_trust_files: begin -->"
MARK_END = "<!-- onnx_trust_files: end -->"


def session(model_bytes):
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])


def pytorch_outputs(y, y_h, y_c=None):
    """ONNX Y (T, D, B, H), Y_h (D, B, H) → PyTorch output (T, B, D·H), h_n, c_n."""
    t, d, b, h = y.shape
    result = {"output": np.ascontiguousarray(y.transpose(0, 2, 1, 3).reshape(t, b, d * h)), "h_n": y_h}
    if y_c is not None:
        result["c_n"] = y_c
    return result


def save(root, name, model, x, expected, spec):
    folder = os.path.join(root, "onnx", name)
    if os.path.exists(os.path.join(folder, "case.json")):
        # Only new folders are written: an existing fixture keeps the files (and the versions) that made it.
        if isinstance(model, str):
            for leftover in (model, model + ".data"):
                if os.path.exists(leftover):
                    os.remove(leftover)
        with open(os.path.join(folder, "case.json")) as handle:
            return name, json.load(handle)
    os.makedirs(folder, exist_ok=True)
    if not isinstance(model, onnx.ModelProto):
        # The dynamo exporter may write the weights beside the model (`.onnx.data`): load them and store one file.
        path = model
        model = onnx.load(path)
        for leftover in (path, path + ".data"):
            if os.path.exists(leftover):
                os.remove(leftover)
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(folder, "model.onnx"))
    np.save(os.path.join(folder, "input.npy"), x)
    np.savez(os.path.join(folder, "expected.npz"), **{k: np.asarray(v, dtype=np.float32) for k, v in expected.items()})
    with open(os.path.join(folder, "case.json"), "w") as handle:
        json.dump(spec, handle, indent=2)
        handle.write("\n")
    return name, spec


# ---------------------------------------------------------------- torch.onnx.export

def torch_cases(root, made):
    import torch
    import torch.nn as nn

    torch.manual_seed(13)
    torch.set_num_threads(1)

    class LearnedState(nn.Module):
        """LSTM/GRU with a learned h0 (and c0) of batch 1, expanded over the batch."""

        def __init__(self, mode, **kwargs):
            super().__init__()
            self.rnn = getattr(nn, mode)(**kwargs)
            states = self.rnn.num_layers * (2 if self.rnn.bidirectional else 1)
            self.h0 = nn.Parameter(torch.randn(states, 1, self.rnn.hidden_size))
            self.c0 = nn.Parameter(torch.randn(states, 1, self.rnn.hidden_size)) if mode == "LSTM" else None

        def state(self, batch):
            h0 = self.h0.expand(-1, batch, -1).contiguous()
            return (h0, self.c0.expand(-1, batch, -1).contiguous()) if self.c0 is not None else h0

        def forward(self, x):
            return self.rnn(x, self.state(x.shape[1]))

    class EmbeddingLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(11, 4)
            self.lstm = nn.LSTM(4, 5, batch_first=True)
            self.fc = nn.Linear(5, 3)

        def forward(self, tokens):
            return self.fc(self.lstm(self.emb(tokens))[0])

    class Packed(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(3, 4, num_layers=2)

        def forward(self, x):
            # Lengths written in forward are constants to the exporter (a buffer would be sorted by a TopK node).
            packed = nn.utils.rnn.pack_padded_sequence(x, torch.tensor([3, 5, 2]), enforce_sorted=False)
            y, h = self.gru(packed)
            return nn.utils.rnn.pad_packed_sequence(y, total_length=x.shape[0])[0], h

    class PackedBatchFirst(nn.Module):
        """batch_first=True: the exporter sorts the batch with a Gather *before* the batch/time Transpose."""

        def __init__(self, mode, **kwargs):
            super().__init__()
            self.rnn = getattr(nn, mode)(batch_first=True, **kwargs)

        def forward(self, x):
            packed = nn.utils.rnn.pack_padded_sequence(x, torch.tensor([3, 5, 2]), batch_first=True, enforce_sorted=False)
            y, h = self.rnn(packed)
            return nn.utils.rnn.pad_packed_sequence(y, batch_first=True, total_length=x.shape[1])[0], h

    class PackedLearnedState(LearnedState):
        """A learned h0 (and c0) with pack_padded_sequence: the exporter Expands the state over the batch, then
        sorts it with the batch (a Gather on axis 1) before slicing it per layer."""

        def forward(self, x):
            packed = nn.utils.rnn.pack_padded_sequence(x, torch.tensor([3, 5, 2]), enforce_sorted=False)
            y, state = self.rnn(packed, self.state(x.shape[1]))
            return nn.utils.rnn.pad_packed_sequence(y, total_length=x.shape[0])[0], state

    def export(model, args, dynamo):
        path = os.path.join(root, "onnx", "_export.onnx")
        if dynamo:
            torch.onnx.export(model, args, path, dynamo=True)
        else:
            torch.onnx.export(model, args, path, dynamo=False, opset_version=14)
        return path

    def tensors(result):
        output, state = result
        h, c = state if isinstance(state, tuple) else (state, None)
        values = {"output": output.detach().numpy(), "h_n": h.detach().numpy()}
        if c is not None:
            values["c_n"] = c.detach().numpy()
        return values

    exporter = {False: "torch.onnx.export(dynamo=False, opset 14)", True: "torch.onnx.export(dynamo=True)"}

    def learned_states(cls, name, suffix, dynamo, how, extra):
        """An LSTM (2 layers) and a GRU (bidirectional) with learned states, run by `cls`, saved as `<mode>_<name>_<suffix>`."""
        for mode, kwargs in (("LSTM", dict(input_size=3, hidden_size=4, num_layers=2)),
                             ("GRU", dict(input_size=3, hidden_size=4, bidirectional=True))):
            model = cls(mode, **kwargs).eval()
            x = torch.randn(5, 3, 3)
            with torch.no_grad():
                expected = tensors(model(x))
            path = export(model, (x,), dynamo)
            made.append(save(root, f"{mode.lower()}_{name}_{suffix}", path, x.numpy(), expected, {
                "description": f"{exporter[dynamo]} of nn.{mode} with a learned h0{'/c0' if mode == 'LSTM' else ''} {how}",
                "module": "rnn", "flags": [], "stored_state": True, **extra, "batch_first": False,
                "made_by": "torch " + torch.__version__}))
    for dynamo in (False, True):
        suffix = "dynamo" if dynamo else "ts"
        if dynamo and importlib.util.find_spec("onnxscript") is None:
            # Without onnxscript the dynamo exporter cannot run: keep the folders it made before.
            names = ["lstm_learned_state_dynamo", "gru_learned_state_dynamo", "embedding_lstm_batch_first_dynamo"]
            made.extend(save(root, name, None, None, None, None) for name in names
                        if os.path.exists(os.path.join(root, "onnx", name, "case.json")))
            print("onnx_trust: onnxscript is not installed; torch.onnx.export(dynamo=True) files kept as they are", file=sys.stderr)
            continue
        # 1. A learned initial state.
        learned_states(LearnedState, "learned_state", suffix, dynamo, "(nn.Parameter of batch 1, expanded over the batch)", {})
        # 4. Embedding → LSTM(batch_first=True) → Linear.
        model = EmbeddingLSTM().eval()
        tokens = torch.randint(0, 11, (3, 6))
        with torch.no_grad():
            embedded = model.emb(tokens)
            expected = tensors(model.lstm(embedded))
        path = export(model, (tokens,), dynamo)
        made.append(save(root, f"embedding_lstm_batch_first_{suffix}", path, embedded.numpy(), expected, {
            "description": f"{exporter[dynamo]} of Embedding → LSTM(batch_first=True) → Linear; input.npy is the embedding's output",
            "module": "lstm", "flags": [], "stored_state": False, "batch_first": True,
            "made_by": "torch " + torch.__version__}))
        # 2. pack_padded_sequence with constant lengths (the TorchScript exporter writes sequence_lens).
        model = Packed().eval()
        x = torch.randn(5, 3, 3)
        with torch.no_grad():
            expected = tensors(model(x))
        try:
            path = export(model, (x,), dynamo)
        except Exception as error:  # the dynamo exporter cannot trace pack_padded_sequence
            print(f"onnx_trust: {exporter[dynamo]} cannot export pack_padded_sequence: {type(error).__name__}", file=sys.stderr)
            continue
        made.append(save(root, f"gru_packed_lengths_{suffix}", path, x.numpy(), expected, {
            "description": f"{exporter[dynamo]} of nn.GRU(2 layers) on pack_padded_sequence(lengths [3, 5, 2], enforce_sorted=False): "
                           "constant sequence_lens, the batch sorted by a Gather",
            "module": "gru", "flags": [], "stored_lengths": [3, 5, 2], "batch_first": False,
            "made_by": "torch " + torch.__version__}))
        if dynamo:
            continue
        # 3. The same with batch_first=True: the sorting Gather sits before the Transpose.
        for mode, kwargs in (("GRU", dict(input_size=3, hidden_size=4, num_layers=2)),
                             ("LSTM", dict(input_size=3, hidden_size=4, bidirectional=True))):
            model = PackedBatchFirst(mode, **kwargs).eval()
            x = torch.randn(3, 5, 3)
            with torch.no_grad():
                expected = tensors(model(x))
            path = export(model, (x,), dynamo)
            shape = "2 layers" if mode == "GRU" else "bidirectional"
            made.append(save(root, f"{mode.lower()}_packed_batch_first_{suffix}", path, x.numpy(), expected, {
                "description": f"{exporter[dynamo]} of nn.{mode}({shape}, batch_first=True) on pack_padded_sequence(lengths [3, 5, 2], "
                               "batch_first=True, enforce_sorted=False): the batch sorted by a Gather before the batch/time Transpose",
                "module": "rnn", "flags": [], "stored_lengths": [3, 5, 2], "batch_first": True,
                "made_by": "torch " + torch.__version__}))
        # 5. A learned state with pack_padded_sequence: the sorted batch of a state broadcast from batch 1.
        learned_states(PackedLearnedState, "packed_learned_state", suffix, dynamo,
                       "of batch 1 on pack_padded_sequence(lengths [3, 5, 2], enforce_sorted=False): the state Expand-ed over "
                       "the batch, then sorted with it by a Gather", {"stored_lengths": [3, 5, 2]})
    leftover = os.path.join(root, "onnx", "_export.onnx")
    if os.path.exists(leftover):
        os.remove(leftover)


# ---------------------------------------------------------------- onnx.helper graphs

def weights(rng, mode, directions, hidden, features):
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[mode]
    scale = 0.5
    return (rng.uniform(-scale, scale, (directions, gates * hidden, features)).astype(np.float32),
            rng.uniform(-scale, scale, (directions, gates * hidden, hidden)).astype(np.float32),
            rng.uniform(-scale, scale, (directions, 2 * gates * hidden)).astype(np.float32))


def constant(name, array):
    return helper.make_node("Constant", [], [name], name="const_" + name, value=numpy_helper.from_array(array, name))


def model_of(graph):
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8, producer_name="onnx.helper")


def value_info(name, shape, elem=TensorProto.FLOAT):
    """A declared value; an int shape is a rank of unnamed free dimensions."""
    if isinstance(shape, int):
        shape = [None] * shape
    return helper.make_tensor_value_info(name, elem, shape)


def helper_cases(root, made):
    rng = np.random.default_rng(13)
    version = f"onnx {onnx.__version__}, onnxruntime {onnxruntime.__version__}"

    # 1+2. Constant sequence_lens, initial_h and initial_c from Constant nodes; bidirectional LSTM.
    t, b, f, h = 6, 3, 4, 5
    w, r, bias = weights(rng, "LSTM", 2, h, f)
    h0 = rng.standard_normal((2, b, h)).astype(np.float32)
    c0 = rng.standard_normal((2, b, h)).astype(np.float32)
    lengths = np.array([4, 6, 2], dtype=np.int32)
    nodes = [constant("W", w), constant("R", r), constant("B", bias), constant("lens", lengths),
             constant("h0", h0), constant("c0", c0),
             helper.make_node("LSTM", ["X", "W", "R", "B", "lens", "h0", "c0"], ["Y", "Y_h", "Y_c"],
                              name="lstm_node", hidden_size=h, direction="bidirectional")]
    graph = helper.make_graph(nodes, "stored_state_lengths", [value_info("X", [t, b, f])],
                              [value_info("Y", 4), value_info("Y_h", 3), value_info("Y_c", 3)])
    model = model_of(graph)
    x = rng.standard_normal((t, b, f)).astype(np.float32)
    y, y_h, y_c = session(model.SerializeToString()).run(None, {"X": x})
    made.append(save(root, "lstm_constant_state_lengths", model, x, pytorch_outputs(y, y_h, y_c), {
        "description": "onnx.helper: bidirectional LSTM whose sequence_lens [4, 6, 2], initial_h and initial_c are Constant nodes",
        "module": "", "flags": [], "stored_state": True, "stored_lengths": lengths.tolist(), "batch_first": False,
        "made_by": version}))

    # 5. LSTM in the then_branch, GRU in the else_branch of an If (silero-vad's pattern); weights
    #    computed inside the branch from outer initializers (Transpose, Identity).
    t, b, f = 5, 2, 3
    lw, lr, lb = weights(rng, "LSTM", 1, 4, f)
    gw, gr, gb = weights(rng, "GRU", 1, 6, f)
    outer = [numpy_helper.from_array(np.ascontiguousarray(lw.transpose(0, 2, 1)), "lstm_W_t"),
             numpy_helper.from_array(lr, "lstm_R"), numpy_helper.from_array(lb, "lstm_B")]
    then_branch = helper.make_graph([
        helper.make_node("Transpose", ["lstm_W_t"], ["lstm_W"], perm=[0, 2, 1]),
        helper.make_node("Identity", ["lstm_R"], ["lstm_R_inner"]),
        helper.make_node("LSTM", ["X", "lstm_W", "lstm_R_inner", "lstm_B"], ["then_Y", "then_Y_h"], hidden_size=4),
    ], "then", [], [value_info("then_Y", 4), value_info("then_Y_h", 3)])
    else_branch = helper.make_graph([
        constant("gru_W", gw), constant("gru_R", gr), constant("gru_B", gb),
        helper.make_node("GRU", ["X", "gru_W", "gru_R", "gru_B"], ["else_Y", "else_Y_h"], name="gru_in_else",
                         hidden_size=6, linear_before_reset=1),
    ], "else", [], [value_info("else_Y", 4), value_info("else_Y_h", 3)])
    graph = helper.make_graph(
        [helper.make_node("If", ["use_lstm"], ["Y", "Y_h"], name="If_0", then_branch=then_branch, else_branch=else_branch)],
        "recurrent_in_if", [value_info("X", [t, b, f]), value_info("use_lstm", [], TensorProto.BOOL)],
        [value_info("Y", 4), value_info("Y_h", 3)], initializer=outer)
    model = model_of(graph)
    x = rng.standard_normal((t, b, f)).astype(np.float32)
    run = session(model.SerializeToString())
    # Subgraphs are searched in attribute order (else_branch before then_branch): the GRU is rnn0.
    for flag, module, what in ((True, "rnn1", "LSTM (then_branch, unnamed node)"), (False, "rnn0", "GRU (else_branch)")):
        y, y_h = run.run(None, {"X": x, "use_lstm": np.array(flag)})
        made.append(save(root, f"if_branch_{'lstm' if flag else 'gru'}", model, x, pytorch_outputs(y, y_h), {
            "description": f"onnx.helper: an If whose then_branch holds an LSTM and else_branch a GRU; expected: the {what}",
            "module": module, "flags": [], "batch_first": False, "made_by": version}))

    # 5. An RNN inside a Loop body (one iteration), reading the outer X.
    t, b, f, h = 4, 2, 3, 5
    rw, rr, rb = weights(rng, "RNN", 2, h, f)
    body = helper.make_graph([
        constant("rnn_W", rw), constant("rnn_R", rr), constant("rnn_B", rb),
        helper.make_node("Identity", ["cond_in"], ["cond_out"]),
        helper.make_node("RNN", ["X", "rnn_W", "rnn_R", "rnn_B"], ["loop_Y", "loop_Y_h"], name="/encoder/rnn/RNN",
                         hidden_size=h, direction="bidirectional", activations=["Relu", "Relu"]),
    ], "body", [value_info("iteration", [], TensorProto.INT64), value_info("cond_in", [], TensorProto.BOOL)],
        [value_info("cond_out", [], TensorProto.BOOL), value_info("loop_Y", 4), value_info("loop_Y_h", 3)])
    graph = helper.make_graph([
        constant("trips", np.array(1, dtype=np.int64)), constant("go", np.array(True)),
        helper.make_node("Loop", ["trips", "go"], ["Y_all", "Y_h_all"], name="Loop_0", body=body),
    ], "recurrent_in_loop", [value_info("X", [t, b, f])], [value_info("Y_all", 5), value_info("Y_h_all", 4)])
    model = model_of(graph)
    x = rng.standard_normal((t, b, f)).astype(np.float32)
    y_all, y_h_all = session(model.SerializeToString()).run(None, {"X": x})
    made.append(save(root, "loop_body_rnn_relu", model, x, pytorch_outputs(y_all[0], y_h_all[0]), {
        "description": "onnx.helper: a bidirectional Relu RNN node '/encoder/rnn/RNN' inside the body of a Loop (one iteration)",
        "module": "encoder.rnn", "flags": [], "batch_first": False, "nonlinearity": "relu", "made_by": version}))

    # 4. X computed by a Reshape to a fixed shape: which axis is the batch cannot be told.
    t, b, f, h = 4, 3, 2, 3
    gw, gr, gb = weights(rng, "GRU", 1, h, f)
    graph = helper.make_graph([
        constant("shape", np.array([t, b, f], dtype=np.int64)),
        constant("W", gw), constant("R", gr), constant("B", gb),
        helper.make_node("Reshape", ["flat", "shape"], ["X"], name="Reshape_0"),
        helper.make_node("GRU", ["X", "W", "R", "B"], ["Y", "Y_h"], name="gru", hidden_size=h, linear_before_reset=1),
    ], "layout_unknown", [value_info("flat", [t * b * f])], [value_info("Y", 4), value_info("Y_h", 3)])
    model = model_of(graph)
    flat = rng.standard_normal(t * b * f).astype(np.float32)
    y, y_h = session(model.SerializeToString()).run(None, {"flat": flat})
    made.append(save(root, "gru_layout_unknown", model, flat.reshape(t, b, f), pytorch_outputs(y, y_h), {
        "description": "onnx.helper: a GRU whose X is a Reshape of a flat graph input: the layout is unknown; "
                       "expected: the graph's outputs, input.npy is X (time-major, so --no-batch-first)",
        "module": "", "flags": ["--no-batch-first"], "layout_unknown": True, "made_by": version}))

    # 6. Encoder/decoder: the second GRU reads the first's Y and starts from its Y_h. Not one 2-layer
    #    module (PyTorch's layer 2 starts from h0[1]): module rnn (the encoder) and rnn_1, whose run
    #    needs --h0; decoder_*.npy/npz hold its input, that state and ONNX Runtime's outputs.
    rng = np.random.default_rng(61)
    t, b, f, h = 4, 2, 3, 3
    ew, er, eb = weights(rng, "GRU", 1, h, f)
    dw, dr, db = weights(rng, "GRU", 1, h, h)
    graph = helper.make_graph([
        constant("eW", ew), constant("eR", er), constant("eB", eb), constant("dW", dw), constant("dR", dr), constant("dB", db),
        constant("axes", np.array([1], dtype=np.int64)),
        helper.make_node("GRU", ["X", "eW", "eR", "eB"], ["Y1", "Y1_h"], name="/rnn/GRU", hidden_size=h, linear_before_reset=1),
        helper.make_node("Squeeze", ["Y1", "axes"], ["X2"], name="/rnn/Squeeze"),
        helper.make_node("GRU", ["X2", "dW", "dR", "dB", "", "Y1_h"], ["Y2", "Y2_h"], name="/rnn/GRU_1", hidden_size=h,
                         linear_before_reset=1),
    ], "encoder_decoder", [value_info("X", [t, b, f])],
        [value_info("Y1", 4), value_info("Y1_h", 3), value_info("Y2", 4), value_info("Y2_h", 3)])
    model = model_of(graph)
    x = rng.standard_normal((t, b, f)).astype(np.float32)
    y1, y1_h, y2, y2_h = session(model.SerializeToString()).run(None, {"X": x})
    name, spec = save(root, "gru_encoder_decoder", model, x, pytorch_outputs(y1, y1_h), {
        "description": "onnx.helper: GRU '/rnn/GRU' → Squeeze → GRU '/rnn/GRU_1' whose initial_h is the first's Y_h: two modules, "
                       "rnn_1 needs --h0; expected: rnn; decoder_input.npy, decoder_h0.npy, decoder_expected.npz: rnn_1 run with --h0",
        "module": "rnn", "flags": [], "batch_first": False, "made_by": version})
    folder = os.path.join(root, "onnx", name)
    if not os.path.exists(os.path.join(folder, "decoder_expected.npz")):
        np.save(os.path.join(folder, "decoder_input.npy"), y1[:, 0])
        np.save(os.path.join(folder, "decoder_h0.npy"), y1_h)
        np.savez(os.path.join(folder, "decoder_expected.npz"), **pytorch_outputs(y2, y2_h))
    made.append((name, spec))

    # 7. layout=1 with a stored initial_h: ONNX stores it as (batch, directions, hidden). Batch = directions = 2,
    #    so reading it as (directions, batch, hidden) runs without complaint and computes other numbers. ONNX
    #    Runtime's CPU kernels refuse layout=1: expected is the same node at layout=0 between Transposes.
    rng = np.random.default_rng(62)
    t, b, f, h = 4, 2, 3, 3
    gw, gr, gb = weights(rng, "GRU", 2, h, f)
    h0 = rng.standard_normal((b, 2, h)).astype(np.float32)
    stored = [numpy_helper.from_array(a, n) for a, n in ((gw, "W"), (gr, "R"), (gb, "B"), (h0, "h0"))]
    graph = helper.make_graph([helper.make_node("GRU", ["X", "W", "R", "B", "", "h0"], ["Y", "Y_h"], name="gru", hidden_size=h,
                                                direction="bidirectional", linear_before_reset=1, layout=1)],
                              "layout1_state", [value_info("X", [b, t, f])], [value_info("Y", 4), value_info("Y_h", 3)], initializer=stored)
    reference = helper.make_graph([
        helper.make_node("Transpose", ["X"], ["X_tm"], perm=[1, 0, 2]),
        helper.make_node("Transpose", ["h0"], ["h0_tm"], perm=[1, 0, 2]),
        helper.make_node("GRU", ["X_tm", "W", "R", "B", "", "h0_tm"], ["Y", "Y_h"], hidden_size=h, direction="bidirectional",
                         linear_before_reset=1),
    ], "layout0_reference", [value_info("X", [b, t, f])], [value_info("Y", 4), value_info("Y_h", 3)], initializer=stored)
    x = rng.standard_normal((b, t, f)).astype(np.float32)
    y, y_h = session(model_of(reference).SerializeToString()).run(None, {"X": x})
    expected = pytorch_outputs(y, y_h)
    expected["output"] = np.ascontiguousarray(expected["output"].transpose(1, 0, 2))
    made.append(save(root, "gru_layout1_state", model_of(graph), x, expected, {
        "description": "onnx.helper: a bidirectional GRU with layout=1 and a stored initial_h (batch 2, directions 2, hidden 3); "
                       "expected: ONNX Runtime on the same node at layout=0 between Transposes",
        "module": "", "flags": [], "stored_state": True, "batch_first": True, "made_by": version}))


def write_readme(root, made):
    path = os.path.join(root, "onnx", "README.md")
    text = open(path).read() if os.path.exists(path) else "# ONNX fixtures\n"
    if MARK_BEGIN in text:
        text = text[:text.index(MARK_BEGIN)].rstrip() + "\n"
    rows = "\n".join(f"| `{name}/` | {spec['description']} | `{spec['module'] or '(root)'}` | {spec['made_by']} |" for name, spec in made)
    text += f"""
{MARK_BEGIN}
## Files rnnkit must not misread (issue 13)

Made by `scripts/fixturegen/onnx_trust_files.py` (part `onnx_trust` of `scripts/make_fixtures.py`).
Each folder holds `model.onnx`, `input.npy` (the module's own input, what `rnnkit run --input`
takes), `expected.npz` (`output`, `h_n`, `c_n` in PyTorch's shapes, computed by PyTorch for
the torch.onnx.export files and by ONNX Runtime for the onnx.helper graphs) and `case.json`
(the module, the flags `run` needs, and what the file stores). Tests:
`Tests/RNNConvertTests/ONNXStoredInputsTests.swift`, `Tests/RNNKitCLITests/ONNXTrustCommandTests.swift`.

| folder | model | module | made by |
|---|---|---|---|
{rows}
{MARK_END}
"""
    with open(path, "w") as handle:
        handle.write(text)


def make(root):
    made = []
    torch_cases(root, made)
    helper_cases(root, made)
    return made


def main():
    import argparse
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Fixtures"))
    parser.add_argument("--root", default=default_root)
    args = parser.parse_args()
    made = make(args.root)
    write_readme(args.root, made)
    print(f"onnx_trust: {len(made)} models")


if __name__ == "__main__":
    main()
