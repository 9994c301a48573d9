"""Module fixtures: Fixtures/<name>/ folders in the format of the fixture
contract (docs in Fixtures/README.md). Each is built from a real torch module
and its expected.npz is what PyTorch returned for the stored input."""

import os
import shutil
from collections import OrderedDict

import torch
import torch.nn as nn

from fixturegen.common import (
    CONTAINERS, CONTAINER_TEXT, DTYPES, architecture, make_module, nonlinearity,
    recurrent_modules, reseed, round_parameters, run_reference, save_fixture, write_pytorch)


class Case:
    """One fixture before it is written: the torch model whose state_dict is
    the file, the reference module inside it and the inputs."""

    def __init__(self, name, description, container, model, ref, x, lengths=None, h0=None, c0=None,
                 batch_first=False, dtype="float32", extra=None, file_names=None):
        self.name, self.description, self.container = name, description, container
        self.model, self.ref, self.x = model, ref, x
        self.lengths, self.h0, self.c0 = lengths, h0, c0
        self.batch_first, self.dtype = batch_first, dtype
        self.extra = extra or OrderedDict()
        self.file_names = file_names or {}


def wrap(prefix, module):
    """Places `module` at `prefix` (e.g. "encoder.lstm") inside plain containers."""
    if not prefix:
        return module
    root = nn.Module()
    parent = root
    parts = prefix.split(".")
    for part in parts[:-1]:
        child = nn.Module()
        parent.add_module(part, child)
        parent = child
    parent.add_module(parts[-1], module)
    return root


def inputs_for(module, T, B, batch_first=False, lengths=None, h0=False, c0=False, dtype=torch.float32):
    """Random input (and initial states) shaped for `module`."""
    if isinstance(module, nn.RNNCellBase):
        F, H, rows, real = module.input_size, module.hidden_size, 1, module.hidden_size
    else:
        F, H = module.input_size, module.hidden_size
        rows = module.num_layers * (2 if module.bidirectional else 1)
        real = getattr(module, "proj_size", 0) or H
    x = torch.randn(B, T, F, dtype=dtype) if batch_first else torch.randn(T, B, F, dtype=dtype)
    state_h = torch.randn(rows, B, real, dtype=dtype) * 0.5 if h0 else None
    state_c = torch.randn(rows, B, H, dtype=dtype) * 0.5 if c0 else None
    lens = torch.tensor(lengths, dtype=torch.int64) if lengths is not None else None
    return x, lens, state_h, state_c


def single(name, description, container, mode, kind="layer", F=4, H=6, L=1, bi=False, proj=0,
           bias=True, nl="tanh", bf=False, T=5, B=2, dtype="float32", lengths=None, h0=False,
           c0=False, prefix="", extra=None, file_names=None):
    """A Case holding one recurrent module (at `prefix`)."""
    reseed(name)
    module = make_module(mode, kind, F, H, L, bi, proj, bias, nl, bf)
    if dtype == "float64":
        module = module.double()
    round_parameters(module, dtype)
    compute = torch.float64 if dtype == "float64" else torch.float32
    x, lens, state_h, state_c = inputs_for(module, T, B, bf, lengths, h0, c0, compute)
    model = wrap(prefix, module)
    extra_tensors = extra(model) if callable(extra) else extra
    names = file_names(model) if callable(file_names) else file_names
    return Case(name, description, container, model, prefix, x, lens, state_h, state_c, bf,
                dtype, extra_tensors, names)


def file_tensors(case):
    """The tensors as stored: state_dict (+ extras) in the stored dtype, under the file's names."""
    state = case.model.state_dict()
    state.update(case.extra)
    stored = OrderedDict()
    for key, tensor in state.items():
        if case.dtype in ("float16", "bfloat16") and tensor.is_floating_point():
            tensor = tensor.to(DTYPES[case.dtype])
        stored[case.file_names.get(key, key)] = tensor.detach().clone()
    return stored


def write_case(root, case):
    """Writes the case's folder through rnnkit_fixture.save_fixture (the users' writer),
    plus the two torch.save twins; returns its fixture.json contents."""
    folder = os.path.join(root, case.name)
    if os.path.exists(folder):
        shutil.rmtree(folder)
    tensors = file_tensors(case)
    weights, fmt, writer = CONTAINERS[case.container]
    reference = case.model.get_submodule(case.ref)
    expected = run_reference(reference, case.x, case.lengths, case.h0, case.c0, case.batch_first)

    modules = [architecture(n, m, case.dtype) for n, m in recurrent_modules(case.model)]
    recurrent_names = {f"{n}.{p}" if n else p for n, m in recurrent_modules(case.model)
                       for p, _ in m.named_parameters()}
    renamed = {old: new for new, old in case.file_names.items()}
    other = [renamed.get(k, k) for k in tensors if renamed.get(k, k) not in recurrent_names]
    numpy_or_none = lambda t: None if t is None else t.numpy()
    fixture = save_fixture(
        folder, tensors, case.x.numpy(), expected, module=case.ref,
        lengths=numpy_or_none(case.lengths), h0=numpy_or_none(case.h0), c0=numpy_or_none(case.c0),
        batch_first=case.batch_first, nonlinearity=nonlinearity(reference),
        weights_format=(weights, fmt, None if writer is None else lambda path: writer(path, tensors)),
        description=case.description,
        renames=[f"{old}={new}" for new, old in case.file_names.items()],
        manifest=OrderedDict(
            modules=modules,
            other_tensors=other,
            twins=OrderedDict(pytorch_zip="weights.pt", pytorch_legacy="weights_legacy.pt"),
            torch_version=torch.__version__,
            container=CONTAINER_TEXT[case.container]))
    write_pytorch(os.path.join(folder, "weights.pt"), tensors)
    write_pytorch(os.path.join(folder, "weights_legacy.pt"), tensors, legacy=True)
    return fixture


# --- fixtures with several modules or other names ---------------------------

class Seq2Seq(nn.Module):
    """embedding -> encoder GRU -> decoder LSTM -> head, as people save them."""

    def __init__(self, vocab=11, emb=5, hidden=6):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)
        self.encoder = nn.GRU(emb, hidden, num_layers=2)
        self.decoder = nn.LSTM(emb, hidden)
        self.head = nn.Linear(hidden, vocab)


class GRULanguageModel(nn.Module):
    """The seed notes' model (003): embedding -> GRU -> linear output layer."""

    def __init__(self, vocab=12, emb=6, hidden=8, num_layers=1, bidirectional=False):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)
        self.gru = nn.GRU(emb, hidden, num_layers=num_layers, bidirectional=bidirectional)
        directions = 2 if bidirectional else 1
        self.output_layer = nn.Linear(hidden * directions, vocab)


class BiGRU(nn.Module):
    """The seed notes' model (000), scaled down: one bidirectional batch-first GRU."""

    def __init__(self, input_size, hidden_size, num_layers=1):
        super().__init__()
        self.bigru = nn.GRU(input_size, hidden_size, num_layers, batch_first=True, bidirectional=True)


def embedded(model, T, B):
    """Token ids through the model's embedding: the input its RNN really sees."""
    ids = torch.randint(0, model.embedding.num_embeddings, (T, B))
    with torch.no_grad():
        return model.embedding(ids)


def seq2seq_case(name, container, ref):
    reseed(name)
    model = Seq2Seq()
    x = embedded(model, 6, 3)
    description = f"encoder GRU (2 layers) + decoder LSTM + embedding + head in one file; reference for {ref}"
    h0 = torch.randn(1, 3, 6) * 0.5 if ref == "decoder" else None
    c0 = torch.randn(1, 3, 6) * 0.5 if ref == "decoder" else None
    return Case(name, description, container, model, ref, x, h0=h0, c0=c0)


def nested_h5_case(name):
    reseed(name)
    model = nn.Module()
    model.encoder = nn.Module()
    model.encoder.lstm = nn.LSTM(5, 7, num_layers=2, bidirectional=True)
    model.decoder = nn.Module()
    model.decoder.gru = nn.GRU(14, 7)
    model.decoder.proj = nn.Linear(7, 3)
    x = torch.randn(6, 2, 5)
    return Case(name, "nested HDF5 groups encoder/lstm/…, decoder/gru/…; reference for encoder.lstm",
                "hdf5-nested-gzip", model, "encoder.lstm", x)


def seq2seq_cells_case(name):
    reseed(name)
    model = nn.Module()
    model.encoder = nn.Module()
    model.encoder.rnn = nn.RNN(4, 5, num_layers=2, nonlinearity="relu")
    model.decoder = nn.Module()
    model.decoder.cell = nn.LSTMCell(4, 5)
    model.decoder.out = nn.Linear(5, 4)
    x = torch.randn(5, 2, 4)
    h0, c0 = torch.randn(1, 2, 5) * 0.5, torch.randn(1, 2, 5) * 0.5
    return Case(name, "encoder.rnn (RNN relu, 2 layers) + decoder.cell (LSTMCell) + decoder.out; reference for decoder.cell",
                "npy", model, "decoder.cell", x, h0=h0, c0=c0)


def root_plus_tensors_case(name):
    reseed(name)
    lstm = nn.LSTM(5, 6, num_layers=2)
    x = torch.randn(5, 3, 5)
    extra = OrderedDict([("embedding.weight", torch.randn(9, 5)),
                         ("head.weight", torch.randn(9, 6)), ("head.bias", torch.randn(9))])
    return Case(name, "root-level LSTM (weight_ih_l0 …) plus embedding.weight and head.* in the same file",
                "safetensors", lstm, "", x, extra=extra)


def language_model_case(name, container, num_layers=1, bidirectional=False, lengths=None):
    reseed(name)
    model = GRULanguageModel(num_layers=num_layers, bidirectional=bidirectional)
    T = 7 if lengths is None else max(lengths)
    x = embedded(model, T, 3 if lengths is None else len(lengths))
    lens = torch.tensor(lengths, dtype=torch.int64) if lengths is not None else None
    what = "seed note 003 language model (embedding → GRU → output_layer), names gru.weight_ih_l0 …"
    if lengths is not None:
        what += f"; {num_layers} layers, bidirectional, packed unsorted lengths"
    return Case(name, what, container, model, "gru", x, lengths=lens)


def seed000_case(name):
    reseed(name)
    model = BiGRU(10, 8)
    x = torch.randn(4, 6, 10)
    return Case(name, "seed note 000 BiGRU scaled down (input 10, hidden 8, batch 4, seq 6), batch_first, names bigru.*",
                "safetensors", model, "bigru", x, batch_first=True)


def renamed_names(prefix, mapping):
    """file_names for `single`: torch name -> the file's own name."""
    return {(f"{prefix}.{k}" if prefix else k): v for k, v in mapping.items()}


def cases():
    """Every module fixture, in README order."""
    c = []
    S = lambda *a, **k: c.append(single(*a, **k))
    # RNN
    S("rnn_tanh", "RNN tanh, 1 layer", "npz", "RNN")
    S("rnn_relu", "RNN relu, 1 layer", "hdf5", "RNN", nl="relu", H=5, T=6, B=3)
    S("rnn_tanh_nobias", "RNN tanh, bias=False", "npy", "RNN", bias=False)
    S("rnn_relu_nobias_2l", "RNN relu, bias=False, 2 layers", "safetensors", "RNN", nl="relu", bias=False, L=2, F=3, H=7, T=6, B=3)
    S("rnn_tanh_2l_bi", "RNN tanh, 2 layers, bidirectional", "safetensors", "RNN", L=2, bi=True, F=5, H=4, T=6, B=3)
    S("rnn_relu_3l_bi_h0", "RNN relu, 3 layers, bidirectional, h0", "npz-compressed", "RNN", nl="relu", L=3, bi=True, F=3, H=5, T=5, B=2, h0=True)
    S("rnn_tanh_f64", "RNN tanh, 2 layers, float64 weights and input", "npz", "RNN", L=2, dtype="float64", T=6, B=3)
    S("rnn_relu_batch_first_h0", "RNN relu, batch_first, h0", "hdf5-gzip", "RNN", nl="relu", bf=True, h0=True, T=7, B=3)
    S("rnn_tanh_f16", "RNN tanh, bidirectional, float16 stored weights", "npy", "RNN", bi=True, dtype="float16", T=5, B=2)
    # GRU
    S("gru_1l", "GRU, 1 layer", "npz", "GRU", F=5, H=6, T=7, B=3)
    S("gru_2l", "GRU, 2 layers", "hdf5-gzip", "GRU", L=2, F=4, H=8, T=6, B=2)
    S("gru_3l", "GRU, 3 layers", "npy", "GRU", L=3, F=3, H=5, T=5, B=2)
    S("gru_bi", "GRU, bidirectional", "safetensors", "GRU", bi=True, F=4, H=6, T=6, B=3)
    S("gru_2l_bi_batch_first", "GRU, 2 layers, bidirectional, batch_first, input_size 100 (the README demo)", "hdf5", "GRU", L=2, bi=True, bf=True, F=100, H=16, T=6, B=4)
    S("gru_bi_nobias", "GRU, bidirectional, bias=False", "npz-compressed", "GRU", bi=True, bias=False, F=4, H=5, T=6, B=2)
    S("gru_2l_bi_f64", "GRU, 2 layers, bidirectional, float64", "npz", "GRU", L=2, bi=True, dtype="float64", F=3, H=5, T=5, B=2)
    S("gru_f16", "GRU, 2 layers, float16 stored weights", "hdf5", "GRU", L=2, dtype="float16", F=4, H=6, T=6, B=2)
    S("gru_bi_bf16", "GRU, bidirectional, bfloat16 stored weights", "safetensors", "GRU", bi=True, dtype="bfloat16", F=4, H=6, T=6, B=2)
    S("gru_batch_first_h0", "GRU, 2 layers, batch_first, h0", "npy", "GRU", L=2, bf=True, h0=True, F=4, H=6, T=5, B=3)
    S("gru_2l_h0", "GRU, 2 layers, h0", "safetensors", "GRU", L=2, h0=True, F=5, H=4, T=6, B=2)
    # LSTM
    S("lstm_1l", "LSTM, 1 layer", "hdf5", "LSTM", F=4, H=6, T=6, B=2)
    S("lstm_2l", "LSTM, 2 layers", "npz", "LSTM", L=2, F=4, H=5, T=7, B=3)
    S("lstm_3l", "LSTM, 3 layers", "safetensors", "LSTM", L=3, F=3, H=4, T=5, B=2)
    S("lstm_2l_bi", "LSTM, 2 layers, bidirectional", "npz-compressed", "LSTM", L=2, bi=True, F=5, H=6, T=6, B=3)
    S("lstm_nobias", "LSTM, bias=False", "npy", "LSTM", bias=False, F=4, H=5, T=5, B=2)
    S("lstm_2l_bi_nobias", "LSTM, 2 layers, bidirectional, bias=False", "hdf5-gzip", "LSTM", L=2, bi=True, bias=False, F=3, H=4, T=6, B=2)
    S("lstm_proj", "LSTM, proj_size 3", "safetensors", "LSTM", proj=3, F=4, H=6, T=6, B=2)
    S("lstm_proj_2l", "LSTM, proj_size 2, 2 layers", "npz", "LSTM", L=2, proj=2, F=4, H=5, T=5, B=3)
    S("lstm_proj_2l_bi", "LSTM, proj_size 3, 2 layers, bidirectional", "hdf5", "LSTM", L=2, bi=True, proj=3, F=4, H=6, T=6, B=2)
    S("lstm_proj_h0_c0", "LSTM, proj_size 2, bidirectional, h0 (proj width) and c0 (hidden width)", "npy", "LSTM", bi=True, proj=2, h0=True, c0=True, F=3, H=5, T=5, B=2)
    S("lstm_2l_h0_c0", "LSTM, 2 layers, h0 and c0", "npz", "LSTM", L=2, h0=True, c0=True, F=4, H=6, T=6, B=3)
    S("lstm_bi_batch_first_h0_c0", "LSTM, bidirectional, batch_first, h0 and c0", "hdf5", "LSTM", bi=True, bf=True, h0=True, c0=True, F=4, H=5, T=7, B=3)
    S("lstm_2l_bi_f64", "LSTM, 2 layers, bidirectional, float64", "safetensors", "LSTM", L=2, bi=True, dtype="float64", F=3, H=4, T=5, B=2)
    S("lstm_2l_f16", "LSTM, 2 layers, float16 stored weights", "npz", "LSTM", L=2, dtype="float16", F=4, H=6, T=6, B=2)
    S("lstm_bf16", "LSTM, bfloat16 stored weights", "safetensors", "LSTM", dtype="bfloat16", F=4, H=6, T=6, B=2)
    S("lstm_proj_bf16", "LSTM, proj_size 3, 2 layers, bfloat16 stored weights", "safetensors", "LSTM", L=2, proj=3, dtype="bfloat16", F=4, H=5, T=5, B=2)
    S("lstm_proj_f16", "LSTM, proj_size 2, float16 stored weights", "hdf5-gzip", "LSTM", proj=2, dtype="float16", F=3, H=4, T=5, B=2)
    S("lstm_2l_pt_zip", "LSTM, 2 layers; the weights file is the torch.save zip itself", "pytorch", "LSTM", L=2, F=4, H=5, T=5, B=2)
    S("gru_bi_pt_legacy", "GRU, bidirectional; the weights file is the legacy torch.save file itself", "pytorch-legacy", "GRU", bi=True, F=3, H=4, T=5, B=2)
    # Cells, run step by step
    S("lstmcell", "LSTMCell over the sequence", "npz", "LSTM", kind="cell", F=4, H=6, T=6, B=3)
    S("lstmcell_nobias", "LSTMCell, bias=False", "hdf5", "LSTM", kind="cell", bias=False, F=3, H=5, T=5, B=2)
    S("lstmcell_h0_c0", "LSTMCell with h0 and c0 (1,B,H)", "safetensors", "LSTM", kind="cell", h0=True, c0=True, F=4, H=5, T=6, B=2)
    S("lstmcell_f64", "LSTMCell, float64", "npz-compressed", "LSTM", kind="cell", dtype="float64", F=3, H=4, T=5, B=2)
    S("grucell", "GRUCell over the sequence", "npy", "GRU", kind="cell", F=4, H=6, T=6, B=3)
    S("grucell_nobias_h0", "GRUCell, bias=False, h0", "npz", "GRU", kind="cell", bias=False, h0=True, F=3, H=5, T=5, B=2)
    S("grucell_f16", "GRUCell, float16 stored weights", "hdf5", "GRU", kind="cell", dtype="float16", F=4, H=5, T=5, B=2)
    S("rnncell_tanh", "RNNCell tanh", "hdf5-gzip", "RNN", kind="cell", F=4, H=6, T=6, B=2)
    S("rnncell_relu", "RNNCell relu", "safetensors", "RNN", kind="cell", nl="relu", F=4, H=5, T=6, B=3)
    S("rnncell_relu_nobias", "RNNCell relu, bias=False", "npz", "RNN", kind="cell", nl="relu", bias=False, F=3, H=5, T=5, B=2)
    S("rnncell_tanh_nobias_h0", "RNNCell tanh, bias=False, h0", "npy", "RNN", kind="cell", bias=False, h0=True, F=3, H=4, T=6, B=2)
    S("grucell_bf16", "GRUCell, bfloat16 stored weights", "safetensors", "GRU", kind="cell", dtype="bfloat16", F=3, H=4, T=5, B=2)
    # Packed variable-length batches (unsorted lengths)
    S("packed_lstm_2l_bi_proj", "packed, LSTM 2 layers bidirectional proj_size 3", "hdf5", "LSTM", L=2, bi=True, proj=3, F=4, H=6, T=7, B=4, lengths=[5, 7, 2, 6])
    S("packed_gru_bi", "packed, GRU bidirectional", "npz", "GRU", bi=True, F=4, H=5, T=6, B=3, lengths=[3, 6, 4])
    S("packed_rnn_relu", "packed, RNN relu, 2 layers", "safetensors", "RNN", nl="relu", L=2, F=3, H=5, T=6, B=3, lengths=[4, 2, 6])
    S("packed_lstm_batch_first", "packed, LSTM bidirectional, batch_first", "npy", "LSTM", bi=True, bf=True, F=4, H=5, T=6, B=3, lengths=[2, 6, 5])
    S("packed_gru_h0", "packed, GRU 2 layers, h0", "hdf5-gzip", "GRU", L=2, h0=True, F=4, H=6, T=7, B=3, lengths=[7, 3, 5])
    S("packed_lstm_bi_batch_first_h0_c0", "packed, LSTM 2 layers bidirectional, batch_first, h0 and c0", "safetensors", "LSTM", L=2, bi=True, bf=True, h0=True, c0=True, F=3, H=4, T=6, B=4, lengths=[4, 1, 6, 3])
    S("packed_rnn_tanh_short", "packed, RNN tanh bidirectional, every length below T (output zero-padded to T)", "npz-compressed", "RNN", bi=True, F=3, H=4, T=8, B=3, lengths=[5, 3, 6])
    S("packed_gru_f64", "packed, GRU bidirectional 2 layers, float64", "npz", "GRU", L=2, bi=True, dtype="float64", F=3, H=4, T=6, B=3, lengths=[6, 2, 4])
    S("packed_lstm_proj_h0_c0", "packed, LSTM proj_size 2, h0 and c0", "npz", "LSTM", proj=2, h0=True, c0=True, F=3, H=5, T=6, B=3, lengths=[3, 6, 5])
    # Several modules, nested names, other tensors
    c.append(seq2seq_case("multi_seq2seq_decoder", "npz", "decoder"))
    c.append(seq2seq_case("multi_seq2seq_encoder", "safetensors", "encoder"))
    c.append(nested_h5_case("multi_nested_h5"))
    c.append(seq2seq_cells_case("multi_rnn_and_lstmcell"))
    c.append(root_plus_tensors_case("root_lstm_plus_tensors"))
    S("nested_prefix_lstm", "one LSTM under encoder.lstm, nested HDF5 groups", "hdf5-nested", "LSTM", L=2, F=4, H=5, T=5, B=2, prefix="encoder.lstm")
    c.append(language_model_case("seed003_gru_language_model", "hdf5"))
    c.append(language_model_case("seed003_packed_bigru_2l", "npz", num_layers=2, bidirectional=True, lengths=[7, 4, 5, 2]))
    c.append(seed000_case("seed000_bigru_batch_first"))
    # Files with other names, mapped back with --rename
    S("renamed_gru_enc", "GRU saved as enc_w_ih/enc_w_hh/enc_b_ih/enc_b_hh (+ emb), mapped to enc.*_l0", "npz", "GRU",
      F=4, H=5, T=6, B=2, prefix="enc", extra=lambda m: OrderedDict(emb=torch.randn(7, 4)),
      file_names=renamed_names("enc", {"weight_ih_l0": "enc_w_ih", "weight_hh_l0": "enc_w_hh",
                                       "bias_ih_l0": "enc_b_ih", "bias_hh_l0": "enc_b_hh"}))
    S("renamed_rnncell_wx", "RNNCell relu saved as Wx/U/bx/bu, mapped to weight_ih/weight_hh/bias_ih/bias_hh", "hdf5", "RNN",
      kind="cell", nl="relu", F=3, H=5, T=6, B=2,
      file_names={"weight_ih": "Wx", "weight_hh": "U", "bias_ih": "bx", "bias_hh": "bu"})
    S("renamed_lstm_bi", "bidirectional LSTM saved as fw.W/fw.U/fw.b1/fw.b2 and bw.*, mapped to lstm.*_l0[_reverse]", "safetensors", "LSTM",
      bi=True, F=4, H=5, T=5, B=2, prefix="lstm",
      file_names=renamed_names("lstm", {"weight_ih_l0": "fw.W", "weight_hh_l0": "fw.U", "bias_ih_l0": "fw.b1", "bias_hh_l0": "fw.b2",
                                        "weight_ih_l0_reverse": "bw.W", "weight_hh_l0_reverse": "bw.U",
                                        "bias_ih_l0_reverse": "bw.b1", "bias_hh_l0_reverse": "bw.b2"}))
    S("renamed_lstmcell_kernel", "LSTMCell saved as cell/W_x, cell/W_h, cell/b_x, cell/b_h (nested HDF5 groups), mapped to decoder.weight_ih …", "hdf5-nested", "LSTM",
      kind="cell", F=4, H=5, T=5, B=2, prefix="decoder",
      file_names=renamed_names("decoder", {"weight_ih": "cell.W_x", "weight_hh": "cell.W_h",
                                           "bias_ih": "cell.b_x", "bias_hh": "cell.b_h"}))
    return c


def make(root):
    """Writes every module fixture under `root`; returns their fixture.json dicts by name."""
    made = OrderedDict()
    for case in cases():
        made[case.name] = write_case(root, case)
    return made
